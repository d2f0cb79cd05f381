import Foundation

/// The repository this test bundle was built from.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Runs the `swift` driver found on PATH (the toolchain running these tests) and collects its
/// output; `environment` entries are added to the current environment. Standard error goes
/// through a file, so that a chatty build cannot fill a pipe nobody is reading.
func swiftTool(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let swift = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
        .map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/swift"
    let directory = temporaryDirectory("swiftTool")
    defer { try? FileManager.default.removeItem(at: directory) }
    let errorFile = directory.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    let errors = try FileHandle(forWritingTo: errorFile)
    defer { try? errors.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: swift)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let stderr = String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self)
    return (process.terminationStatus, stdout, stderr)
}
