// Built with `-parse-stdlib` (for `Builtin`) and for a CPU with AVX-512 VNNI (see Package.swift).
// Call these only when `/proc/cpuinfo` lists `avx512_vnni`: `PackedMatrix` checks, and packs
// weights for this kernel only then.
import Swift

/// `y = x · Wᵀ` for int8 weights and int8 activations, with one VNNI instruction (`vpdpbusd`)
/// doing 64 multiply-adds where an FMA does 16: the way ggml multiplies quantized matrices.
///
/// Weights come in panels of 16 outputs, per group of 16 or 32 inputs (one weight scale, and
/// with offsets one weight offset, per output and group): `q [groupSize / 4][16][4] UInt8`
/// (the weight + 128, four consecutive inputs of one output per 32-bit lane), `scale [16]
/// Float`, then `offset [16] Float` if the matrix has offsets.
///
/// Activations come quantized per row and group of 32 (`ActivationRows`). For every weight
/// group the integer sum starts at −128 · Σ quants of its inputs, which removes the +128 of
/// the weights; each output is then, group after group in order,
/// `acc = fma(Float(Σ w·q) · scaleᵂ, scaleˣ, acc)` and, with offsets,
/// `acc = fma(offsetᵂ, scaleˣ · Σ q, acc)`: the same chain for a row whatever the tile it lands
/// in, so results do not depend on the batch.
public struct Int8DotOperands: @unchecked Sendable {
    /// Quantized activations, `rows × columns`, with per-group values.
    public struct ActivationRows {
        public let quants: UnsafePointer<Int8>
        /// Scale of each row's groups of 32: `[rows][columns / 32]`.
        public let scales: UnsafePointer<Float>
        /// −128 · Σ quants of each row's groups of 16: `[rows][columns / 16]`.
        public let corrections16: UnsafePointer<Int32>
        /// The same per group of 32: `[rows][columns / 32]`.
        public let corrections32: UnsafePointer<Int32>
        /// scale · Σ quants of each row's groups of 32 (what an offset multiplies).
        public let sums: UnsafePointer<Float>

        public init(quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>, corrections16: UnsafePointer<Int32>,
                    corrections32: UnsafePointer<Int32>, sums: UnsafePointer<Float>) {
            self.quants = quants
            self.scales = scales
            self.corrections16 = corrections16
            self.corrections32 = corrections32
            self.sums = sums
        }
    }

    public let weights: UnsafeRawPointer
    public let panelBytes: Int
    /// Outputs (rows of W); the last panel may hold fewer than 16.
    public let outputs: Int
    public let columns: Int
    public let groupSize: Int
    public let hasOffsets: Bool
    public let x: ActivationRows
    public let y: UnsafeMutablePointer<Float>
    public let yStride: Int

    public init(weights: UnsafeRawPointer, panelBytes: Int, outputs: Int, columns: Int, groupSize: Int, hasOffsets: Bool,
                x: ActivationRows, y: UnsafeMutablePointer<Float>, yStride: Int) {
        precondition(groupSize == 32 || (groupSize == 16 && !hasOffsets), "groups of 32, or of 16 without offsets")
        precondition(columns % 32 == 0)
        self.weights = weights
        self.panelBytes = panelBytes
        self.outputs = outputs
        self.columns = columns
        self.groupSize = groupSize
        self.hasOffsets = hasOffsets
        self.x = x
        self.y = y
        self.yStride = yStride
    }

    /// Bytes of one group of inputs in a panel.
    public static func groupBytes(groupSize: Int, hasOffsets: Bool) -> Int {
        groupSize * 16 + 64 + (hasOffsets ? 64 : 0)
    }

    /// Outputs of `panels` for activation rows `rows`.
    public func run(panels: Range<Int>, rows: Range<Int>) {
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
            var sum0 = InlineArray<R, SIMD16<Int32>>(repeating: SIMD16<Int32>())
            var sum1 = sum0
            for r in 0..<R {
                let c = SIMD16<Int32>(repeating: corrections[(m + r) * groups + g])
                sum0[r] = c
                sum1[r] = c
            }
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
