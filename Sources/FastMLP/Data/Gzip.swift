import CZlib

/// Decompression of gzip and zlib streams through zlib's `inflate`.
enum Gzip {
    /// Inflates `bytes`, a gzip stream (one or more concatenated members) or a zlib stream; the header decides which.
    ///
    /// The output starts at an estimate (the gzip trailer's size field, bounded by deflate's maximal ratio and by
    /// `maximumSize`), grows geometrically, and is never allocated beyond `maximumSize + 1` bytes: the one extra
    /// byte is how an over-long stream is detected. `path` only names the file in errors.
    static func decompress(_ bytes: [UInt8], path: String, maximumSize: Int) throws(DataError) -> [UInt8] {
        guard !bytes.isEmpty else { throw .truncatedGzip(path: path) }
        let limit = max(0, maximumSize)

        // zlib keeps a pointer back to its z_stream and checks it on every call, so the stream must not move.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        // 15 + 32: the largest window, with gzip or zlib header detection.
        let status = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw .corruptGzip(path: path, reason: "zlib could not be initialised (error \(status))")
        }
        defer { inflateEnd(stream) }

        let result = bytes.withUnsafeBufferPointer { input -> Result<[UInt8], DataError> in
            Result { () throws(DataError) -> [UInt8] in
                try inflateAll(stream, input: input, path: path, limit: limit)
            }
        }
        return try result.get()
    }

    /// The first allocation: the gzip trailer's ISIZE (the last member's length mod 2³²) when it is plausible,
    /// otherwise a multiple of the input; always within 1...limit + 1.
    private static func initialCapacity(_ input: UnsafeBufferPointer<UInt8>, limit: Int) -> Int {
        let ceiling = limit == Int.max ? limit : limit + 1
        // Deflate cannot expand by more than about 1032:1.
        let (plausibleMaximum, overflow) = input.count.multipliedReportingOverflow(by: 1032)
        let bound = overflow ? ceiling : min(ceiling, plausibleMaximum)
        var estimate = 0
        if input.count >= 18, input[0] == 0x1F, input[1] == 0x8B {
            let end = input.count
            estimate = Int(input[end - 4]) | Int(input[end - 3]) << 8 | Int(input[end - 2]) << 16
                | Int(input[end - 1]) << 24
        }
        if estimate == 0 {
            let (scaled, overflow) = input.count.multipliedReportingOverflow(by: 4)
            estimate = overflow ? bound : max(scaled, 1 << 16)
        }
        return max(1, min(estimate, bound))
    }

    private static func inflateAll(
        _ stream: UnsafeMutablePointer<z_stream>, input: UnsafeBufferPointer<UInt8>, path: String, limit: Int
    ) throws(DataError) -> [UInt8] {
        guard let inputBase = input.baseAddress else { throw .truncatedGzip(path: path) }
        let ceiling = limit == Int.max ? limit : limit + 1
        let chunkLimit = Int(UInt32.max)
        var output = [UInt8](repeating: 0, count: initialCapacity(input, limit: limit))
        var produced = 0
        var fed = 0  // input bytes handed to zlib so far

        while true {
            if stream.pointee.avail_in == 0, fed < input.count {
                let chunk = min(input.count - fed, chunkLimit)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBase + fed)
                stream.pointee.avail_in = UInt32(chunk)
                fed += chunk
            }
            if produced == output.count {
                guard output.count < ceiling else { throw .tooLarge(path: path, limit: limit) }
                let (doubled, overflow) = output.count.multipliedReportingOverflow(by: 2)
                let grown = overflow ? ceiling : min(max(doubled, 1 << 16), ceiling)
                output.append(contentsOf: repeatElement(0, count: grown - output.count))
            }
            let room = min(output.count - produced, chunkLimit)
            let code = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let outputBase = buffer.baseAddress else { return Z_BUF_ERROR }
                stream.pointee.next_out = outputBase + produced
                stream.pointee.avail_out = UInt32(room)
                return inflate(stream, Z_NO_FLUSH)
            }
            produced += room - Int(stream.pointee.avail_out)
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
            if produced > limit { throw .tooLarge(path: path, limit: limit) }

            switch code {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let remaining = Int(stream.pointee.avail_in) + (input.count - fed)
                if remaining == 0 {
                    output.removeLast(output.count - produced)
                    return output
                }
                // Concatenated gzip members decompress to the concatenation of their contents.
                let next = input.count - remaining
                if remaining >= 2, input[next] == 0x1F, input[next + 1] == 0x8B, inflateReset(stream) == Z_OK {
                    continue
                }
                throw .corruptGzip(path: path, reason: "\(remaining) unexpected bytes after the end of the stream")
            case Z_BUF_ERROR:
                // No progress was possible; output room is always available, so the input ran out.
                if stream.pointee.avail_in == 0, fed == input.count { throw .truncatedGzip(path: path) }
                throw .corruptGzip(path: path, reason: "zlib made no progress")
            case Z_DATA_ERROR:
                throw .corruptGzip(path: path, reason: message(stream) ?? "invalid compressed data")
            case Z_NEED_DICT:
                throw .corruptGzip(path: path, reason: "stream requires a preset dictionary")
            case Z_MEM_ERROR:
                throw .unreadable(path: path, reason: "out of memory while decompressing")
            default:
                throw .corruptGzip(path: path, reason: message(stream) ?? "zlib error \(code)")
            }
        }
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>) -> String? {
        guard let text = stream.pointee.msg else { return nil }
        return String(cString: text)
    }
}
