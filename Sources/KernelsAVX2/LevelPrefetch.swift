import AVX2Int8Kernels

/// Cache hints for the shared kernels of this level. `Builtin` is reachable only from the
/// `-parse-stdlib` module (AVX2Int8Kernels), so the hint is defined there and forwarded here.
enum LevelPrefetch {
    /// `prefetch(share:of:lines:from:)`: block `block`'s share of a unit's `lines` lines from
    /// `first`, into every level; never faults.
    @inline(__always) static func share(_ block: Int, of blocks: Int, lines: Int, from first: UnsafeRawPointer) {
        prefetch(share: block, of: blocks, lines: lines, from: first)
    }
    /// `prefetcht1` of the cache line holding `p`: into L2, leaving L1 alone; never faults.
    @inline(__always) static func toL2(_ p: UnsafeRawPointer) { prefetchToL2(p) }
}
