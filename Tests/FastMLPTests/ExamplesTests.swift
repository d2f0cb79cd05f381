import Foundation
import Testing

/// Builds and runs the Examples package, which depends on fastmlp by path: the public API an
/// embedding application uses compiles and works.
@Suite("Examples package")
struct ExamplesTests {
    @Test("Examples/train-small builds against the package and trains")
    func trainSmall() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let examples = root.appendingPathComponent("Examples").path
        let swift = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/swift"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: swift)
        process.arguments = ["run", "-c", "release", "--package-path", examples, "train-small"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stderr.suffix(2000))")
        let accuracyLine = try #require(stdout.split(separator: "\n").first { $0.hasPrefix("epochs ") })
        let accuracy = try #require(Double(accuracyLine.split(separator: " ").last ?? ""))
        #expect(accuracy > 0.9, "\(stdout)")
        #expect(stdout.contains("reloaded accuracy \(accuracy)"))
    }
}
