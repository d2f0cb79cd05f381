#if canImport(Glibc)
import Glibc
#endif

/// `count` zero bytes in memory that, on Linux, the kernel is asked to back with 2 MiB pages
/// where it can (transparent huge pages on request, `madvise(MADV_HUGEPAGE)`, before the first
/// touch). For a training set read at random places, a batch at a time: with 4 KiB pages each
/// image costs a TLB walk, in the gather or in the prefetch that precedes it.
func bytesOnHugePages(count: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        if let base = buffer.baseAddress { adviseHugePages(base, byteCount: count) }
        buffer.initialize(repeating: 0)
        initialized = count
    }
}

/// The size of a huge page on x86-64 Linux.
let hugePageBytes = 2 << 20

/// Asks the kernel to back the whole 2 MiB pages inside `byteCount` bytes at `base` with huge
/// pages, before they are first touched (at least one, or nothing).
func adviseHugePages(_ base: UnsafeMutableRawPointer, byteCount count: Int) {
    #if os(Linux)
    let huge = hugePageBytes
    guard count >= huge else { return }
    let first = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
    let end = (Int(bitPattern: base) + count) & ~(huge - 1)
    if end > first, let start = UnsafeMutableRawPointer(bitPattern: first) {
        _ = madvise(start, end - first, Int32(MADV_HUGEPAGE))
    }
    #endif
}
