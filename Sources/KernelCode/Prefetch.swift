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
