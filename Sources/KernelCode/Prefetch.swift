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

/// How far ahead of the weights being multiplied their lines are prefetched, in bytes, where
/// weights stream from memory (decoding; unpacking block panels for a batch). Measured on one
/// sequence's decode of Qwen2.5-Coder 1.5B Q4_K_M (2 threads, alternating binaries): none
/// 14.5–14.8 tokens/s; 4 KiB 18.2–19.8; 8 KiB 18.2–20.6; 16 KiB 18.4–20.5; 32 KiB 16.3–18.3.
/// AVX2: none 11.3–11.4, 8 KiB 16.5–17.4. On an AMD EPYC (Zen 3, AVX2) with the lines spread
/// over each unit's blocks: 4 KiB 13.6–14.2, 8 KiB 13.2–13.6, 16 KiB 12.4–16.6 (no difference
/// within that machine's noise).
@inlinable public var weightPrefetchDistance: Int { 8192 }

/// `prefetcht0`, `weightPrefetchDistance` ahead of `unit`, of block `block`'s share of the unit's
/// `lines` cache lines: lines `block · lines / blocks ..< (block + 1) · lines / blocks`. Called
/// once per block, the lines of a unit of `blocks` blocks go out a few at a time beside the
/// arithmetic; all of them at the unit's start (36 for Q4_K) decoded Qwen2.5-Coder 1.5B at
/// 5.7–5.9 tokens/s on one AMD Zen 3 core against 9.9 spread (2 cores: 8.8–11.3 against
/// 12.1–17.8), as if a burst that long outran the core's outstanding-miss slots and was partly
/// dropped.
@inlinable @inline(__always)
public func prefetchAhead(share block: Int, of blocks: Int, lines: Int, unit: UnsafeRawPointer) {
    let first = unit + weightPrefetchDistance
    var line = block * lines / blocks
    while line < (block + 1) * lines / blocks {
        prefetch(first + 64 * line)
        line += 1
    }
}
