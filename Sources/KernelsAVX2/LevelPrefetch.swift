import AVX2Int8Kernels

/// Cache hints for the shared kernels of this level. `Builtin` is reachable only from the
/// `-parse-stdlib` module (AVX2Int8Kernels), so the hint is defined there and forwarded here.
enum LevelPrefetch {
    /// `prefetchAhead(share:of:lines:unit:)`: block `block`'s share of the `lines` lines of the
    /// weights `weightPrefetchDistance` ahead of `unit`, into every level; never faults.
    @inline(__always) static func ahead(share block: Int, of blocks: Int, lines: Int, unit: UnsafeRawPointer) {
        prefetchAhead(share: block, of: blocks, lines: lines, unit: unit)
    }
    /// `prefetcht1` of the cache line holding `p`: into L2, leaving L1 alone; never faults.
    @inline(__always) static func toL2(_ p: UnsafeRawPointer) { prefetchToL2(p) }
}
