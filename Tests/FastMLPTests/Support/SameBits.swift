import Testing

/// Expects `actual` to hold `expected`'s floats bit for bit (so −0 differs from +0, and a NaN
/// matches only the same NaN). A failure says how many elements differ and shows the first,
/// rather than the two arrays: for arrays of model size the test library would print and diff
/// them for minutes.
func expectSameBits(
    _ actual: [Float], _ expected: [Float], _ note: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    let differing = zip(actual, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
    let detail = differing.first.map { index, pair in
        ", the first at \(index): \(pair.0) (0x\(String(pair.0.bitPattern, radix: 16))) against \(pair.1) (0x\(String(pair.1.bitPattern, radix: 16)))"
    } ?? ""
    #expect(
        actual.count == expected.count && differing.isEmpty,
        "\(note.isEmpty ? "" : note + ": ")\(actual.count) against \(expected.count) elements, \(differing.count) differ\(detail)",
        sourceLocation: sourceLocation)
}
