import Foundation

/// The repository this test bundle was built from.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// What a finished process printed, and how it ended.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
    var stderrLines: [Substring] { stderr.split(separator: "\n") }
}

/// Runs `executable` to the end with no input and collects its output; `environment` entries
/// are added to the current environment, and `workingDirectory` is its working directory when given. Standard error goes through a file, so that neither
/// stream can fill a pipe nobody is reading while the other is read.
func runProcess(
    _ executable: URL, _ arguments: [String], environment: [String: String] = [:], workingDirectory: URL? = nil
) throws -> CommandResult {
    let directory = temporaryDirectory("runProcess")
    defer { try? FileManager.default.removeItem(at: directory) }
    let errorFile = directory.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    let errors = try FileHandle(forWritingTo: errorFile)
    defer { try? errors.close() }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let workingDirectory { process.currentDirectoryURL = workingDirectory }
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let stderr = String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self)
    return CommandResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
}

/// The `fastmlp` executable built next to this test bundle.
let fastmlpBinary: URL = {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("fastmlp")
}()

/// Runs the built `fastmlp` binary.
func fastmlp(_ arguments: String...) throws -> CommandResult { try fastmlp(arguments) }

/// Runs the built `fastmlp` binary.
func fastmlp(_ arguments: [String]) throws -> CommandResult { try runProcess(fastmlpBinary, arguments) }

/// Runs the `swift` driver found on PATH (the toolchain running these tests).
func swiftTool(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let swift = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
        .map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/swift"
    return try runProcess(URL(fileURLWithPath: swift), arguments, environment: environment)
}
