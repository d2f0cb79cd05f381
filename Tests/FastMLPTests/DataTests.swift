import Foundation
import Testing

@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

// MARK: - Fixtures

/// The repository's Data/mnist, found from this file: <root>/Tests/FastMLPTests/DataTests.swift.
private let mnistDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Data/mnist", isDirectory: true)

private let mnistFiles = [
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
]

private struct MNISTSets: Sendable {
    let training: Dataset
    let test: Dataset
}

/// The shipped MNIST, loaded once for all the tests that read it.
private let bundledMNIST = Result { () throws(DataError) -> MNISTSets in
    let (training, test) = try MNIST.load(from: mnistDirectory)
    return MNISTSets(training: training, test: test)
}

/// The decompressed contents of a shipped `.gz` file.
private func shippedBytes(_ name: String) throws -> [UInt8] {
    let path = mnistDirectory.appendingPathComponent(name + ".gz").path
    let compressed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    return try Gzip.decompress(compressed, path: path, maximumSize: MNIST.maximumFileSize)
}

private func shippedCompressedBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: mnistDirectory.appendingPathComponent(name + ".gz")))
}

/// Runs `body` on a fresh directory under the system temporary directory and removes it afterwards.
private func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("fastmlp-data-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

private func write(_ bytes: [UInt8], _ name: String, in directory: URL) throws {
    try Data(bytes).write(to: directory.appendingPathComponent(name))
}

/// An unsigned-byte IDX file: magic, type, rank, big-endian dimensions, payload.
private func idx(_ dimensions: [Int], _ payload: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
    for dimension in dimensions {
        bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: dimension >> $0) }
    }
    return bytes + payload
}

/// Three 2 × 3 training images labelled 5, 0, 9 and two test images labelled 7, 2; pixel values are their indices.
private let tinyTrainingPixels = (0..<18).map { UInt8($0) }
private let tinyTestPixels = (0..<12).map { UInt8(100 + $0) }

private func writeTinyMNIST(to directory: URL) throws {
    try write(idx([3, 2, 3], tinyTrainingPixels), "train-images-idx3-ubyte", in: directory)
    try write(idx([3], [5, 0, 9]), "train-labels-idx1-ubyte", in: directory)
    try write(idx([2, 2, 3], tinyTestPixels), "t10k-images-idx3-ubyte", in: directory)
    try write(idx([2], [7, 2]), "t10k-labels-idx1-ubyte", in: directory)
}

/// "abc" as a zlib stream with one stored block (header 78 01, Adler-32 0x024D0127).
private let zlibABC: [UInt8] = [0x78, 0x01, 0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63, 0x02, 0x4D, 0x01, 0x27]

/// "abc" as a gzip member with one stored block (CRC-32 0x352441C2, ISIZE 3).
private let gzipABC: [UInt8] =
    [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF]
    + [0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63]
    + [0xC2, 0x41, 0x24, 0x35, 0x03, 0x00, 0x00, 0x00]

/// The error `body` throws, or nil.
private func thrownError<R>(_ body: () throws(DataError) -> R) -> DataError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// Equality, except that zlib's wording of why a stream is corrupt is not pinned.
private func matches(_ error: DataError?, _ expected: DataError) -> Bool {
    if case .corruptGzip(let path, let reason)? = error, case .corruptGzip(let expectedPath, _) = expected {
        return path == expectedPath && !reason.isEmpty
    }
    return error == expected
}

// MARK: - Tables

