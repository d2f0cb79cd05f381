import Foundation

/// The repository this library was built from, found from this file's `#filePath`: where the
/// bundled MNIST copy and the profiles live.
enum SourceTree {
    /// The repository's root directory (it may no longer exist where the build ran).
    static var root: URL {
        // This file is <root>/Sources/FastMLP/Support/SourceTree.swift.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        return root
    }

    /// `relativePath` under the root, if it is a directory there.
    static func directory(_ relativePath: String) -> URL? {
        let directory = root.appendingPathComponent(relativePath, isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { return nil }
        return directory
    }
}
