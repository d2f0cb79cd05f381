/// Why a data file could not be used.
///
/// Every description is one line that names the file (or directory) and what was wrong, e.g.
/// "Data/x/train-labels-idx1-ubyte.gz: label 12 at index 5 is out of range 0..<10". Sizes are byte counts of the
/// decompressed contents when the file is gzip-compressed.
public enum DataError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The directory does not exist.
    case missingDirectory(String)
    /// The path exists but is not a directory.
    case notADirectory(String)
    /// None of the accepted spellings of `name` (raw or `.gz`) is in `directory`.
    case missingFile(name: String, directory: String)
    /// The path is a directory (or another non-file) where a file is expected.
    case notAFile(String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The gzip (or zlib) stream is malformed; `reason` is zlib's message.
    case corruptGzip(path: String, reason: String)
    /// The gzip (or zlib) stream ends before its end marker.
    case truncatedGzip(path: String)
    /// The contents (after decompression) exceed `limit` bytes.
    case tooLarge(path: String, limit: Int)
    /// The first two bytes are not the IDX magic zeros.
    case badMagic(path: String, detail: String)
    /// The IDX element type is not 0x08 (unsigned byte).
    case unsupportedType(path: String, typeCode: UInt8)
    /// The IDX dimensions are malformed or do not fit the expected shape.
    case badDimensions(path: String, detail: String)
    /// The contents are shorter than the header or the declared dimensions require.
    case truncated(path: String, expected: Int, actual: Int)
    /// The contents are longer than the declared dimensions allow.
    case trailingBytes(path: String, expected: Int, actual: Int)
    /// The image and label files hold different numbers of samples.
    case countMismatch(imagesPath: String, imageCount: Int, labelsPath: String, labelCount: Int)
    /// A label is not in `0..<classCount`.
    case labelOutOfRange(path: String, index: Int, value: Int, classCount: Int)
    /// A class selection is empty, repeats a class or names a class the dataset does not have.
    case invalidClasses(String)
    /// In-memory dataset parts are inconsistent (sizes, shape or label range).
    case invalidDataset(String)
    /// A CSV cell or line that cannot be used: 1-based line, the column's name (or number), why.
    case csv(path: String, line: Int, column: String?, reason: String)

    public var description: String {
        switch self {
        case .csv(let path, let line, let column, let reason):
            "\(path): line \(line)" + (column.map { ", column '\($0)'" } ?? "") + ": \(reason)"
        case .missingDirectory(let path):
            "\(path): no such directory"
        case .notADirectory(let path):
            "\(path): not a directory"
        case .missingFile(let name, let directory):
            "\(directory): \(name) not found (looked for it raw and with a .gz suffix)"
        case .notAFile(let path):
            "\(path): not a regular file"
        case .unreadable(let path, let reason):
            "\(path): cannot be read: \(reason)"
        case .corruptGzip(let path, let reason):
            "\(path): corrupt gzip data: \(reason)"
        case .truncatedGzip(let path):
            "\(path): gzip data ends before the end of the compressed stream (truncated file?)"
        case .tooLarge(let path, let limit):
            "\(path): contents exceed the limit of \(limit) bytes"
        case .badMagic(let path, let detail):
            "\(path): not an IDX file: \(detail)"
        case .unsupportedType(let path, let typeCode):
            "\(path): IDX element type \(IDX.typeDescription(typeCode)) is not supported, only 0x08 (unsigned byte)"
        case .badDimensions(let path, let detail):
            "\(path): \(detail)"
        case .truncated(let path, let expected, let actual):
            "\(path): truncated: expected \(expected) bytes, found \(actual)"
        case .trailingBytes(let path, let expected, let actual):
            "\(path): \(actual - expected) trailing bytes after the data (expected \(expected) bytes, found \(actual))"
        case .countMismatch(let imagesPath, let imageCount, let labelsPath, let labelCount):
            "\(imagesPath): \(imageCount) images, but \(labelsPath) has \(labelCount) labels"
        case .labelOutOfRange(let path, let index, let value, let classCount):
            "\(path): label \(value) at index \(index) is out of range 0..<\(classCount)"
        case .invalidClasses(let detail):
            "invalid class selection: \(detail)"
        case .invalidDataset(let detail):
            "invalid dataset: \(detail)"
        }
    }
}