/// FIPS 180-2 examples and the empty message: (text, repetitions, digest of the text repeated).
private let sha256Vectors: [(text: String, repetitions: Int, digest: String)] = [
    ("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    ("a", 1_000_000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
]

private let inconsistentParts:
    [(name: String, pixels: [UInt8], labels: [UInt8], rows: Int, columns: Int, classCount: Int)] = [
        ("pixel count", [UInt8](repeating: 0, count: 5), [0, 1], 1, 3, 2),
        ("label out of range", [UInt8](repeating: 0, count: 6), [0, 2], 1, 3, 2),
        ("zero rows", [], [], 0, 3, 2),
        ("zero classes", [UInt8](repeating: 0, count: 6), [0, 0], 1, 3, 0),
        ("too many classes", [UInt8](repeating: 0, count: 6), [0, 0], 1, 3, 257),
    ]

private let corruptStreams: [(name: String, stream: [UInt8])] = [
    ("wrong CRC", Array(gzipABC[0..<18]) + [0xC3] + Array(gzipABC[19...])),
    ("wrong length, claiming 4 GiB", Array(gzipABC[0..<22]) + [0xFF, 0xFF, 0xFF, 0xFF]),
    ("unknown compression method", [0x1F, 0x8B, 0x07] + Array(gzipABC[3...])),
    ("trailing garbage", gzipABC + [1, 2, 3]),
    ("not compressed", Array("hello, world".utf8)),
]

// MARK: - Corrupt inputs

extension DataTests {
    /// One way a data directory can be wrong, and the error `MNIST.load` must give for it.
    struct CorruptInput: Sendable, CustomTestStringConvertible {
        let name: String
        /// Damages a directory holding a valid tiny MNIST; returns the URL to load.
        let damage: @Sendable (URL) throws -> URL
        let expected: @Sendable (URL) -> DataError
        var testDescription: String { name }
    }
}

private let trainImages = "train-images-idx3-ubyte"
private let trainLabels = "train-labels-idx1-ubyte"
private let testImages = "t10k-images-idx3-ubyte"
private let testLabels = "t10k-labels-idx1-ubyte"

private func path(_ directory: URL, _ name: String) -> String { directory.appendingPathComponent(name).path }

/// Replaces the raw file `name` with `bytes`.
private func overwriting(_ name: String, with bytes: [UInt8]) -> @Sendable (URL) throws -> URL {
    { directory in
        try write(bytes, name, in: directory)
        return directory
    }
}

/// Replaces the raw file `name` with `name.gz` holding `bytes` (computed when the case runs).
private func gzipping(_ name: String, with bytes: @escaping @Sendable () throws -> [UInt8])
    -> @Sendable (URL) throws -> URL
{
    { directory in
        try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        try write(try bytes(), name + ".gz", in: directory)
        return directory
    }
}

private let corruptInputs: [DataTests.CorruptInput] = [
    .init(
        name: "empty file",
        damage: overwriting(trainLabels, with: []),
        expected: { .truncated(path: path($0, trainLabels), expected: 4, actual: 0) }),
    .init(
        name: "truncated header",
        damage: overwriting(trainImages, with: [0, 0, 8, 3, 0, 0, 0, 3, 0, 0]),
        expected: { .truncated(path: path($0, trainImages), expected: 16, actual: 10) }),
    .init(
        name: "truncated payload",
        damage: overwriting(trainImages, with: idx([3, 2, 3], Array(tinyTrainingPixels.dropLast()))),
        expected: { .truncated(path: path($0, trainImages), expected: 34, actual: 33) }),
    .init(
        name: "wrong magic",
        damage: overwriting(trainImages, with: [1] + idx([3, 2, 3], tinyTrainingPixels).dropFirst()),
        expected: { .badMagic(path: path($0, trainImages), detail: "first bytes are 0x01 0x00, expected 0x00 0x00") }),
    .init(
        name: "wrong type byte",
        damage: overwriting(trainImages, with: idx([3, 2, 3], tinyTrainingPixels, type: 0x0D)),
        expected: { .unsupportedType(path: path($0, trainImages), typeCode: 0x0D) }),
    .init(
        name: "zero dimension",
        damage: overwriting(trainImages, with: idx([3, 0, 3], [])),
        expected: { .badDimensions(path: path($0, trainImages), detail: "dimension 1 is zero") }),
    .init(
        name: "five dimensions",
        damage: overwriting(trainImages, with: idx([3, 1, 1, 2, 3], tinyTrainingPixels)),
        expected: { .badDimensions(path: path($0, trainImages), detail: "5 dimensions declared, expected 1 to 4") }),
    .init(
        name: "declared size far larger than the file",
        damage: overwriting(trainImages, with: idx([4_000_000_000, 28, 28], [])),
        expected: { .truncated(path: path($0, trainImages), expected: 16 + 4_000_000_000 * 784, actual: 16) }),
    .init(
        name: "declared size overflows",
        damage: overwriting(trainImages, with: idx([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], [])),
        expected: {
            .badDimensions(
                path: path($0, trainImages), detail: "dimensions 4294967295 × 4294967295 × 4294967295 overflow")
        }),
    .init(
        name: "trailing bytes",
        damage: overwriting(trainImages, with: idx([3, 2, 3], tinyTrainingPixels + [0])),
        expected: { .trailingBytes(path: path($0, trainImages), expected: 34, actual: 35) }),
    .init(
        name: "images not 3-D",
        damage: overwriting(trainImages, with: idx([3, 6], tinyTrainingPixels)),
        expected: {
            .badDimensions(
                path: path($0, trainImages), detail: "images have 2 dimensions, expected 3 (count × rows × columns)")
        }),
    .init(
        name: "labels not 1-D",
        damage: overwriting(trainLabels, with: idx([3, 1], [5, 0, 9])),
        expected: {
            .badDimensions(path: path($0, trainLabels), detail: "labels have 2 dimensions, expected 1 (count)")
        }),
    .init(
        name: "image and label counts differ",
        damage: overwriting(trainLabels, with: idx([2], [5, 0])),
        expected: {
            .countMismatch(
                imagesPath: path($0, trainImages), imageCount: 3, labelsPath: path($0, trainLabels), labelCount: 2)
        }),
    .init(
        name: "label 10",
        damage: overwriting(testLabels, with: idx([2], [7, 10])),
        expected: { .labelOutOfRange(path: path($0, testLabels), index: 1, value: 10, classCount: 10) }),
    .init(
        name: "missing directory",
        damage: { $0.appendingPathComponent("absent") },
        expected: { .missingDirectory(path($0, "absent")) }),
    .init(
        name: "file instead of a directory",
        damage: { $0.appendingPathComponent(trainLabels) },
        expected: { .notADirectory(path($0, trainLabels)) }),
    .init(
        name: "missing file",
        damage: {
            try FileManager.default.removeItem(at: $0.appendingPathComponent(testImages))
            return $0
        },
        expected: { .missingFile(name: testImages, directory: $0.path) }),
    .init(
        name: "directory where a file is expected",
        damage: {
            let file = $0.appendingPathComponent(trainLabels)
            try FileManager.default.removeItem(at: file)
            try FileManager.default.createDirectory(at: file, withIntermediateDirectories: false)
            return $0
        },
        expected: { .notAFile(path($0, trainLabels)) }),
    .init(
        name: "corrupt gzip",
        damage: gzipping(testLabels) {
            var bytes = try shippedCompressedBytes(testLabels)
            bytes[bytes.count - 6] ^= 0xFF  // inside the CRC-32
            return bytes
        },
        expected: { .corruptGzip(path: path($0, testLabels + ".gz"), reason: "") }),
    .init(
        name: "truncated gzip",
        damage: gzipping(testLabels) {
            let bytes = try shippedCompressedBytes(testLabels)
            return Array(bytes.prefix(bytes.count / 2))
        },
        expected: { .truncatedGzip(path: path($0, testLabels + ".gz")) }),
    .init(
        name: "empty gzip",
        damage: gzipping(testLabels) { [] },
        expected: { .truncatedGzip(path: path($0, testLabels + ".gz")) }),
]

// MARK: - Tests

/// IDX and gzip parsing, MNIST loading and `Dataset` operations.
@Suite struct DataTests {
    @Test(arguments: sha256Vectors)
    func sha256MatchesKnownVectors(text: String, repetitions: Int, digest: String) {
        let message = Array(String(repeating: text, count: repetitions).utf8)
        #expect(SHA256.hexDigest(message) == digest)
    }

    @Test(arguments: mnistFiles)
    func shippedFileDecompressesToPublishedDigest(name: String) throws {
        let sums = try String(contentsOf: mnistDirectory.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        let line = try #require(sums.split(separator: "\n").first { $0.hasSuffix("  " + name) })
        let expected = String(try #require(line.split(separator: " ").first))
        #expect(SHA256.hexDigest(try shippedBytes(name)) == expected)
    }

    @Test func bundledMNISTLoads() throws {
        let sets = try bundledMNIST.get()
        for (set, count) in [(sets.training, 60_000), (sets.test, 10_000)] {
            #expect(set.count == count)
            #expect(set.rows == 28 && set.columns == 28 && set.featureCount == 784)
            #expect(set.classCount == 10)
            #expect(set.pixels.count == count * 784)
            #expect(set.labels.count == count)
            #expect(set.labels.allSatisfy { $0 < 10 })
        }
        #expect(Array(sets.training.labels.prefix(5)) == [5, 0, 4, 1, 9])
        #expect(Array(sets.test.labels.prefix(5)) == [7, 2, 1, 0, 4])

        func classCounts(_ labels: [UInt8]) -> [Int] {
            labels.reduce(into: [Int](repeating: 0, count: 10)) { $0[Int($1)] += 1 }
        }
        #expect(classCounts(sets.training.labels) == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        #expect(classCounts(sets.test.labels) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        // The first training image (a "5"): background corners, ink in the middle.
        #expect(sets.training.pixels[0] == 0 && sets.training.pixels[783] == 0)
        #expect(sets.training.pixels[0..<784].max() == 255)
    }

    @Test func bundledDirectoryIsTheRepositoryCopy() throws {
        let directory = try #require(MNIST.bundledDirectory)
        #expect(directory.standardizedFileURL.path == mnistDirectory.standardizedFileURL.path)
    }

    @Test func rawFilesLoadLikeCompressedOnes() throws {
        let bundled = try bundledMNIST.get()
        let loaded = try withTemporaryDirectory { directory in
            for name in mnistFiles {
                // One file in the alternative `train-images.idx3-ubyte` spelling.
                let fileName = name == "train-images-idx3-ubyte" ? "train-images.idx3-ubyte" : name
                try write(try shippedBytes(name), fileName, in: directory)
            }
            return try MNIST.load(from: directory)
        }
        #expect(loaded.training == bundled.training)
        #expect(loaded.test == bundled.test)
    }

    @Test func tinyRawFilesLoadExactly() throws {
        let (training, test) = try withTemporaryDirectory { directory in
            try writeTinyMNIST(to: directory)
            return try MNIST.load(from: directory)
        }
        let expectedTraining = try Dataset(
            pixels: tinyTrainingPixels, labels: [5, 0, 9], rows: 2, columns: 3, classCount: 10)
        let expectedTest = try Dataset(pixels: tinyTestPixels, labels: [7, 2], rows: 2, columns: 3, classCount: 10)
        #expect(training == expectedTraining)
        #expect(test == expectedTest)
    }

    @Test("a batch kept in bytes becomes the same floats as a float gather and the byte table, every byte value, with a tail")
    func pixelBatchConvertsLikeGather() throws {
        // 8 images of 5 × 7 = 35 pixels: two whole vectors and a tail of 3 each, and all 256
        // byte values among them.
        let width = 35, images = 8
        let pixels = (0..<images * width).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(Set(pixels).count == 256)
        let data = try Dataset(
            pixels: pixels, labels: (0..<images).map { UInt8($0) }, rows: 5, columns: 7, classCount: 10)
        let order: [Int32] = [3, 0, 7, 5, 1, 6, 2, 4]
        var floats = [Float](repeating: .nan, count: images * width)
        var converted = [Float](repeating: .nan, count: images * width)
        var labels = [Int32](repeating: -1, count: images), byteLabels = labels
        let batch = PixelBatch(width: width, capacity: images)
        order.withUnsafeBufferPointer { order in
            floats.withUnsafeMutableBufferPointer { floats in
                labels.withUnsafeMutableBufferPointer { data.gather(order, into: floats.baseAddress!, labels: $0.baseAddress!) }
            }
            byteLabels.withUnsafeMutableBufferPointer { data.gather(order, intoBytes: batch.bytes, labels: $0.baseAddress!) }
        }
        converted.withUnsafeMutableBufferPointer { batch.convert(0..<images, into: $0.baseAddress!) }
        #expect(labels == order.map { Int32($0) } && byteLabels == labels)
        #expect(converted.map(\.bitPattern) == floats.map(\.bitPattern))
        for (r, image) in order.enumerated() {
            for j in 0..<width {
                let byte = pixels[Int(image) * width + j]
                #expect(batch.bytes[r * width + j] == byte)
                #expect(floats[r * width + j].bitPattern == batch.values[Int(byte)].bitPattern)
            }
        }
    }

    @Test func keepingOneAndSevenFromMNIST() throws {
        let bundled = try bundledMNIST.get()
        for (set, ones, sevens) in [(bundled.training, 6742, 6265), (bundled.test, 1135, 1028)] {
            let kept = try set.keeping(classes: [1, 7])
            #expect(kept.count == ones + sevens)
            #expect(kept.classCount == 2)
            #expect(kept.rows == 28 && kept.columns == 28)
            #expect(kept.labels.filter { $0 == 0 }.count == ones)
            #expect(kept.labels.filter { $0 == 1 }.count == sevens)

            let sources = set.labels.indices.filter { set.labels[$0] == 1 || set.labels[$0] == 7 }
            #expect(kept.labels == sources.map { set.labels[$0] == 1 ? 0 : 1 })
            #expect(kept.pixels == sources.flatMap { set.pixels[$0 * 784..<($0 + 1) * 784] })
        }
    }

    @Test func keepingRelabelsByPositionInOrder() throws {
        let pixels = (0..<10).map { UInt8($0) }
        let set = try Dataset(pixels: pixels, labels: [0, 1, 2, 1, 0], rows: 1, columns: 2, classCount: 3)
        let kept = try set.keeping(classes: [1, 0])
        let expected = try Dataset(
            pixels: [0, 1, 2, 3, 6, 7, 8, 9], labels: [1, 0, 0, 1], rows: 1, columns: 2, classCount: 2)
        #expect(kept == expected)
        let none = try set.keeping(classes: [2])
        #expect(none.count == 1 && none.labels == [0] && none.pixels == [4, 5] && none.classCount == 1)
    }

    @Test(arguments: [[], [1, 1], [3], [-1], [0, 2, 0]])
    func keepingRejectsInvalidClasses(classes: [Int]) throws {
        let set = try Dataset(pixels: [1, 2, 3], labels: [0, 1, 2], rows: 1, columns: 1, classCount: 3)
        let error = thrownError { () throws(DataError) in try set.keeping(classes: classes) }
        guard case .invalidClasses(let detail)? = error else {
            Issue.record("expected invalidClasses, got \(String(describing: error))")
            return
        }
        #expect(!detail.isEmpty)
    }

    @Test func prefixClampsToCount() throws {
        let set = try Dataset(pixels: [0, 1, 2, 3, 4, 5], labels: [2, 0, 1], rows: 2, columns: 1, classCount: 3)
        let firstTwo = try Dataset(pixels: [0, 1, 2, 3], labels: [2, 0], rows: 2, columns: 1, classCount: 3)
        #expect(set.prefix(2) == firstTwo)
        #expect(set.prefix(3) == set)
        #expect(set.prefix(100) == set)
        #expect(set.prefix(0).count == 0 && set.prefix(0).pixels.isEmpty)
        #expect(set.prefix(-1).count == 0)
    }

    @Test(arguments: inconsistentParts)
    func datasetRejectsInconsistentParts(
        name: String, pixels: [UInt8], labels: [UInt8], rows: Int, columns: Int, classCount: Int
    ) {
        let error = thrownError { () throws(DataError) in
            try Dataset(pixels: pixels, labels: labels, rows: rows, columns: columns, classCount: classCount)
        }
        guard case .invalidDataset? = error else {
            Issue.record("\(name): expected invalidDataset, got \(String(describing: error))")
            return
        }
    }

    @Test func idxParsesBigEndianDimensions() throws {
        let payload = (0..<(2 * 258)).map { UInt8(truncatingIfNeeded: $0) }
        let array = try IDX.parse(idx([1, 2, 258], payload), path: "x")
        #expect(array.dimensions == [1, 2, 258])
        #expect(array.bytes == payload)
    }

    @Test(arguments: [(zlibABC, "zlib"), (gzipABC, "gzip"), (gzipABC + gzipABC, "two gzip members")])
    func gzipDecompressesHandmadeStreams(stream: [UInt8], format: String) throws {
        let expected = Array("abc".utf8)
        let output = try Gzip.decompress(stream, path: format, maximumSize: 100)
        #expect(output == (stream.count > gzipABC.count ? expected + expected : expected), "\(format)")
    }

    @Test func gzipConcatenatedShippedMembers() throws {
        let compressed = try shippedCompressedBytes("t10k-labels-idx1-ubyte")
        let raw = try shippedBytes("t10k-labels-idx1-ubyte")
        let output = try Gzip.decompress(compressed + compressed, path: "x", maximumSize: MNIST.maximumFileSize)
        #expect(output == raw + raw)
    }

    @Test("a gzip file read in chunks of any size gives what the bytes in memory give, errors included")
    func gzipFromFileInChunks() throws {
        let compressed = try shippedCompressedBytes("t10k-labels-idx1-ubyte")
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cases: [(String, [UInt8])] = [
            ("two members", compressed + compressed), ("one member", compressed), ("handmade", gzipABC + gzipABC),
            ("truncated", Array(compressed.dropLast(9))), ("trailing bytes", compressed + [0x1F]),
            ("trailing garbage", compressed + [1, 2, 3]), ("corrupt", Array(compressed.prefix(40)) + [UInt8](repeating: 0xFF, count: 60)),
        ]
        for (name, bytes) in cases {
            let url = directory.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            let expected = Result { () throws(DataError) -> [UInt8] in
                try Gzip.decompress(bytes, path: url.path, maximumSize: MNIST.maximumFileSize)
            }
            let descriptor = open(url.path, O_RDONLY)
            defer { close(descriptor) }
            // Chunk boundaries land everywhere, the next member's magic split across two reads included.
            for chunk in [2, 3, 7, 64, 4517, 4518, 1 << 20] {
                let actual = Result { () throws(DataError) -> [UInt8] in
                    try Gzip.decompress(
                        file: descriptor, size: bytes.count, path: url.path, maximumSize: MNIST.maximumFileSize, chunkSize: chunk)
                }
                let same = actual == expected  // not the bytes themselves in a failure message
                #expect(same, "\(name), chunks of \(chunk)")
            }
        }
    }

    @Test func gzipEnforcesMaximumSize() throws {
        let compressed = try shippedCompressedBytes("t10k-labels-idx1-ubyte")
        let raw = try shippedBytes("t10k-labels-idx1-ubyte")
        #expect(try Gzip.decompress(compressed, path: "x", maximumSize: raw.count) == raw)
        #expect(throws: DataError.tooLarge(path: "x", limit: raw.count - 1)) {
            try Gzip.decompress(compressed, path: "x", maximumSize: raw.count - 1)
        }
        for limit in [0, 1, 2] {
            #expect(throws: DataError.tooLarge(path: "x", limit: limit)) {
                try Gzip.decompress(gzipABC, path: "x", maximumSize: limit)
            }
        }
        #expect(try Gzip.decompress(gzipABC, path: "x", maximumSize: 3) == Array("abc".utf8))
    }

    @Test func gzipReportsEveryTruncation() {
        for length in 0..<gzipABC.count {
            let error = thrownError { () throws(DataError) in
                try Gzip.decompress(Array(gzipABC.prefix(length)), path: "x", maximumSize: 100)
            }
            #expect(error == .truncatedGzip(path: "x"), "prefix of \(length) bytes")
        }
    }

    @Test(arguments: corruptStreams)
    func gzipReportsCorruptStreams(name: String, stream: [UInt8]) {
        let error = thrownError { () throws(DataError) in try Gzip.decompress(stream, path: "x", maximumSize: 100) }
        #expect(matches(error, .corruptGzip(path: "x", reason: "")), "\(name): \(String(describing: error))")
    }

    @Test(arguments: corruptInputs)
    func corruptInputIsRefused(input: CorruptInput) throws {
        try withTemporaryDirectory { directory in
            try writeTinyMNIST(to: directory)
            let target = try input.damage(directory)
            let error = thrownError { () throws(DataError) in try MNIST.load(from: target) }
            let expected = input.expected(directory)
            #expect(matches(error, expected), "got \(String(describing: error)), expected \(expected)")
            let description = try #require(error).description
            #expect(description.hasPrefix(directory.path))
            #expect(!description.contains("\n"))
        }
    }
}
