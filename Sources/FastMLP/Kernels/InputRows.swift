// Where the first layer's sparse kernels read a batch's input values: rows of floats, or the
// rows of bytes of an image set with the table that turns each byte into the float the dense
// path would have made of it (so the products are the same bits either way).

/// A batch's inputs, row by row, as the first layer's sparse kernels read them.
protocol InputRows {
    associatedtype Row: InputRow
    /// Row `i` of the batch, from its first input.
    func row(_ i: Int) -> Row
}

/// One row of inputs (or the part of it from some input on).
protocol InputRow {
    /// Input `s` of the row, as a float.
    subscript(_ s: Int) -> Float { get }
    /// The row from its input `n` on.
    func advanced(by n: Int) -> Self
}

/// Rows of floats, `ldx` apart.
struct FloatRows: InputRows {
    let base: UnsafePointer<Float>
    let ldx: Int

    @inline(__always) func row(_ i: Int) -> FloatRow { FloatRow(values: base + i &* ldx) }
}

/// One row of ``FloatRows``.
struct FloatRow: InputRow {
    let values: UnsafePointer<Float>

    @inline(__always) subscript(_ s: Int) -> Float { values[s] }
    @inline(__always) func advanced(by n: Int) -> FloatRow { FloatRow(values: values + n) }
}

/// Rows of bytes, `ldx` apart, each byte b standing for `values[b]`.
struct ByteRows: InputRows {
    let base: UnsafePointer<UInt8>
    let ldx: Int
    /// 256 floats: the value of each byte.
    let values: UnsafePointer<Float>

    @inline(__always) func row(_ i: Int) -> ByteRow { ByteRow(bytes: base + i &* ldx, values: values) }

    /// The rows from row `r` on.
    func from(row r: Int) -> ByteRows { ByteRows(base: base + r * ldx, ldx: ldx, values: values) }
}

/// One row of ``ByteRows``.
struct ByteRow: InputRow {
    let bytes: UnsafePointer<UInt8>
    let values: UnsafePointer<Float>

    @inline(__always) subscript(_ s: Int) -> Float { values[Int(bytes[s])] }
    @inline(__always) func advanced(by n: Int) -> ByteRow { ByteRow(bytes: bytes + n, values: values) }
}

/// The batch's inputs for the first layer's sparse kernels, either way they may be held.
enum SparseInputs {
    case floats(FloatRows)
    case bytes(ByteRows)
}
