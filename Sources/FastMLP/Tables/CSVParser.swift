#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An RFC 4180 reader for tables, fed the file in chunks so that only the parsed values and one
/// chunk are ever in memory.
///
/// - Fields are separated by one delimiter byte (comma, semicolon or tab) and rows by `\n` or
///   `\r\n`. A field in double quotes may hold the delimiter, line breaks and doubled quotes
///   (`""` is one `"`).
/// - A UTF-8 byte-order mark at the start is skipped; blank lines are skipped; unquoted cells
///   are trimmed of spaces.
/// - The first row is the header: non-empty, distinct column names. Every other cell is a
///   finite number, missing (empty, `NA`, `NaN`, `null` or `?`, in any case) or text. Numbers and
///   missing cells go to `values` (missing as NaN); a text cell stores NaN there and its text,
///   interned, in its column's ``CSVTextColumn``.
///
/// Numbers of at most 7 significant digits and 10 decimals, the common case, are converted by a
/// correctly rounded division (both operands are exact floats); others by `strtof`. Errors name
/// the file, the line a row starts on and the column.
struct CSVParser {
    let path: String
    private(set) var delimiter: UInt8?
    private(set) var columns: [String]?
    private(set) var values: [Float] = []
    /// The text cells of each column that has any (nil for columns of numbers only).
    private(set) var textColumns: [CSVTextColumn?] = []
    /// Rows that do not start on the line after the previous row's start (a quoted line break, a
    /// blank line): (row, line), in row order.
    private(set) var lineExceptions: [(row: Int, line: Int)] = []
    /// Each data row's bytes in the input (without its line break), when asked for.
    private(set) var rowSpans: [Range<Int>]?
    private var rowStart = 0
    private var offset = 0
    private var previousRowLine = 1

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }
    private var state = State.fieldStart
    /// The bytes of the field being read (unescaped).
    private var field: [UInt8] = []
    /// Whether the current field was quoted (a quoted empty field is not a blank line).
    private var fieldQuoted = false
    /// The header's names so far, or the current row's values so far.
    private var headerFields: [String] = []
    private var rowCount = 0
    private var cellsInRow = 0
    /// The physical line the parser is on, and the one the current row started on.
    private var line = 1
    private var rowLine = 1
    private var atFileStart = true
    /// Bytes consumed, for the capacity estimate, and whether it was made.
    private var consumed = 0
    private var reserved = false

    init(path: String, delimiter: UInt8? = nil, keepingRowSpans: Bool = false) {
        self.path = path
        self.delimiter = delimiter
        if keepingRowSpans { rowSpans = [] }
        field.reserveCapacity(64)
    }

    private func error(_ reason: String, column: Int? = nil, line: Int? = nil) -> DataError {
        let name = column.map { c in columns.map { c < $0.count ? $0[c] : "#\(c + 1)" } ?? "#\(c + 1)" }
        return .csv(path: path, line: line ?? rowLine, column: name, reason: reason)
    }

    /// The delimiter of a file whose start is `bytes`: the one of comma, semicolon and tab that
    /// appears most often outside quotes on the first line; on a tie the first in that order.
    static func detectDelimiter(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt8 {
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")]
        var counts = [0, 0, 0]
        var quoted = false
        // Blank lines before the header say nothing about it.
        var start = bytes.startIndex
        while start < bytes.endIndex, [UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: " "), UInt8(ascii: "\t")].contains(bytes[start]) {
            start += 1
        }
        for byte in bytes[start...] {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if quoted { continue }
            if byte == UInt8(ascii: "\n") { break }
            if let k = candidates.firstIndex(of: byte) { counts[k] += 1 }
        }
        var best = 0
        for k in 1..<3 where counts[k] > counts[best] { best = k }
        return candidates[best]
    }

    /// Parses the next chunk of the file; `sizeHint` (the file's size) sizes the values once the
    /// first rows show how many bytes a value takes.
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, sizeHint: Int? = nil) throws(DataError) {
        guard !awaitingFirstLine else {
            // The delimiter is detected from the whole first line, and a byte-order mark may be
            // split between chunks: hold the bytes until the first line ends.
            pending.append(contentsOf: chunk)
            if Self.firstLineEnds(in: pending) { try releasePending(sizeHint: sizeHint) }
            return
        }
        try parse(chunk, sizeHint: sizeHint)
    }

    /// Bytes held until the first line is complete.
    private var pending: [UInt8] = []
    private var awaitingFirstLine = true

    /// Whether `bytes` hold the whole first line that is not blank (the one the delimiter is
    /// detected from).
    private static func firstLineEnds(in bytes: [UInt8]) -> Bool {
        var quoted = false, seenText = false
        for byte in bytes {
            if byte == UInt8(ascii: "\"") {
                quoted.toggle()
                seenText = true
            } else if byte == UInt8(ascii: "\n") && !quoted {
                if seenText { return true }
            } else if ![UInt8(ascii: "\r"), UInt8(ascii: " "), UInt8(ascii: "\t")].contains(byte) {
                seenText = true
            }
        }
        return false
    }

    private mutating func releasePending(sizeHint: Int?) throws(DataError) {
        let start = pending.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let held = pending
        pending = []
        awaitingFirstLine = false
        try held.withUnsafeBufferPointer { (p) throws(DataError) in
            if delimiter == nil { delimiter = Self.detectDelimiter(UnsafeBufferPointer(rebasing: p[start...])) }
            try parse(p, sizeHint: sizeHint)
        }
    }

    private mutating func parse(_ chunk: UnsafeBufferPointer<UInt8>, sizeHint: Int?) throws(DataError) {
        var start = 0
        if atFileStart {
            atFileStart = false
            if chunk.count >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { start = 3 }
            rowStart = start
        }
        let delimiter = self.delimiter!
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriage = UInt8(ascii: "\r")
        var i = start
        while i < chunk.count {
            let byte = chunk[i]
            switch state {
            case .fieldStart, .unquoted:
                if state == .fieldStart && byte == quote {
                    state = .quoted
                    fieldQuoted = true
                } else if state == .fieldStart && byte == UInt8(ascii: " ") && delimiter != byte {
                    // Spaces before a field (and before its opening quote) are not part of it.
                } else if byte == delimiter {
                    try endField()
                } else if byte == newline {
                    try endRow(at: consumed + i)
                } else if byte != carriage {
                    // A fast path through the rest of an unquoted field.
                    var j = i
                    while j < chunk.count {
                        let b = chunk[j]
                        if b == delimiter || b == newline || b == carriage { break }
                        j += 1
                    }
                    field.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[i..<j]))
                    state = .unquoted
                    i = j
                    continue
                }
            case .quoted:
                if byte == quote {
                    state = .quoteInQuoted
                } else {
                    if byte == newline { line += 1 }
                    field.append(byte)
                }
            case .quoteInQuoted:
                if byte == quote {
                    field.append(quote)
                    state = .quoted
                } else if byte == delimiter {
                    try endField()
                } else if byte == newline {
                    try endRow(at: consumed + i)
                } else if byte != carriage && byte != UInt8(ascii: " ") {
                    throw error("text after the closing quote of a field", column: cellsInRow, line: line)
                }
            }
            i += 1
        }
        consumed += chunk.count
        if let sizeHint, !reserved, rowCount >= 8 {
            reserved = true
            // Room for the whole file at this chunk's bytes per value, and 10 % more.
            let estimate = Double(values.count) * Double(sizeHint) / Double(consumed) * 1.1
            values.reserveCapacity(Int(min(estimate, Double(Int32.max))) + 1024)
        }
    }

    /// Ends the file: a last row without a line break, and the checks that need the whole file.
    mutating func finish() throws(DataError) {
        if awaitingFirstLine { try releasePending(sizeHint: nil) }
        if state == .quoted {
            throw error("a quoted field is not closed before the end of the file", column: cellsInRow)
        }
        offset = consumed
        if state != .fieldStart || cellsInRow > 0 || !field.isEmpty { try endField(endsRow: true) }
        guard columns != nil else { throw error("the file is empty: no header row", line: 1) }
        guard rowCount > 0 else { throw error("no data rows after the header", line: line) }
    }

    /// Ends the current field and its row at the line break at byte `offset` of the input.
    @inline(__always)
    private mutating func endRow(at offset: Int) throws(DataError) {
        self.offset = offset
        try endField(endsRow: true)
        line += 1
    }

    private mutating func endField(endsRow: Bool = false) throws(DataError) {
        defer {
            field.removeAll(keepingCapacity: true)
            fieldQuoted = false
            state = .fieldStart
        }
        // A line with nothing on it, or only spaces, is skipped.
        if endsRow && cellsInRow == 0 && !fieldQuoted && field.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            rowLine = line + 1
            rowStart = offset + 1
            return
        }
        guard let columns else {
            try headerField(endsRow: endsRow)
            return
        }
        guard cellsInRow < columns.count else {
            throw error("more than the header's \(columns.count) cells")
        }
        if cellsInRow == 0 && rowLine != previousRowLine + 1 { lineExceptions.append((rowCount, rowLine)) }
        values.append(try cell(column: cellsInRow))
        cellsInRow += 1
        if endsRow {
            guard cellsInRow == columns.count else {
                throw error("\(cellsInRow) cells, the header has \(columns.count)")
            }
            cellsInRow = 0
            rowCount += 1
            previousRowLine = rowLine
            rowLine = line + 1
            rowSpans?.append(rowStart..<offset)
            rowStart = offset + 1
        }
    }

    private mutating func headerField(endsRow: Bool) throws(DataError) {
        guard let name = String(validating: fieldQuoted ? field[...] : trimmed(field), as: UTF8.self) else {
            throw error("the header is not UTF-8 text", line: rowLine)
        }
        guard !name.isEmpty else {
            throw .csv(path: path, line: rowLine, column: "#\(headerFields.count + 1)", reason: "the header has an empty column name")
        }
        if headerFields.contains(name) {
            throw .csv(path: path, line: rowLine, column: name, reason: "the header repeats a column name")
        }
        headerFields.append(name)
        if endsRow {
            columns = headerFields
            textColumns = Array(repeating: nil, count: headerFields.count)
            // previousRowLine stays 1: the first row is expected on line 2, and a header that
            // starts or ends later (blank lines, a quoted line break) records where it is.
            rowLine = line + 1
            rowStart = offset + 1
        }
    }

    private func trimmed(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        var slice = bytes[...]
        while let first = slice.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { slice = slice.dropFirst() }
        while let last = slice.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { slice = slice.dropLast() }
        return slice
    }

    /// 10⁰ … 10¹⁰, each exactly representable as a Float.
    private static let powersOfTen: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

    /// The current field: a finite number, NaN for a missing cell, or NaN with the text recorded
    /// in the column's ``CSVTextColumn``.
    private mutating func cell(column: Int) throws(DataError) -> Float {
        let text = trimmed(field)
        if let value = Self.fastNumber(text) {
            textColumns[column]?.codes.append(-1)
            return value
        }
        if Self.isMissing(text) {
            textColumns[column]?.codes.append(-1)
            return .nan
        }
        if let value = Self.slowNumber(text) {
            guard value.isFinite else {
                throw error("'\(String(decoding: text.prefix(40), as: UTF8.self))' is not a finite number", column: column)
            }
            textColumns[column]?.codes.append(-1)
            return value
        }
        let string = String(decoding: fieldQuoted ? field[...] : text, as: UTF8.self)
        if textColumns[column] == nil {
            textColumns[column] = CSVTextColumn(codes: Array(repeating: -1, count: rowCount))
        }
        guard textColumns[column]!.append(string) else {
            throw error("more than \(Int32.max) distinct texts in one column", column: column)
        }
        return .nan
    }

    /// Empty, or `NA`, `NaN`, `null` or `?` in any case.
    static func isMissing(_ text: ArraySlice<UInt8>) -> Bool {
        switch text.count {
        case 0: return true
        case 1: return text.first == UInt8(ascii: "?")
        case 2, 3, 4:
            let lower = text.map { $0 | 0x20 }
            return lower == Array("na".utf8) || lower == Array("nan".utf8) || lower == Array("null".utf8)
        default: return false
        }
    }

    /// The whole of `text` as a number by `strtof`, or nil when it is not one.
    private static func slowNumber(_ text: ArraySlice<UInt8>) -> Float? {
        guard let first = text.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
            || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) || first | 0x20 == UInt8(ascii: "i") else { return nil }
        // strtof on a NUL-terminated copy; all of it must be consumed.
        var buffer = [CChar](repeating: 0, count: text.count + 1)
        for (k, byte) in text.enumerated() { buffer[k] = CChar(bitPattern: byte) }
        let (value, consumedAll) = buffer.withUnsafeMutableBufferPointer { p -> (Float, Bool) in
            var end: UnsafeMutablePointer<CChar>?
            let result = strtof(p.baseAddress!, &end)
            return (result, end == p.baseAddress! + text.count)
        }
        return consumedAll ? value : nil
    }

    /// `[-+]digits[.digits]` with at most 7 significant digits and 10 decimals: the mantissa and
    /// the power of ten are exact floats, so one division rounds correctly.
    private static func fastNumber(_ text: ArraySlice<UInt8>) -> Float? {
        var mantissa: UInt32 = 0, digits = 0, decimals = 0, seenPoint = false, negative = false
        var index = text.startIndex
        if index < text.endIndex && (text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+")) {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < text.endIndex else { return nil }
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if mantissa > 0 || byte != UInt8(ascii: "0") { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt32(byte - UInt8(ascii: "0"))
                if seenPoint { decimals += 1 }
                if digits > 7 || decimals > 10 { return nil }
            } else {
                return nil
            }
            index += 1
        }
        if seenPoint && text.count - (negative || text.first == UInt8(ascii: "+") ? 1 : 0) == 1 { return nil }  // "."
        let value = Float(mantissa) / powersOfTen[decimals]
        return negative ? -value : value
    }
}
