/// An IDX array of unsigned bytes: its dimensions, outermost first, and its payload in row-major order.
struct IDXArray {
    let dimensions: [Int]
    let bytes: [UInt8]
}

/// The IDX format (LeCun's MNIST files): two zero bytes, an element-type byte, a dimension-count byte, one
/// big-endian `UInt32` per dimension, then the elements. Only unsigned bytes (type 0x08) are supported.
enum IDX {
    static let unsignedByte: UInt8 = 0x08

    /// Parses a complete IDX file; the payload must be exactly the product of the dimensions.
    ///
    /// The declared size is checked against the bytes present before anything is allocated. `bytes` is consumed so
    /// the header can be removed in place: pass the last use of a buffer to avoid copying the payload.
    static func parse(_ bytes: consuming [UInt8], path: String) throws(DataError) -> IDXArray {
        guard bytes.count >= 4 else { throw .truncated(path: path, expected: 4, actual: bytes.count) }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw .badMagic(path: path, detail: "first bytes are \(hex(bytes[0])) \(hex(bytes[1])), expected 0x00 0x00")
        }
        guard bytes[2] == unsignedByte else { throw .unsupportedType(path: path, typeCode: bytes[2]) }
        let rank = Int(bytes[3])
        guard (1...4).contains(rank) else {
            throw .badDimensions(path: path, detail: "\(rank) dimensions declared, expected 1 to 4")
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw .truncated(path: path, expected: headerSize, actual: bytes.count)
        }

        var dimensions: [Int] = []
        dimensions.reserveCapacity(rank)
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            let value = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
            guard value > 0 else { throw .badDimensions(path: path, detail: "dimension \(axis) is zero") }
            dimensions.append(value)
        }
        let shape = dimensions.map(String.init).joined(separator: " × ")

        var elementCount = 1
        for dimension in dimensions {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .badDimensions(path: path, detail: "dimensions \(shape) overflow") }
            elementCount = product
        }
        let (expected, overflow) = headerSize.addingReportingOverflow(elementCount)
        guard !overflow else { throw .badDimensions(path: path, detail: "dimensions \(shape) overflow") }
        guard bytes.count >= expected else { throw .truncated(path: path, expected: expected, actual: bytes.count) }
        guard bytes.count == expected else {
            throw .trailingBytes(path: path, expected: expected, actual: bytes.count)
        }

        bytes.removeSubrange(0..<headerSize)
        return IDXArray(dimensions: dimensions, bytes: bytes)
    }

    /// `0x0D (32-bit float)` and the like, for error messages.
    static func typeDescription(_ code: UInt8) -> String {
        let name: String? =
            switch code {
            case 0x08: "unsigned byte"
            case 0x09: "signed byte"
            case 0x0B: "16-bit integer"
            case 0x0C: "32-bit integer"
            case 0x0D: "32-bit float"
            case 0x0E: "64-bit float"
            default: nil
            }
        return name.map { "\(hex(code)) (\($0))" } ?? "\(hex(code)) (unknown)"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "0x" + (digits.count == 1 ? "0" + digits : digits)
    }
}
