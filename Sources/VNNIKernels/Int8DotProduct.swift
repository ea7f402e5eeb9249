// Built with `-parse-stdlib` (for `Builtin`) and for a CPU with AVX-512 VNNI (see Package.swift).
// Call these only when `/proc/cpuinfo` lists `avx512_vnni`: `PackedMatrix` checks, and packs
// weights for this kernel only then.
import Swift

/// `y = x · Wᵀ` for int8 weights and int8 activations, with one VNNI instruction (`vpdpbusd`)
/// doing 64 multiply-adds where an FMA does 16: the way ggml multiplies a Q8_0 matrix.
///
/// Weights come in panels of 16 outputs, per group of 32 inputs:
/// `q [8][16][4] UInt8` (the weight + 128, four consecutive inputs of one output per 32-bit
/// lane) then `scale [16] Float`. Activations come quantized per row and group of 32:
/// `quants [rows][columns] Int8`, `scales [rows][groups] Float` and
/// `corrections [rows][groups] Int32` = −128 · Σ quants, which removes the +128 of the weights
/// from the integer sum. Each output is then, group after group in order,
/// `acc = fma(Float(Σ w·q) · scaleᵂ, scaleˣ, acc)`: the same chain for a row whatever the tile
/// it lands in, so results do not depend on the batch.
public struct Int8DotOperands: @unchecked Sendable {
    public let weights: UnsafeRawPointer
    public let panelBytes: Int
    /// Outputs (rows of W); the last panel may hold fewer than 16.
    public let outputs: Int
    public let columns: Int
    public let quants: UnsafePointer<Int8>
    public let scales: UnsafePointer<Float>
    public let corrections: UnsafePointer<Int32>
    public let y: UnsafeMutablePointer<Float>
    public let yStride: Int

    public init(weights: UnsafeRawPointer, panelBytes: Int, outputs: Int, columns: Int,
                quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>, corrections: UnsafePointer<Int32>,
                y: UnsafeMutablePointer<Float>, yStride: Int) {
        self.weights = weights
        self.panelBytes = panelBytes
        self.outputs = outputs
        self.columns = columns
        self.quants = quants
        self.scales = scales
        self.corrections = corrections
        self.y = y
        self.yStride = yStride
    }

    /// Bytes of one group of 32 inputs in a panel.
    public static let groupBytes = 32 * 16 + 64

    /// Outputs of `panels` for activation rows `rows`.
    public func run(panels: Range<Int>, rows: Range<Int>) {
        var p = panels.lowerBound
        while p < panels.upperBound {
            let pair = p + 1 < panels.upperBound
            let first = weights + p * panelBytes
            let second = pair ? first + panelBytes : first
            var m = rows.lowerBound
            while m + 6 <= rows.upperBound {
                tile(m: m, first: first, second: second, outputs: p * 16, pair: pair,
                     accumulators: InlineArray<6, SIMD16<Float>>(repeating: SIMD16<Float>()))
                m += 6
            }
            while m + 2 <= rows.upperBound {
                tile(m: m, first: first, second: second, outputs: p * 16, pair: pair,
                     accumulators: InlineArray<2, SIMD16<Float>>(repeating: SIMD16<Float>()))
                m += 2
            }
            if m < rows.upperBound {
                tile(m: m, first: first, second: second, outputs: p * 16, pair: pair,
                     accumulators: InlineArray<1, SIMD16<Float>>(repeating: SIMD16<Float>()))
            }
            p += pair ? 2 : 1
        }
    }

    /// R rows × 32 outputs (two panels; with one panel the second half is computed and dropped).
    @inline(__always)
    private func tile<let R: Int>(m: Int, first: UnsafeRawPointer, second: UnsafeRawPointer, outputs: Int, pair: Bool,
                                  accumulators: InlineArray<R, SIMD16<Float>>) {
        var acc0 = accumulators, acc1 = accumulators
        let groups = columns / 32
        for g in 0..<groups {
            let g0 = first + g * Self.groupBytes, g1 = second + g * Self.groupBytes
            var sum0 = InlineArray<R, SIMD16<Int32>>(repeating: SIMD16<Int32>())
            var sum1 = sum0
            for r in 0..<R {
                let c = SIMD16<Int32>(repeating: corrections[(m + r) * groups + g])
                sum0[r] = c
                sum1[r] = c
            }
            for quad in 0..<8 {
                let w0 = g0.loadUnaligned(fromByteOffset: quad * 64, as: SIMD16<Int32>.self)
                let w1 = g1.loadUnaligned(fromByteOffset: quad * 64, as: SIMD16<Int32>.self)
                for r in 0..<R {
                    let x = UnsafeRawPointer(quants + (m + r) * columns + g * 32 + quad * 4)
                    let a = SIMD16<Int32>(repeating: x.loadUnaligned(as: Int32.self))
                    sum0[r] = dotBytes(sum0[r], unsigned: w0, signed: a)
                    sum1[r] = dotBytes(sum1[r], unsigned: w1, signed: a)
                }
            }
            let s0 = g0.loadUnaligned(fromByteOffset: 512, as: SIMD16<Float>.self)
            let s1 = g1.loadUnaligned(fromByteOffset: 512, as: SIMD16<Float>.self)
            for r in 0..<R {
                let d = SIMD16<Float>(repeating: scales[(m + r) * groups + g])
                acc0[r] = acc0[r].addingProduct(float(sum0[r]) * s0, d)
                acc1[r] = acc1[r].addingProduct(float(sum1[r]) * s1, d)
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
