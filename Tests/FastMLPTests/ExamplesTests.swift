import Foundation
import Testing

/// Builds and runs the Examples package, which depends on fastmlp by path: the public API an
/// embedding application uses compiles and works.
@Suite("Examples package", .serialized)
struct ExamplesTests {
    /// Builds the Examples package's `product`. SwiftPM does not notice a source file added to or
    /// moved in a path dependency in an existing build directory, so a failed build is retried
    /// once from a clean one (a fresh clone builds clean the first time).
    static func build(_ product: String) throws -> CommandResult {
        let examples = repositoryRoot.appendingPathComponent("Examples")
        let arguments = ["build", "-c", "release", "--package-path", examples.path, "--product", product]
        let first = try swiftTool(arguments)
        guard first.status != 0 else { return first }
        try? FileManager.default.removeItem(at: examples.appendingPathComponent(".build"))
        return try swiftTool(arguments)
    }

    @Test("Examples/train-small builds against the package and trains")
    func trainSmall() throws {
        let build = try Self.build("train-small")
        #expect(build.status == 0, "\(build.stderr.suffix(2000))")
        let result = try runProcess(repositoryRoot.appendingPathComponent("Examples/.build/release/train-small"), [])
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let stdout = result.stdout
        let accuracyLine = try #require(stdout.split(separator: "\n").first { $0.hasPrefix("epochs ") })
        let accuracy = try #require(Double(accuracyLine.split(separator: " ").last ?? ""))
        #expect(accuracy > 0.9, "\(stdout)")
        #expect(stdout.contains("reloaded accuracy \(accuracy)"))
    }

    @Test("the README's library example is Examples/Sources/ReadmeExample, verbatim, and it trains MNIST")
    func readmeExample() throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## The library").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```swift\n").dropFirst().first?.components(separatedBy: "```").first)
        let examples = repositoryRoot.appendingPathComponent("Examples")
        let source = try String(
            contentsOf: examples.appendingPathComponent("Sources/ReadmeExample/main.swift"), encoding: .utf8)
        #expect(block == source, "the README's example and Examples/Sources/ReadmeExample/main.swift differ")
        #expect(source.split(separator: "\n").count <= 15)
        let build = try Self.build("readme-example")
        #expect(build.status == 0, "\(build.stderr.suffix(2000))")
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = examples.appendingPathComponent(".build/release/readme-example")
        let run = try runProcess(binary, [], workingDirectory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 4 && lines[2].hasPrefix("epoch 3: "), "\(run.stdout)")
        let accuracy = try #require(Double(lines[2].split(separator: " ").last ?? ""))
        #expect(accuracy > 0.97, "\(run.stdout)")
        #expect(lines[3].hasPrefix("reloaded: test accuracy \(accuracy), first labels [7, 2, 1, 0, 4]"), "\(run.stdout)")
    }

    @Test("the DocC catalogue builds with the toolchain's docc, without a warning")
    func docCatalogueBuilds() throws {
        let script = repositoryRoot.appendingPathComponent("Scripts/build-docs.sh")
        let result = try runProcess(URL(fileURLWithPath: "/bin/bash"), [script.path])
        #expect(result.status == 0, "\(result.stderr.suffix(3000))")
        #expect(FileManager.default.fileExists(
            atPath: repositoryRoot.appendingPathComponent(".build/docs/documentation/fastmlp/index.html").path))
    }
}
