import Foundation

let usage = """
    Usage: fastmlp-benchmarks gemm [--threads 1,2] [--json] [--quick]
           fastmlp-benchmarks pool [--threads 2] [--gap 2000]
       fastmlp-benchmarks csv [--megabytes 1000] [--file PATH]
           fastmlp-benchmarks epoch [--profiles mlp-128,seed-sigmoid,mlp-wide] [--threads 1,2] [--epochs 3] [--breakdown]
                                    [--data mnist,mnist-no-zeros] [--paths default,dense]
                                    [--backends workers,dispatch] [--fixed-threads] [--json]

      gemm    GEMM sweep over the MLP shapes (all three product forms) and squares 256…2048,
              each verified against the reference before it is timed; GFLOP/s and % of the
              FMA peak measured in the same run.
      epoch   Training throughput of each profile at each thread count on the 60k MNIST set:
              median s/epoch of --epochs epochs after a warm-up epoch, samples/s, GFLOP/s,
              % of peak, the floor (FLOPs ÷ peak) and peak RSS. Each row runs in its own process.
              Each row reports the inputs' density and the first layer's path: the share of
              steps that skipped zero inputs. GFLOP/s counts the FLOPs done (a skipped zero
              input's are not); dense-eq counts the dense path's FLOPs, and can pass the peak.
              --data mnist-no-zeros raises every zero pixel to 1/255, data with no zeros to skip;
              --paths dense forces the dense first layer (default: skip zeros when sparse).
              --breakdown adds, per step, the µs and % of each phase (gather, forward,
              loss, deltas, weight gradients, update), of waiting at barriers and of the
              serial work between the two parallel regions; on more than one thread, each
              phase's busy µs per step on each thread as well.
              --backends runs each row on the pool's own workers and/or on Dispatch.
              --fixed-threads runs every step on all the threads (by default a trainer
              runs a step on one thread when that measures faster; --breakdown implies it).
      csv     CSV parsing on one core: generates a numeric table of --megabytes MB (20 columns,
              kept for the next run), parses it three times with CSV.read, each in its own
              process, and prints MB/s and the peak RSS against the parsed Float data.
      pool    Fork/join cost of a parallel region on the pool's own workers and on Dispatch's
              concurrentPerform: regions of tiny tasks between short serial gaps
              (--threads N, --gap iterations).

    Build it with the target CPU's features:
      swift run -c release -Xswiftc -target-cpu -Xswiftc native fastmlp-benchmarks gemm
    """

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(usage)
    exit(0)
}
warnIfDebug()
switch arguments.first {
case "gemm":
    let threads = EpochBenchmark.value("--threads", in: arguments)?.split(separator: ",").compactMap { Int($0) } ?? [1, 2]
    GEMMSweep.run(json: arguments.contains("--json"), quick: arguments.contains("--quick"), threadCounts: threads)
case "epoch":
    EpochBenchmark.run(arguments: arguments)
case "pool":
    PoolBenchmark.run(arguments: arguments)
case "epoch-row":
    EpochBenchmark.runRow(arguments: arguments)
case "csv":
    CSVBenchmark.run(arguments: arguments)
case "csv-parse":
    CSVBenchmark.parse(arguments: arguments)
default:
    FileHandle.standardError.write(Data("Error: expected a benchmark name: gemm or epoch (see fastmlp-benchmarks --help)\n".utf8))
    exit(64)
}
