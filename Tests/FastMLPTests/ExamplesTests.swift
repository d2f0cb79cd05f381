import Foundation
import Testing

/// Builds and runs the Examples package, which depends on fastmlp by path: the public API an
/// embedding application uses compiles and works.
@Suite("Examples package")
struct ExamplesTests {
    @Test("Examples/train-small builds against the package and trains")
    func trainSmall() throws {
        let examples = repositoryRoot.appendingPathComponent("Examples").path
        let (status, stdout, stderr) = try swiftTool(["run", "-c", "release", "--package-path", examples, "train-small"])
        #expect(status == 0, "\(stderr.suffix(2000))")
        let accuracyLine = try #require(stdout.split(separator: "\n").first { $0.hasPrefix("epochs ") })
        let accuracy = try #require(Double(accuracyLine.split(separator: " ").last ?? ""))
        #expect(accuracy > 0.9, "\(stdout)")
        #expect(stdout.contains("reloaded accuracy \(accuracy)"))
    }
}
