import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decompression of gzip and zlib streams through zlib's `inflate`.
enum Gzip {
    /// Inflates `bytes`, a gzip stream (one or more concatenated members) or a zlib stream; the header decides which.
    ///
    /// The output starts at an estimate (the gzip trailer's size field, bounded by deflate's maximal ratio and by
    /// `maximumSize`), grows geometrically, and is never allocated beyond `maximumSize + 1` bytes: the one extra
    /// byte is how an over-long stream is detected. `path` only names the file in errors.
    static func decompress(_ bytes: [UInt8], path: String, maximumSize: Int) throws(DataError) -> [UInt8] {
        guard !bytes.isEmpty else { throw .truncatedGzip(path: path) }
        let result = bytes.withUnsafeBufferPointer { input -> Result<[UInt8], DataError> in
            Result { () throws(DataError) -> [UInt8] in
                var source = Source(memory: input)
                return try inflateAll(&source, path: path, limit: max(0, maximumSize))
            }
        }
        return try result.get()
    }

    /// Inflates the open file `descriptor`, `size` bytes long, as ``decompress(_:path:maximumSize:)`` does,
    /// reading it 1 MiB at a time: the compressed bytes are never in memory whole, so the peak is the output.
    /// `chunkSize` is the read size (tests make it tiny, to put every boundary everywhere).
    static func decompress(
        file descriptor: Int32, size: Int, path: String, maximumSize: Int, chunkSize: Int = 1 << 20
    ) throws(DataError) -> [UInt8] {
        guard size > 0 else { throw .truncatedGzip(path: path) }
        var source = try Source(file: descriptor, size: size, path: path, chunkSize: max(2, chunkSize))
        defer { source.release() }
        return try inflateAll(&source, path: path, limit: max(0, maximumSize))
    }

    /// Where the compressed bytes come from: one buffer in memory, or a file read in chunks into a
    /// buffer of its own. `total` is the whole input's length and `fed` how much has been handed out.
    private struct Source {
        let total: Int
        private(set) var fed = 0
        /// The first two and the last four bytes, for the size estimate.
        let head: (UInt8, UInt8)
        let tail: (UInt8, UInt8, UInt8, UInt8)
        private let memory: UnsafeBufferPointer<UInt8>?
        private let descriptor: Int32
        private let buffer: UnsafeMutableBufferPointer<UInt8>?
        private let path: String

        init(memory: UnsafeBufferPointer<UInt8>) {
            total = memory.count
            self.memory = memory
            descriptor = -1
            buffer = nil
            path = ""
            let n = memory.count
            head = n >= 2 ? (memory[0], memory[1]) : (0, 0)
            tail = n >= 4 ? (memory[n - 4], memory[n - 3], memory[n - 2], memory[n - 1]) : (0, 0, 0, 0)
        }

        init(file: Int32, size: Int, path: String, chunkSize: Int) throws(DataError) {
            total = size
            memory = nil
            descriptor = file
            self.path = path
            var first: (UInt8, UInt8) = (0, 0), last: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
            if size >= 2 { try Self.readExactly(file, into: &first, at: 0, path: path) }
            if size >= 4 { try Self.readExactly(file, into: &last, at: size - 4, path: path) }
            head = first
            tail = last
            buffer = .allocate(capacity: chunkSize)
        }

        func release() { buffer?.deallocate() }

        private static func readExactly<T>(_ file: Int32, into value: inout T, at offset: Int, path: String) throws(DataError) {
            let wanted = MemoryLayout<T>.size
            let got = withUnsafeMutableBytes(of: &value) { pread(file, $0.baseAddress, wanted, off_t(offset)) }
            guard got == wanted else { throw .unreadable(path: path, reason: "the file changed while it was read") }
        }

