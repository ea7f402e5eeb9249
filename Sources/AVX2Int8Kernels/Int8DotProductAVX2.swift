// Built with `-parse-stdlib` (for `Builtin`) and for Haswell (AVX2, FMA, F16C; see Package.swift).
// Called only where cpuid reports AVX2 and the OS saves the AVX state (`KernelLevel`).
import Swift
import KernelInterface

/// The AVX2 int8 kernels: activation quantization and matrix products with `vpmaddubsw` +
/// `vpmaddwd`, the way ggml's AVX2 path multiplies quantized matrices.
public enum AVX2Int8 {
    public static func quantize(_ into: Int8DotOperands.ActivationRows, x: UnsafePointer<Float>, stride: Int,
                                columns: Int, rows: Range<Int>) {
        quantizeActivations(into, x: x, stride: stride, columns: columns, rows: rows)
    }

    /// Outputs of `panels` for activation rows `rows`; weights stored as signed q (no bias).
    public static func multiply(_ operands: Int8DotOperands, panels: Range<Int>, rows: Range<Int>) {
        let eight = InlineArray<8, Int>(repeating: 0), four = InlineArray<4, Int>(repeating: 0), two = InlineArray<2, Int>(repeating: 0)
        let none = InlineArray<0, Int>(repeating: 0), one = InlineArray<1, Int>(repeating: 0)
        guard let range = operands.quantRange else {
            switch (operands.groupSize, operands.hasOffsets) {
            case (32, false): operands.run(panels, rows, quads: eight, offsets: none, depth: none)
            case (32, true): operands.run(panels, rows, quads: eight, offsets: one, depth: none)
            default: operands.run(panels, rows, quads: four, offsets: none, depth: none)
            }
            return
        }
        // Quads whose products add up in 16 bits: 2 · depth · (2^bits − 1) · 128 < 2^15.
        switch (operands.groupSize, operands.hasOffsets, range.bits) {
        case (32, false, 4): operands.run(panels, rows, quads: eight, offsets: none, depth: eight)
        case (32, false, 5): operands.run(panels, rows, quads: eight, offsets: none, depth: four)
        case (32, false, _): operands.run(panels, rows, quads: eight, offsets: none, depth: two)
        case (32, true, 4): operands.run(panels, rows, quads: eight, offsets: one, depth: eight)
        case (32, true, 5): operands.run(panels, rows, quads: eight, offsets: one, depth: four)
        case (32, true, _): operands.run(panels, rows, quads: eight, offsets: one, depth: two)
        case (_, _, 6): operands.run(panels, rows, quads: four, offsets: none, depth: two)
        default: operands.run(panels, rows, quads: four, offsets: none, depth: four)
        }
    }
}

extension Int8DotOperands {
    @inline(__always)
    func run<let Q: Int, let O: Int, let D: Int>(_ panels: Range<Int>, _ rows: Range<Int>, quads: InlineArray<Q, Int>,
                                                 offsets: InlineArray<O, Int>, depth: InlineArray<D, Int>) {
        for p in panels {
            let panel = weights + p * panelBytes
            var m = rows.lowerBound
            // Only the panel's first tile prefetches (the lines `weightPrefetchDistance` ahead: the
            // rest of this thread's panels); the tiles after it find the panel in cache.
            //
            // Three rows keep the sums, the float accumulators and the weights in the 16 ymm
            // registers (four spill); two where 16-bit partial sums live beside the sums.
            while D > 0 && D < Q && m + 2 <= rows.upperBound {
                tile(m: m, panel: panel, outputs: p * 16, quads: quads, offsets: offsets, depth: depth,
                     prefetching: m == rows.lowerBound, accumulators: InlineArray<2, SIMD8<Float>>(repeating: SIMD8<Float>()))
                m += 2
            }
            while m + 3 <= rows.upperBound {
                tile(m: m, panel: panel, outputs: p * 16, quads: quads, offsets: offsets, depth: depth,
                     prefetching: m == rows.lowerBound, accumulators: InlineArray<3, SIMD8<Float>>(repeating: SIMD8<Float>()))
                m += 3
            }
            while m < rows.upperBound {
                tile(m: m, panel: panel, outputs: p * 16, quads: quads, offsets: offsets, depth: depth,
                     prefetching: m == rows.lowerBound, accumulators: InlineArray<1, SIMD8<Float>>(repeating: SIMD8<Float>()))
                m += 1
            }
        }
    }

