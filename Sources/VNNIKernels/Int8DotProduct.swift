// Built with `-parse-stdlib` (for `Builtin`) and for a CPU with AVX-512 VNNI (see Package.swift).
// Called only where cpuid reports AVX-512 VNNI: `KernelsAVX512` checks, and `PackedMatrix`
// packs weights for this kernel only then.
import Swift
import KernelInterface

/// The AVX-512 VNNI int8 kernels: activation quantization and `vpdpbusd` matrix products.
public enum VNNIInt8 {
    public static func quantize(_ into: Int8DotOperands.ActivationRows, x: UnsafePointer<Float>, stride: Int,
                                columns: Int, rows: Range<Int>) {
        quantizeActivations(into, x: x, stride: stride, columns: columns, rows: rows)
    }

    /// Outputs of `panels` for activation rows `rows`; weights stored as q + 128.
    public static func multiply(_ operands: Int8DotOperands, panels: Range<Int>, rows: Range<Int>) {
        operands.run(panels: panels, rows: rows)
    }
}

extension Int8DotOperands {
    /// Outputs of `panels` for activation rows `rows`.
    func run(panels: Range<Int>, rows: Range<Int>) {
        // The group shape as compile-time constants (quads per group, offsets or not), so the
        // tile's loops unroll and keep their sums in registers.
        switch (groupSize, hasOffsets) {
        case (32, false): run(panels, rows, quads: InlineArray<8, Int>(repeating: 0), offsets: InlineArray<0, Int>(repeating: 0))
        case (32, true): run(panels, rows, quads: InlineArray<8, Int>(repeating: 0), offsets: InlineArray<1, Int>(repeating: 0))
        default: run(panels, rows, quads: InlineArray<4, Int>(repeating: 0), offsets: InlineArray<0, Int>(repeating: 0))
        }
    }

    @inline(__always)
    private func run<let Q: Int, let O: Int>(_ panels: Range<Int>, _ rows: Range<Int>, quads: InlineArray<Q, Int>,
                                             offsets: InlineArray<O, Int>) {
        var p = panels.lowerBound
        while p < panels.upperBound {
            let pair = p + 1 < panels.upperBound
            let first = weights + p * panelBytes
            let second = pair ? first + panelBytes : first
            var m = rows.lowerBound
            while m + 6 <= rows.upperBound {
                tile(m: m, first: first, second: second, outputs: p * 16, pair: pair, quads: quads, offsets: offsets,
                     accumulators: InlineArray<6, SIMD16<Float>>(repeating: SIMD16<Float>()))
                m += 6
            }
            while m + 2 <= rows.upperBound {
                tile(m: m, first: first, second: second, outputs: p * 16, pair: pair, quads: quads, offsets: offsets,
                     accumulators: InlineArray<2, SIMD16<Float>>(repeating: SIMD16<Float>()))
                m += 2
            }
            if m < rows.upperBound {
                tile(m: m, first: first, second: second, outputs: p * 16, pair: pair, quads: quads, offsets: offsets,
                     accumulators: InlineArray<1, SIMD16<Float>>(repeating: SIMD16<Float>()))
            }
            p += pair ? 2 : 1
        }
    }