        /// The next piece of input after `kept` (unconsumed bytes of the previous piece, which it
        /// starts with), or nil at the end.
        mutating func next(keeping kept: UnsafeBufferPointer<UInt8>? = nil) throws(DataError) -> UnsafeBufferPointer<UInt8>? {
            if let memory {
                guard fed == 0 else { return nil }
                fed = total
                return memory
            }
            guard let buffer, let base = buffer.baseAddress else { return nil }
            var filled = 0
            if let kept, let from = kept.baseAddress, kept.count > 0 {
                base.update(from: from, count: kept.count)  // kept lies past this range: no overlap
                filled = kept.count
            }
            guard fed < total else { return filled > 0 ? UnsafeBufferPointer(start: base, count: filled) : nil }
            let wanted = min(buffer.count - filled, total - fed)
            var got = 0
            while got < wanted {
                let n = pread(descriptor, base + filled + got, wanted - got, off_t(fed + got))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    throw .unreadable(
                        path: path, reason: n < 0 ? String(cString: strerror(errno)) : "the file changed while it was read")
                }
                got += n
            }
            fed += got
            return UnsafeBufferPointer(start: base, count: filled + got)
        }
    }

    /// The first allocation: the gzip trailer's ISIZE (the last member's length mod 2³²) when it is plausible,
    /// otherwise a multiple of the input; always within 1...limit + 1.
    private static func initialCapacity(_ source: Source, limit: Int) -> Int {
        let ceiling = limit == Int.max ? limit : limit + 1
        // Deflate cannot expand by more than about 1032:1.
        let (plausibleMaximum, overflow) = source.total.multipliedReportingOverflow(by: 1032)
        let bound = overflow ? ceiling : min(ceiling, plausibleMaximum)
        var estimate = 0
        if source.total >= 18, source.head == (0x1F, 0x8B) {
            let t = source.tail
            estimate = Int(t.0) | Int(t.1) << 8 | Int(t.2) << 16 | Int(t.3) << 24
        }
        if estimate == 0 {
            let (scaled, overflow) = source.total.multipliedReportingOverflow(by: 4)
            estimate = overflow ? bound : max(scaled, 1 << 16)
        }
        return max(1, min(estimate, bound))
    }

    private static func inflateAll(_ source: inout Source, path: String, limit: Int) throws(DataError) -> [UInt8] {
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

        let ceiling = limit == Int.max ? limit : limit + 1
        let chunkLimit = Int(UInt32.max)
        // The image set is read at random places a batch at a time: on 2 MiB pages where the system allows.
        var output = bytesOnHugePages(count: initialCapacity(source, limit: limit))
        var produced = 0
        /// Points zlib at the next piece of input, starting with the `kept` unconsumed bytes.
        func feed(keeping kept: Int = 0) throws(DataError) {
            let rest = kept > 0 ? UnsafeBufferPointer(start: stream.pointee.next_in, count: kept) : nil
            guard let chunk = try source.next(keeping: rest), let base = chunk.baseAddress else { return }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
            stream.pointee.avail_in = UInt32(min(chunk.count, chunkLimit))
        }

        while true {
            if stream.pointee.avail_in == 0, source.fed < source.total { try feed() }
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
                let remaining = Int(stream.pointee.avail_in) + (source.total - source.fed)
                if remaining == 0 {
                    output.removeLast(output.count - produced)
                    return output
                }
                // Concatenated gzip members decompress to the concatenation of their contents; the
                // next member's magic may start at the end of one piece of input.
                if stream.pointee.avail_in < 2 { try feed(keeping: Int(stream.pointee.avail_in)) }
                let next = stream.pointee.next_in
                if remaining >= 2, stream.pointee.avail_in >= 2, let next, next[0] == 0x1F, next[1] == 0x8B,
                    inflateReset(stream) == Z_OK
                {
                    continue
                }
                throw .corruptGzip(path: path, reason: "\(remaining) unexpected bytes after the end of the stream")
            case Z_BUF_ERROR:
                // No progress was possible; output room is always available, so the input ran out.
                if stream.pointee.avail_in == 0, source.fed == source.total { throw .truncatedGzip(path: path) }
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
