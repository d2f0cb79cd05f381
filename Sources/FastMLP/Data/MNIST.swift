import Foundation

/// The MNIST handwritten digits: 60,000 training and 10,000 test images of 28 × 28 bytes, labels 0...9.
public enum MNIST {
    /// Files above this size (after decompression) are refused; MNIST's largest is 47 MB.
    static let maximumFileSize = 1 << 30
    static let classCount = 10

    /// Loads the four standard IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`), each either raw or with a `.gz` suffix (the
    /// `train-images.idx3-ubyte` spelling is accepted too), from `directory`.
    ///
    /// Images must be 3-dimensional (count × rows × columns), labels 1-dimensional with the same count and every
    /// label below 10. Errors name the offending file or directory.
    public static func load(from directory: URL) throws(DataError) -> (training: Dataset, test: Dataset) {
        let training = try loadTraining(from: directory)
        let test = try loadSet(images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte", in: directory)
        return (training, test)
    }

    /// Loads the 60,000 training images and labels alone, as ``load(from:)`` does (for a run that
    /// never evaluates, such as a throughput benchmark).
    @_spi(Benchmarks) public static func loadTraining(from directory: URL) throws(DataError) -> Dataset {
        try checkDirectory(directory)
        return try loadSet(images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte", in: directory)
    }

    private static func checkDirectory(_ directory: URL) throws(DataError) {
        let directoryPath = directory.relativePath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw .missingDirectory(directoryPath)
        }
        guard isDirectory.boolValue else { throw .notADirectory(directoryPath) }
    }

    /// Where ``bundledDirectory`` looks: `Data/mnist` in the source tree this library was built
    /// from, whether or not it is there.
    @_spi(Tools) public static var bundledDirectoryLocation: URL {
        SourceTree.root.appendingPathComponent("Data/mnist", isDirectory: true)
    }

    /// The copy of MNIST that ships in the repository (Data/mnist at the package root), located from `#filePath`
    /// of this source file; nil if it is not there.
    public static var bundledDirectory: URL? { SourceTree.directory("Data/mnist") }

    private static func loadSet(images imagesName: String, labels labelsName: String, in directory: URL)
        throws(DataError) -> Dataset
    {
        let imagesURL = try locate(imagesName, in: directory)
        let labelsURL = try locate(labelsName, in: directory)
        let imagesPath = imagesURL.relativePath
        let labelsPath = labelsURL.relativePath

        // Each buffer is handed straight to the parser, which strips the header in place: one copy of the pixels.
        let images = try IDX.parse(try contents(of: imagesURL), path: imagesPath)
        guard images.dimensions.count == 3 else {
            throw .badDimensions(
                path: imagesPath,
                detail: "images have \(images.dimensions.count) dimensions, expected 3 (count × rows × columns)")
        }
        let labels = try IDX.parse(try contents(of: labelsURL), path: labelsPath)
        guard labels.dimensions.count == 1 else {
            throw .badDimensions(
                path: labelsPath, detail: "labels have \(labels.dimensions.count) dimensions, expected 1 (count)")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw .countMismatch(
                imagesPath: imagesPath, imageCount: images.dimensions[0], labelsPath: labelsPath,
                labelCount: labels.dimensions[0])
        }
        if let index = labels.bytes.firstIndex(where: { Int($0) >= classCount }) {
            throw .labelOutOfRange(
                path: labelsPath, index: index, value: Int(labels.bytes[index]), classCount: classCount)
        }
        return try Dataset(
            pixels: images.bytes, labels: labels.bytes, rows: images.dimensions[1], columns: images.dimensions[2],
            classCount: classCount)
    }

    /// The first existing spelling of `name` in `directory`: raw, `.gz`, then with `.idx` for `-idx`.
    private static func locate(_ name: String, in directory: URL) throws(DataError) -> URL {
        let alternative = name.replacingOccurrences(of: "-idx", with: ".idx")
        for candidate in [name, name + ".gz", alternative, alternative + ".gz"] {
            let url = directory.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw .missingFile(name: name, directory: directory.relativePath)
    }

    /// The file's bytes, inflated when the name ends in `.gz` or the contents start with the gzip magic.
    /// Read straight from the descriptor, and inflated as it is read: the peak memory is the result.
    private static func contents(of url: URL) throws(DataError) -> [UInt8] {
        let path = url.relativePath
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notAFile(path) }
        let size = Int(status.st_size)
        guard size <= maximumFileSize else { throw .tooLarge(path: path, limit: maximumFileSize) }

        var magic: (UInt8, UInt8) = (0, 0)
        let isGzip = url.pathExtension == "gz"
            || (size >= 2 && withUnsafeMutableBytes(of: &magic) { pread(descriptor, $0.baseAddress, 2, 0) } == 2
                && magic == (0x1F, 0x8B))
        if isGzip {
            return try Gzip.decompress(file: descriptor, size: size, path: path, maximumSize: maximumFileSize)
        }
        var failure: DataError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let n = pread(descriptor, buffer.baseAddress! + count, size - count, off_t(count))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    failure = .unreadable(
                        path: path, reason: n < 0 ? String(cString: strerror(errno)) : "the file changed while it was read")
                    return
                }
                count += n
            }
        }
        if let failure { throw failure }
        return bytes
    }
}
