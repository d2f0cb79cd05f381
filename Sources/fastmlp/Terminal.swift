import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes to standard error (diagnostics, warnings, progress), unbuffered.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Standard output, flushed line by line so that progress and results interleave correctly.
func printLine(_ text: String = "") {
    print(text)
    fflush(nil)
}

/// A live progress line on standard error (samples done, samples/s, ETA), redrawn in place at
/// most ten times a second. Silent when standard error is not a terminal or with `--quiet`.
final class ProgressLine {
    let enabled: Bool
    private var lastDraw: ContinuousClock.Instant
    private var start: ContinuousClock.Instant
    private var visible = false

    /// What `done` counts, for the rate.
    let unit: String

    init(quiet: Bool, unit: String = "samples") {
        self.unit = unit
        enabled = !quiet && isatty(STDERR_FILENO) != 0
        start = .now
        lastDraw = .now
    }

    /// Starts timing a new stretch of work (an epoch).
    func begin() {
        start = .now
        lastDraw = start
    }

    func update(label: @autoclosure () -> String, done: Int, total: Int) {
        guard enabled else { return }
        let now = ContinuousClock.now
        guard now - lastDraw >= .milliseconds(100) || done == total else { return }
        lastDraw = now
        let elapsed = seconds(now - start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let text = Self.fitted(
            label: label(), done: done, total: total, rate: rate, eta: eta, columns: Self.terminalColumns() ?? 80, unit: unit)
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
        visible = !text.isEmpty
    }

    /// The most detailed progress text that fits in `columns` − 1 characters (the last column
    /// would wrap on some terminals): fields are shortened, then dropped, then nothing is shown.
    static func fitted(
        label: String, done: Int, total: Int, rate: Double, eta: Double, columns: Int, unit: String = "samples"
    ) -> String {
        let percent = total > 0 ? 100 * done / total : 100
        let etaText = "ETA " + String(format: "%.1f", eta) + " s"
        let candidates = [
            "\(label)  \(done)/\(total) (\(percent)%)  \(rate < 10 ? String(format: "%.2f", rate) : String(Int(rate))) \(unit)/s  \(etaText)",
            "\(label)  \(percent)%  \(Int(rate))/s  \(etaText)",
            "\(label)  \(percent)%  \(etaText)",
            "\(percent)%  \(etaText)",
            "\(percent)%",
        ]
        return candidates.first { $0.count < columns } ?? ""
    }

    /// The width of the terminal on standard error, if it is one.
    static func terminalColumns() -> Int? {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// Erases the line so that ordinary output continues on a clean line.
    func clear() {
        guard enabled, visible else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        visible = false
    }
}

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}

/// Encodes a value as one line of JSON with snake_case keys.
func jsonLine<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do {
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    } catch {
        // Every value printed here is plain numbers, strings and arrays: this is unreachable.
        preconditionFailure("JSON encoding failed: \(error)")
    }
}

/// `word` as one shell word: unchanged when it is plain, otherwise in single quotes.
func shellQuoted(_ word: String) -> String {
    let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,:+@%".contains($0) }
    return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