    /// R rows × 32 outputs (two panels; with one panel the second half is computed and dropped),
    /// groups of 4·Q inputs, with offsets when O is 1.
    @inline(__always)
    private func tile<let R: Int, let Q: Int, let O: Int>(
        m: Int, first: UnsafeRawPointer, second: UnsafeRawPointer, outputs: Int, pair: Bool,
        quads: InlineArray<Q, Int>, offsets: InlineArray<O, Int>, accumulators: InlineArray<R, SIMD16<Float>>
    ) {
        var acc0 = accumulators, acc1 = accumulators
        let groupSize = 4 * Q
        let groups = columns / groupSize, groups32 = columns / 32
        let corrections = groupSize == 16 ? x.corrections16 : x.corrections32
        let bytes = Self.groupBytes(groupSize: groupSize, hasOffsets: O == 1)
        for g in 0..<groups {
            let g0 = first + g * bytes, g1 = second + g * bytes
            // Built element by element: `init(repeating:)` here stayed a call to a memory fill
            // per group (5% of a 64-sequence step, measured), the sums then kept in memory.
            var sum0 = InlineArray<R, SIMD16<Int32>> { r in SIMD16<Int32>(repeating: corrections[(m + r) * groups + g]) }
            var sum1 = sum0
            for quad in 0..<Q {
                let w0 = g0.loadUnaligned(fromByteOffset: quad * 64, as: SIMD16<Int32>.self)
                let w1 = g1.loadUnaligned(fromByteOffset: quad * 64, as: SIMD16<Int32>.self)
                for r in 0..<R {
                    let source = UnsafeRawPointer(x.quants + (m + r) * columns + g * groupSize + quad * 4)
                    let a = SIMD16<Int32>(repeating: source.loadUnaligned(as: Int32.self))
                    sum0[r] = dotBytes(sum0[r], unsigned: w0, signed: a)
                    sum1[r] = dotBytes(sum1[r], unsigned: w1, signed: a)
                }
            }
            let s0 = g0.loadUnaligned(fromByteOffset: groupSize * 16, as: SIMD16<Float>.self)
            let s1 = g1.loadUnaligned(fromByteOffset: groupSize * 16, as: SIMD16<Float>.self)
            let g32 = g * groupSize / 32
            for r in 0..<R {
                let d = SIMD16<Float>(repeating: x.scales[(m + r) * groups32 + g32])
                acc0[r] = acc0[r].addingProduct(float(sum0[r]) * s0, d)
                acc1[r] = acc1[r].addingProduct(float(sum1[r]) * s1, d)
            }
            if O == 1 {
                let o0 = g0.loadUnaligned(fromByteOffset: groupSize * 16 + 64, as: SIMD16<Float>.self)
                let o1 = g1.loadUnaligned(fromByteOffset: groupSize * 16 + 64, as: SIMD16<Float>.self)
                for r in 0..<R {
                    let total = SIMD16<Float>(repeating: x.sums[(m + r) * groups32 + g32])
                    acc0[r] = acc0[r].addingProduct(o0, total)
                    acc1[r] = acc1[r].addingProduct(o1, total)
                }
            }
        }
        let valid = min(pair ? 32 : 16, self.outputs - outputs)
        for r in 0..<R {
            let out = y + (m + r) * yStride + outputs
            store(acc0[r], to: out, valid: valid)
            if pair { store(acc1[r], to: out + 16, valid: valid - 16) }
        }
    }
}

/// `acc + Σ` of four byte products per 32-bit lane, unsigned bytes of `unsigned` times signed
/// bytes of `signed` (`vpdpbusd`).
@inline(__always)
func dotBytes(_ acc: SIMD16<Int32>, unsigned: SIMD16<Int32>, signed: SIMD16<Int32>) -> SIMD16<Int32> {
    let result = Builtin.int_x86_avx512_vpdpbusd_512(
        unsafeBitCast(acc, to: Builtin.Vec16xInt32.self),
        unsafeBitCast(unsigned, to: Builtin.Vec16xInt32.self),
        unsafeBitCast(signed, to: Builtin.Vec16xInt32.self))
    return unsafeBitCast(result, to: SIMD16<Int32>.self)
}

@inline(__always)
func float(_ v: SIMD16<Int32>) -> SIMD16<Float> {
    // Lane by lane: LLVM makes one vcvtdq2ps of it; the stdlib's conversion initializer is an
    // opaque call.
    var f = SIMD16<Float>()
    for i in 0..<16 { f[i] = Float(v[i]) }
    return f
}

@inline(__always)
func store(_ v: SIMD16<Float>, to out: UnsafeMutablePointer<Float>, valid: Int) {
    if valid >= 16 {
        UnsafeMutableRawPointer(out).storeBytes(of: v, as: SIMD16<Float>.self)
    } else if valid > 0 {
        for i in 0..<valid { out[i] = v[i] }
    }
}
