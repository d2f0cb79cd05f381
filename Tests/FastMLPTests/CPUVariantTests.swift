import Foundation
import Testing

/// A build for another CPU than the one the suite runs on, and what it must pass.
struct CPUVariant: CustomStringConvertible, Sendable {
    let name: String
    let flags: [String]
    var description: String { name }
}

/// The kernels a native build does not compile: the 6 × 16 tile of AVX2 machines, with and
/// without fused multiply-add. (The native build on this repository's AVX-512 machines runs the
/// 8 × 32 and 16 × 16 tiles.)
let cpuVariants: [CPUVariant] = [
    .init(name: "baseline", flags: []),  // x86-64 with SSE2 only: separate multiply and add
    .init(name: "haswell", flags: ["-Xswiftc", "-target-cpu", "-Xswiftc", "haswell"]),  // AVX2 + FMA
]

/// The suites that check the kernels and everything built on them exactly or against
/// references: they hold for any CPU (the accuracy thresholds of `TrainingTests` are stated for
/// native builds and are not run here).
let cpuVariantSuites = "GEMMTests|GradientTests|ParallelTrainingTests|OptimizerTests"

/// Builds the package for other CPUs and runs the kernel suites there, so that every tile shape
/// and both arithmetic paths are tested on every run, not only the one this machine selects.
/// Each variant builds into `.build-variants/NAME` (about 1.5 min from scratch on 2 cores).
/// Set FASTMLP_SKIP_CPU_VARIANTS=1 to leave them out while iterating locally.
@Suite(
    "Builds for other CPUs", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["FASTMLP_SKIP_CPU_VARIANTS"] == nil, "FASTMLP_SKIP_CPU_VARIANTS is set"))
struct CPUVariantTests {
    #if arch(x86_64)
    @Test("the kernel suites pass in a build for another x86-64 CPU", .timeLimit(.minutes(10)), arguments: cpuVariants)
    func variant(_ variant: CPUVariant) throws {
        let scratch = repositoryRoot.appendingPathComponent(".build-variants").appendingPathComponent(variant.name).path
        let result = try swiftTool(
            ["test", "-c", "release", "--package-path", repositoryRoot.path, "--scratch-path", scratch]
                + variant.flags + ["--filter", cpuVariantSuites],
            environment: ["FASTMLP_SKIP_CPU_VARIANTS": "1"])
        #expect(result.status == 0, "\(variant): \(result.stdout.suffix(3000))\(result.stderr.suffix(2000))")
        // The filter matched the suites (a typo would pass with no tests at all).
        #expect(result.stdout.contains("Test run with") && !result.stdout.contains("Test run with 0 tests"), "\(result.stdout.suffix(1000))")
    }
    #endif
}
