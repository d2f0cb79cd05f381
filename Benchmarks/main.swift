import Foundation

let usage = """
    Usage: fastmlp-benchmarks <gemm> [--json] [--quick]

      gemm    GEMM sweep over the MLP shapes (all three product forms) and squares 256…2048,
              each verified against the reference before it is timed; GFLOP/s and % of the
              FMA peak measured in the same run.

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
    GEMMSweep.run(json: arguments.contains("--json"), quick: arguments.contains("--quick"))
default:
    FileHandle.standardError.write(Data("Error: expected a benchmark name (usage: fastmlp-benchmarks <gemm> [--json])\n".utf8))
    exit(64)
}