    /// R rows × 16 outputs (one panel, as two halves of 8), groups of 4·Q inputs, with offsets
    /// when O is 1. Per group and output the integer sum Σ w·q is exact, so each output's chain
    /// `acc = fma(Float(Σ w·q) · scaleᵂ, scaleˣ, acc)` (then the offset term) is the same
    /// arithmetic as the AVX-512 VNNI kernel's, lane for lane.
    ///
    /// With a depth D (weights of a known `quantRange`), the panel holds the stored quants
    /// `s = w + zeroPoint`; they go to `vpmaddubsw` as unsigned bytes (no `vpsignb` per row, no
    /// add per load), its 16-bit pair sums are added in 16 bits over D quads (within ±2^15 by the
    /// range) before one `vpmaddwd` widens them, and `zeroPoint · Σ q` (from the activations'
    /// corrections) is taken off the group's sum: the same exact integer Σ w·q. D = 0: every
    /// weight may use all 8 bits.
    @inline(__always)
    private func tile<let R: Int, let Q: Int, let O: Int, let D: Int>(
        m: Int, panel: UnsafeRawPointer, outputs: Int, quads: InlineArray<Q, Int>, offsets: InlineArray<O, Int>,
        depth: InlineArray<D, Int>, prefetching: Bool, accumulators: InlineArray<R, SIMD8<Float>>
    ) {
        var acc0 = accumulators, acc1 = accumulators
        let groupSize = 4 * Q
        let groups = columns / groupSize, groups32 = columns / 32
        let bytes = Self.groupBytes(groupSize: groupSize, hasOffsets: O == 1)
        let lines = (bytes + 63) / 64
        for g in 0..<groups {
            let group = panel + g * bytes
            if prefetching {
                for line in 0..<lines { prefetch(group + weightPrefetchDistance + 64 * line) }
            }
            var sum0 = InlineArray<R, SIMD8<Int32>> { _ in SIMD8<Int32>() }
            var sum1 = sum0
            if D > 0 {
                let zeroPoint = quantRange!.zeroPoint
                for chunk in 0..<Q / D {
                    var pairs0 = InlineArray<R, SIMD16<Int16>> { _ in SIMD16<Int16>() }
                    var pairs1 = pairs0
                    for k in 0..<D {
                        let quad = chunk * D + k
                        let s0 = group.loadUnaligned(fromByteOffset: quad * 64, as: SIMD32<Int8>.self)
                        let s1 = group.loadUnaligned(fromByteOffset: quad * 64 + 32, as: SIMD32<Int8>.self)
                        for r in 0..<R {
                            let source = UnsafeRawPointer(x.quants + (m + r) * columns + g * groupSize + quad * 4)
                            let q = unsafeBitCast(SIMD8<Int32>(repeating: source.loadUnaligned(as: Int32.self)), to: SIMD32<Int8>.self)
                            pairs0[r] = pairs0[r] &+ pairSums(unsigned: s0, signed: q)
                            pairs1[r] = pairs1[r] &+ pairSums(unsigned: s1, signed: q)
                        }
                    }
                    for r in 0..<R {
                        sum0[r] = sum0[r] &+ widenPairs(pairs0[r])
                        sum1[r] = sum1[r] &+ widenPairs(pairs1[r])
                    }
                }
                if zeroPoint != 0 {
                    // corrections = −128 · Σ q, so zeroPoint · Σ q = −(corrections >> 7) · zeroPoint, exactly.
                    for r in 0..<R {
                        let correction = groupSize == 32 ? x.corrections32[(m + r) * groups32 + g]
                                                         : x.corrections16[(m + r) * (columns / 16) + g]
                        let shift = SIMD8<Int32>(repeating: (correction &>> 7) &* Int32(truncatingIfNeeded: zeroPoint))
                        sum0[r] = sum0[r] &+ shift
                        sum1[r] = sum1[r] &+ shift
                    }
                }
            } else {
                for quad in 0..<Q {
                    let w0 = group.loadUnaligned(fromByteOffset: quad * 64, as: SIMD32<Int8>.self)
                    let w1 = group.loadUnaligned(fromByteOffset: quad * 64 + 32, as: SIMD32<Int8>.self)
                    let a0 = sign(w0, by: w0), a1 = sign(w1, by: w1)  // |w| (−128 comes out as 128 unsigned)
                    for r in 0..<R {
                        let source = UnsafeRawPointer(x.quants + (m + r) * columns + g * groupSize + quad * 4)
                        let q = unsafeBitCast(SIMD8<Int32>(repeating: source.loadUnaligned(as: Int32.self)), to: SIMD32<Int8>.self)
                        sum0[r] = sum0[r] &+ dotBytes(unsigned: a0, signed: sign(q, by: w0))
                        sum1[r] = sum1[r] &+ dotBytes(unsigned: a1, signed: sign(q, by: w1))
                    }
                }
            }
            let s0 = group.loadUnaligned(fromByteOffset: groupSize * 16, as: SIMD8<Float>.self)
            let s1 = group.loadUnaligned(fromByteOffset: groupSize * 16 + 32, as: SIMD8<Float>.self)
            let g32 = g * groupSize / 32
            for r in 0..<R {
                let d = SIMD8<Float>(repeating: x.scales[(m + r) * groups32 + g32])
                acc0[r] = acc0[r].addingProduct(float(sum0[r]) * s0, d)
                acc1[r] = acc1[r].addingProduct(float(sum1[r]) * s1, d)
            }
            if O == 1 {
                let o0 = group.loadUnaligned(fromByteOffset: groupSize * 16 + 64, as: SIMD8<Float>.self)
                let o1 = group.loadUnaligned(fromByteOffset: groupSize * 16 + 96, as: SIMD8<Float>.self)
                for r in 0..<R {
                    let total = SIMD8<Float>(repeating: x.sums[(m + r) * groups32 + g32])
                    acc0[r] = acc0[r].addingProduct(o0, total)
                    acc1[r] = acc1[r].addingProduct(o1, total)
                }
            }
        }
        let valid = min(16, self.outputs - outputs)
        for r in 0..<R {
            let out = y + (m + r) * yStride + outputs
            store(acc0[r], to: out, valid: valid)
            store(acc1[r], to: out + 8, valid: valid - 8)
        }
    }
}

