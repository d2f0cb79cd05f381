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
        let directoryPath = directory.relativePath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw .missingDirectory(directoryPath)
        }
        guard isDirectory.boolValue else { throw .notADirectory(directoryPath) }

        let training = try loadSet(images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte", in: directory)
        let test = try loadSet(images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte", in: directory)
        return (training, test)
    }

    /// The copy of MNIST that ships in the repository (Data/mnist at the package root), located from `#filePath`
    /// of this source file; nil if it is not there.
    public static var bundledDirectory: URL? {
        // This file is <root>/Sources/FastMLP/Data/MNIST.swift.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        let directory = root.appendingPathComponent("Data/mnist", isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { return nil }
        return directory
    }

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
    private static func contents(of url: URL) throws(DataError) -> [UInt8] {
        let path = url.relativePath
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)
        } catch {
            throw .unreadable(path: path, reason: oneLine(error))
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else { throw .notAFile(path) }
        if let size = (attributes[.size] as? NSNumber)?.intValue, size > maximumFileSize {
            throw .tooLarge(path: path, limit: maximumFileSize)
        }

        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            throw .unreadable(path: path, reason: oneLine(error))
        }
        let isGzip = url.pathExtension == "gz" || (bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        guard isGzip else { return bytes }
        return try Gzip.decompress(bytes, path: path, maximumSize: maximumFileSize)
    }

    private static func oneLine(_ error: any Error) -> String {
        error.localizedDescription.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
