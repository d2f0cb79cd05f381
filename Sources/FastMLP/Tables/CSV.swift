import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A table read from a CSV file: a header row of column names, then one row of cells per line.
/// A cell is a number, text, or missing (empty, `NA`, `NaN`, `null` or `?`).
public struct CSVTable: Sendable, Equatable {
    /// The file it came from, for error messages.
    public let path: String
    /// The column names, from the header row.
    public let columns: [String]
    /// The field separator the file was read with.
    public let delimiter: UInt8
    /// `rowCount × columns.count` values, row after row: the numbers, and NaN where a cell is
    /// missing or text.
    @_spi(Tools) public let values: [Float]
    /// The number of data rows.
    public var rowCount: Int { columns.isEmpty ? 0 : values.count / columns.count }

    /// The text cells of each column that has any.
    let textColumns: [CSVTextColumn?]
    /// Rows that start elsewhere than on the line after the previous row (see ``line(ofRow:)``).
    let lineExceptions: [(row: Int, line: Int)]
    /// Each data row's bytes in the file, without its line break (when read keeping them).
    @_spi(Tools) public let rowSpans: [Range<Int>]?

    init(path: String, parser: CSVParser) {
        self.path = path
        columns = parser.columns ?? []
        delimiter = parser.delimiter ?? UInt8(ascii: ",")
        values = parser.values
        textColumns = parser.textColumns
        lineExceptions = parser.lineExceptions
        rowSpans = parser.rowSpans
    }

    /// A table of numbers (NaN for missing cells), one row after another.
    @_spi(Tools) public init(path: String, columns: [String], values: [Float]) {
        self.path = path
        self.columns = columns
        self.values = values
        delimiter = UInt8(ascii: ",")
        textColumns = Array(repeating: nil, count: columns.count)
        lineExceptions = []
        rowSpans = nil
    }

    public static func == (a: CSVTable, b: CSVTable) -> Bool {
        a.path == b.path && a.columns == b.columns && a.delimiter == b.delimiter && a.values.elementsEqual(b.values) { $0.bitPattern == $1.bitPattern }
            && a.textColumns == b.textColumns
    }

    /// One cell of a table.
    public enum Cell: Equatable, Sendable {
        /// A finite number.
        case number(Float)
        /// Text that is not a number.
        case text(String)
        /// An empty cell, or `NA`, `NaN`, `null` or `?`.
        case missing
    }

    /// The cell at `row` (0-based, data rows only) of column number `column`.
    public func cell(row: Int, column: Int) -> Cell {
        if let text = textColumns[column], text.codes[row] >= 0 { return .text(text.names[Int(text.codes[row])]) }
        let value = values[row * columns.count + column]
        return value.isNaN ? .missing : .number(value)
    }

    /// Whether column number `column` holds any text cell.
    @_spi(Tools) public func hasText(column: Int) -> Bool { textColumns[column] != nil }

    /// Column `name`'s cells, top to bottom.
    public func column(_ name: String) -> [Cell]? {
        guard let index = columns.firstIndex(of: name) else { return nil }
        return (0..<rowCount).map { cell(row: $0, column: index) }
    }

    /// The 1-based line of the file that data row `row` (0-based) starts on.
    @_spi(Tools) public func line(ofRow row: Int) -> Int {
        var low = 0, high = lineExceptions.count
        while low < high {
            let middle = (low + high) / 2
            if lineExceptions[middle].row <= row { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return row + 2 }
        let exception = lineExceptions[low - 1]
        return exception.line + (row - exception.row)
    }
}

/// The text cells of one CSV column, interned: `codes[row]` indexes `names`, or is -1 where the
/// row holds a number or is missing.
struct CSVTextColumn: Sendable, Equatable {
    var names: [String] = []
    var codes: [Int32]
    private var index: [String: Int32] = [:]

    init(codes: [Int32]) { self.codes = codes }

    /// Records `text` as the next row's cell; false when the column already holds as many
    /// distinct texts as a code can number.
    mutating func append(_ text: String) -> Bool {
        if let code = index[text] {
            codes.append(code)
        } else {
            guard let code = Int32(exactly: names.count) else { return false }
            names.append(text)
            index[text] = code
            codes.append(code)
        }
        return true
    }

    static func == (a: CSVTextColumn, b: CSVTextColumn) -> Bool { a.names == b.names && a.codes == b.codes }
}

/// Reads CSV files (RFC 4180; see ``read(_:delimiter:)``).
public enum CSV {
    /// Files larger than this are refused before they are read.
    static let maximumSize = 1 << 33

    /// Reads a CSV file with a header row; every other cell is a finite number, text, or missing
    /// (empty, `NA`, `NaN`, `null` or `?`, in any case).
    ///
    /// RFC 4180: quoted fields may hold the delimiter, line breaks and doubled quotes; `\n` or
    /// `\r\n` line ends; a UTF-8 byte-order mark is skipped. The delimiter is `delimiter` when
    /// given, a tab for a `.tsv` file, otherwise whichever of comma, semicolon and tab the header
    /// line uses most. The file is read in chunks: only the parsed values stay in memory.
    public static func read(_ url: URL, delimiter: UInt8? = nil) throws(DataError) -> CSVTable {
        try read(url.path, delimiter: delimiter, keepingRowSpans: false)
    }

    /// Reads the CSV file at `path`, as the URL variant does.
    @_spi(Tools) public static func read(_ path: String, delimiter: UInt8? = nil) throws(DataError) -> CSVTable {
        try read(path, delimiter: delimiter, keepingRowSpans: false)
    }

    /// Reads a file as ``read(_:delimiter:)`` does, keeping each row's byte range when asked.
    @_spi(Tools) public static func read(_ path: String, delimiter: UInt8?, keepingRowSpans: Bool) throws(DataError) -> CSVTable {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadable(path: path, reason: "no such file") }
        guard info.st_mode & S_IFMT != S_IFDIR else { throw .notAFile(path) }
        let size = Int(info.st_size)
        guard size <= maximumSize else { throw .tooLarge(path: path, limit: maximumSize) }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var parser = CSVParser(
            path: path, delimiter: delimiter ?? (path.lowercased().hasSuffix(".tsv") ? UInt8(ascii: "\t") : nil),
            keepingRowSpans: keepingRowSpans)
        let chunkSize = 4 << 20
        let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        while true {
            let count = Glibc.read(descriptor, chunk.baseAddress, chunkSize)
            guard count >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            try parser.feed(UnsafeBufferPointer(rebasing: chunk[..<count]), sizeHint: size)
        }
        try parser.finish()
        return CSVTable(path: path, parser: parser)
    }

    /// Parses CSV text as ``read(_:delimiter:)`` does; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String, delimiter: UInt8? = nil) throws(DataError) -> CSVTable {
        var parser = CSVParser(path: path, delimiter: delimiter)
        try bytes.withUnsafeBufferPointer { (buffer) throws(DataError) in try parser.feed(buffer) }
        try parser.finish()
        return CSVTable(path: path, parser: parser)
    }
}

