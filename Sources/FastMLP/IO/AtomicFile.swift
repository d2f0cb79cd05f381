#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be written. (SPI for fastmlp's own tools: the library's file types
/// report their write failures as their own errors.)
@_spi(Tools)
public struct FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file that could not be written.
    public let path: String
    /// What went wrong, in words.
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Whole-file writes that never leave a half-written file behind.
///
/// The bytes go to a new temporary file in the destination's directory, are flushed to disk
/// (`fsync`), and the temporary file is renamed over the destination; then the directory is
/// flushed so the rename itself is durable. A reader, or a crash at any moment, sees either
/// the old file or the new one, complete.
///
/// The temporary file is `.NAME.tmp-PID-RANDOM`. A process killed mid-write leaves one behind;
/// the next successful write of the same destination removes those whose process is gone.
@_spi(Tools)
public enum AtomicFile {
    /// Replaces the file at `path` with `bytes`, atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileWriteError) {
        let directory = parentDirectory(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var suffix = SplitMix64(seed: UInt64(UInt32(bitPattern: getpid())) << 32 ^ UInt64(bytes.count) ^ UInt64(time(nil)))
        let prefix = "." + base + ".tmp-"
        let temporary = directory + "/" + prefix + "\(getpid())-" + String(suffix.next() % 1_000_000_000, radix: 36)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileWriteError(path: path, reason: "cannot create a file in \(directory) (\(errorText()))")
        }
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = "write failed (\(errorText()))"
                    return
                }
                offset += written
            }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = "fsync failed (\(errorText()))" }
        if close(descriptor) != 0 && failure == nil { failure = "close failed (\(errorText()))" }
        if failure == nil && rename(temporary, path) != 0 { failure = "cannot replace the file (\(errorText()))" }
        if let failure {
            unlink(temporary)
            throw FileWriteError(path: path, reason: failure)
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        removeAbandoned(prefix: prefix, in: directory)
    }

    /// Deletes `PREFIX<pid>-<suffix>` files in `directory` whose process no longer exists: what
    /// writes killed before their rename left behind. Files of a live process, and names that do
    /// not parse, are left alone.
    static func removeAbandoned(prefix: String, in directory: String) {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        var abandoned: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: $0.pointee)) { String(cString: $0) }
            }
            guard name.hasPrefix(prefix) else { continue }
            let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, !parts[1].isEmpty else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { abandoned.append(name) }
        }
        for name in abandoned { unlink(directory + "/" + name) }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}

/// `write(2)`, named apart from ``AtomicFile/write(_:to:)``.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
