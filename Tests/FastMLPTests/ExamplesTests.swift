import Foundation
import Testing

/// Builds and runs the Examples package, which depends on fastmlp by path: the public API an
/// embedding application uses compiles and works.
@Suite("Examples package")
struct ExamplesTests {
    @Test("Examples/train-small builds against the package and trains")
    func trainSmall() throws {
        let examples = repositoryRoot.appendingPathComponent("Examples").path
        let result = try swiftTool(["run", "-c", "release", "--package-path", examples, "train-small"])
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let stdout = result.stdout
        let accuracyLine = try #require(stdout.split(separator: "\n").first { $0.hasPrefix("epochs ") })
        let accuracy = try #require(Double(accuracyLine.split(separator: " ").last ?? ""))
        #expect(accuracy > 0.9, "\(stdout)")
        #expect(stdout.contains("reloaded accuracy \(accuracy)"))
    }
}
