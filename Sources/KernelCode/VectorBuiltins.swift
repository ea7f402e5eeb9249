// Shared by the int8 kernel modules (VNNIKernels, AVX2Int8Kernels), built with `-parse-stdlib`:
// 16-lane vector arithmetic through `Builtin`, one instruction each, for `BlockDotProduct` and
// `BlockScales`. In functions that large the stdlib's SIMD operators (lane loops for LLVM to
// vectorize) stayed loops, and LLVM then took even these apart lane by lane (measured: the
// in-register product ran slower than unpacking the panel first).
import Swift

/// `acc + a · b` rounded once (`vfmadd`), as `addingProduct`.
@inline(__always)
func fused(_ acc: SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    unsafeBitCast(Builtin.int_fma_Vec16xFPIEEE32(unsafeBitCast(a, to: Builtin.Vec16xFPIEEE32.self),
                                                 unsafeBitCast(b, to: Builtin.Vec16xFPIEEE32.self),
                                                 unsafeBitCast(acc, to: Builtin.Vec16xFPIEEE32.self)),
                  to: SIMD16<Float>.self)
}

/// a · b lane by lane (`vmulps`).
@inline(__always)
func product(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    unsafeBitCast(Builtin.fmul_Vec16xFPIEEE32(unsafeBitCast(a, to: Builtin.Vec16xFPIEEE32.self),
                                              unsafeBitCast(b, to: Builtin.Vec16xFPIEEE32.self)),
                  to: SIMD16<Float>.self)
}

@inline(__always)
func and(_ a: SIMD16<UInt32>, _ b: SIMD16<UInt32>) -> SIMD16<UInt32> {
    unsafeBitCast(Builtin.and_Vec16xInt32(unsafeBitCast(a, to: Builtin.Vec16xInt32.self),
                                          unsafeBitCast(b, to: Builtin.Vec16xInt32.self)), to: SIMD16<UInt32>.self)
}

@inline(__always)
func or(_ a: SIMD16<UInt32>, _ b: SIMD16<UInt32>) -> SIMD16<UInt32> {
    unsafeBitCast(Builtin.or_Vec16xInt32(unsafeBitCast(a, to: Builtin.Vec16xInt32.self),
                                         unsafeBitCast(b, to: Builtin.Vec16xInt32.self)), to: SIMD16<UInt32>.self)
}

@inline(__always)
func shiftedRight(_ v: SIMD16<UInt32>, _ n: Int) -> SIMD16<UInt32> {
    let amount = unsafeBitCast(SIMD16<UInt32>(repeating: UInt32(n)), to: Builtin.Vec16xInt32.self)
    return unsafeBitCast(Builtin.lshr_Vec16xInt32(unsafeBitCast(v, to: Builtin.Vec16xInt32.self), amount),
                         to: SIMD16<UInt32>.self)
}

@inline(__always)
func shiftedLeft(_ v: SIMD16<UInt32>, _ n: Int) -> SIMD16<UInt32> {
    let amount = unsafeBitCast(SIMD16<UInt32>(repeating: UInt32(n)), to: Builtin.Vec16xInt32.self)
    return unsafeBitCast(Builtin.shl_Vec16xInt32(unsafeBitCast(v, to: Builtin.Vec16xInt32.self), amount),
                         to: SIMD16<UInt32>.self)
}

@inline(__always)
func added(_ a: SIMD16<Int32>, _ b: SIMD16<Int32>) -> SIMD16<Int32> {
    unsafeBitCast(Builtin.add_Vec16xInt32(unsafeBitCast(a, to: Builtin.Vec16xInt32.self),
                                          unsafeBitCast(b, to: Builtin.Vec16xInt32.self)), to: SIMD16<Int32>.self)
}

@inline(__always)
func floats(_ v: SIMD16<Int32>) -> SIMD16<Float> {
    unsafeBitCast(Builtin.sitofp_Vec16xInt32_Vec16xFPIEEE32(unsafeBitCast(v, to: Builtin.Vec16xInt32.self)),
                  to: SIMD16<Float>.self)
}