/// Each byte of `v` negated where the byte of `sign` is negative, zeroed where it is zero (`vpsignb`).
@inline(__always)
private func sign(_ v: SIMD32<Int8>, by sign: SIMD32<Int8>) -> SIMD32<Int8> {
    unsafeBitCast(Builtin.int_x86_avx2_psign_b(unsafeBitCast(v, to: Builtin.Vec32xInt8.self),
                                               unsafeBitCast(sign, to: Builtin.Vec32xInt8.self)), to: SIMD32<Int8>.self)
}

/// Σ of four byte products per 32-bit lane, unsigned bytes of `unsigned` times signed bytes of
/// `signed`: `vpmaddubsw` (pairs into 16 bits: |w| ≤ 128 and |q| ≤ 127 keep a pair within
/// 32,512, so it never saturates) then `vpmaddwd` with ones (pairs of pairs into 32 bits).
@inline(__always)
func dotBytes(unsigned: SIMD32<Int8>, signed: SIMD32<Int8>) -> SIMD8<Int32> {
    widenPairs(pairSums(unsigned: unsigned, signed: signed))
}

/// Σ of two byte products per 16-bit lane (`vpmaddubsw`), unsigned bytes of `unsigned` times
/// signed bytes of `signed`: exact while a pair stays within ±32,767.
@inline(__always)
private func pairSums(unsigned: SIMD32<Int8>, signed: SIMD32<Int8>) -> SIMD16<Int16> {
    unsafeBitCast(Builtin.int_x86_avx2_pmadd_ub_sw(unsafeBitCast(unsigned, to: Builtin.Vec32xInt8.self),
                                                   unsafeBitCast(signed, to: Builtin.Vec32xInt8.self)), to: SIMD16<Int16>.self)
}

/// Pairs of 16-bit lanes summed into 32 bits (`vpmaddwd` with ones).
@inline(__always)
private func widenPairs(_ v: SIMD16<Int16>) -> SIMD8<Int32> {
    let ones = unsafeBitCast(SIMD16<Int16>(repeating: 1), to: Builtin.Vec16xInt16.self)
    return unsafeBitCast(Builtin.int_x86_avx2_pmadd_wd(unsafeBitCast(v, to: Builtin.Vec16xInt16.self), ones), to: SIMD8<Int32>.self)
}

/// `acc + Σ` of four byte products per 32-bit lane over 16 lanes (two ymm halves), unsigned
/// bytes of `unsigned` times signed bytes of `signed`, for unsigned bytes below 129 (so a pair
/// stays within 16 bits, as above): the 16-lane form the shared `BlockDotProduct` calls.
@inline(__always)
func dotBytes(_ acc: SIMD16<Int32>, unsigned: SIMD16<Int32>, signed: SIMD16<Int32>) -> SIMD16<Int32> {
    typealias Halves = (SIMD32<Int8>, SIMD32<Int8>)
    let u = unsafeBitCast(unsigned, to: Halves.self), s = unsafeBitCast(signed, to: Halves.self)
    let sums = (dotBytes(unsigned: u.0, signed: s.0), dotBytes(unsigned: u.1, signed: s.1))
    return acc &+ unsafeBitCast(sums, to: SIMD16<Int32>.self)
}

@inline(__always)
private func float(_ v: SIMD8<Int32>) -> SIMD8<Float> {
    // Lane by lane: LLVM makes one vcvtdq2ps of it; the stdlib's conversion initializer is an
    // opaque call.
    var f = SIMD8<Float>()
    for i in 0..<8 { f[i] = Float(v[i]) }
    return f
}

@inline(__always)
private func store(_ v: SIMD8<Float>, to out: UnsafeMutablePointer<Float>, valid: Int) {
    if valid >= 8 {
        UnsafeMutableRawPointer(out).storeBytes(of: v, as: SIMD8<Float>.self)
    } else if valid > 0 {
        for i in 0..<valid { out[i] = v[i] }
    }
}
