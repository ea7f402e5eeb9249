// Shared by the int8 kernel modules of every level (VNNIKernels, AVX2Int8Kernels), which are
// built with `-parse-stdlib` for `Builtin`: the same source, compiled per CPU level.
import Swift
import KernelInterface

/// Quantizes rows `rows` of `x` (`stride` floats apart) into the buffers of `into`: per row
/// and group of 32 values, `scale = max |x| / 127` and `q = round(x / scale)` (halves away
/// from zero, as `roundf`), then per group of 16 and of 32 the correction −128 · Σ q, and
/// per group of 32 `scale · Σ q`.
func quantizeActivations(_ into: Int8DotOperands.ActivationRows, x: UnsafePointer<Float>, stride: Int,
                         columns: Int, rows: Range<Int>) {
    let groups = columns / 32
    let quants = UnsafeMutablePointer(mutating: into.quants), scales = UnsafeMutablePointer(mutating: into.scales)
    let corrections16 = UnsafeMutablePointer(mutating: into.corrections16)
    let corrections32 = UnsafeMutablePointer(mutating: into.corrections32)
    let sums = UnsafeMutablePointer(mutating: into.sums)
    for m in rows {
        for g in 0..<groups {
            let source = UnsafeRawPointer(x + m * stride + g * 32)
            let a = source.loadUnaligned(as: SIMD16<Float>.self)
            let b = source.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let scale = largestMagnitude(a, b) / 127
            let inverse: Float = scale == 0 ? 0 : 1 / scale
            let qa = roundedAwayFromZero(a * inverse), qb = roundedAwayFromZero(b * inverse)
            let out = UnsafeMutableRawPointer(quants + m * columns + g * 32)
            out.storeBytes(of: bytes(qa), as: SIMD16<Int8>.self)
            out.storeBytes(of: bytes(qb), toByteOffset: 16, as: SIMD16<Int8>.self)
            let sumA = laneSum(qa), sumB = laneSum(qb)
            let index = m * groups + g
            scales[index] = scale
            corrections16[2 * index] = -128 &* sumA
            corrections16[2 * index + 1] = -128 &* sumB
            corrections32[index] = -128 &* (sumA &+ sumB)
            sums[index] = scale * Float(sumA &+ sumB)
        }
    }
}

// Whole-vector LLVM operations through `Builtin`: the stdlib's generic SIMD operations
// (`pointwiseMax`, `rounded`, `wrappedSum`, conversions) end up lane by lane or as calls here
// (measured: quantizing took 18% of a decode step with them).

@inline(__always)
private func vector(_ v: SIMD16<Int32>) -> Builtin.Vec16xInt32 { unsafeBitCast(v, to: Builtin.Vec16xInt32.self) }

/// max |lane| over two vectors. Non-negative floats order like their bit patterns, so this is an
/// integer maximum of the bits with the sign cleared (a NaN comes out as NaN).
@inline(__always)
private func largestMagnitude(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> Float {
    let mask = SIMD16<Int32>(repeating: 0x7FFF_FFFF)
    let bitsA = unsafeBitCast(a, to: SIMD16<Int32>.self) & mask
    let bitsB = unsafeBitCast(b, to: SIMD16<Int32>.self) & mask
    let largest = Int32(Builtin.int_vector_reduce_smax_Vec16xInt32(Builtin.int_smax_Vec16xInt32(vector(bitsA), vector(bitsB))))
    return Float(bitPattern: UInt32(bitPattern: largest))
}

/// Each lane (|lane| < 2^31) to the nearest integer, halves away from zero, like `roundf`:
/// truncate x + copysign(0.49999997, x), exact for every float (LLVM expands `round` the same
/// way).
@inline(__always)
private func roundedAwayFromZero(_ v: SIMD16<Float>) -> SIMD16<Int32> {
    let bits = unsafeBitCast(v, to: SIMD16<UInt32>.self)
    let justBelowHalf = SIMD16<UInt32>(repeating: Float(0.5).nextDown.bitPattern)
    let shifted = v + unsafeBitCast((bits & 0x8000_0000) | justBelowHalf, to: SIMD16<Float>.self)
    let truncated = Builtin.fptosi_Vec16xFPIEEE32_Vec16xInt32(unsafeBitCast(shifted, to: Builtin.Vec16xFPIEEE32.self))
    return unsafeBitCast(truncated, to: SIMD16<Int32>.self)
}

@inline(__always)
private func laneSum(_ v: SIMD16<Int32>) -> Int32 {
    Int32(Builtin.int_vector_reduce_add_Vec16xInt32(vector(v)))
}

@inline(__always)
private func bytes(_ v: SIMD16<Int32>) -> SIMD16<Int8> {
    unsafeBitCast(Builtin.trunc_Vec16xInt32_Vec16xInt8(vector(v)), to: SIMD16<Int8>.self)
}
