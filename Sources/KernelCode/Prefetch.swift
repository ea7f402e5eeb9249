// Shared by the int8 kernel modules (VNNIKernels, AVX2Int8Kernels), built with `-parse-stdlib`
// for `Builtin`.
import Swift

/// `prefetcht0`: asks for the cache line holding `p` in every cache level, without waiting for
/// it. A prefetch never faults, so `p` may point past the end of an allocation.
@inlinable @inline(__always)
public func prefetch(_ p: UnsafeRawPointer) {
    Builtin.int_prefetch_RawPointer(p._rawValue, Builtin.zeroInitializer(), (3 as Int32)._value, (1 as Int32)._value)
}

/// `prefetcht1`: the same into L2 (and L3), leaving L1 alone.
@inlinable @inline(__always)
public func prefetchToL2(_ p: UnsafeRawPointer) {
    Builtin.int_prefetch_RawPointer(p._rawValue, Builtin.zeroInitializer(), (2 as Int32)._value, (1 as Int32)._value)
}

/// `prefetcht0` of block `block`'s share of the `lines` cache lines that start at `first`: lines
/// `block · lines / blocks ..< (block + 1) · lines / blocks`. Called once per block, the lines of
/// a unit of `blocks` blocks go out a few at a time beside the arithmetic; all of them at the
/// unit's start (36 for Q4_K) decoded Qwen2.5-Coder 1.5B at 5.7–5.9 tokens/s on one AMD Zen 3
/// core against 9.9 spread (2 cores: 8.8–11.3 against 12.1–17.8), as if a burst that long
/// outran the core's outstanding-miss slots and was partly dropped.
@inlinable @inline(__always)
public func prefetch(share block: Int, of blocks: Int, lines: Int, from first: UnsafeRawPointer) {
    var line = block * lines / blocks
    while line < (block + 1) * lines / blocks {
        prefetch(first + 64 * line)
        line += 1
    }
}
