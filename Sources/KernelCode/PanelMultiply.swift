// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2).
import KernelInterface

/// `y = x · Wᵀ` over the panels of an `.int8` or `.float32` `PanelMatrix`: the GEMM for weights
/// that do not take int8 activations.
///
/// Each call walks its panels two at a time (32 outputs) and, for each pair, the batch rows
/// eight at a time: 16 accumulators in registers, weights decoded to floats in registers once
/// per column and reused by all eight rows. At one row (decoding a single sequence) this
/// streams the packed weights once; at 64+ rows it runs near the FMA units' peak (about 200
/// GFLOP/s on 2 AVX-512 cores, measured).
///
/// Batch invariance: every output `y[m, n]` is one fused multiply-add chain over the columns in
/// order, `acc = fma(x[m, k], w[n, k], acc)`, whatever the number of rows in the batch, the
/// tile a row lands in, or the thread that runs it.
/// One multiply call's operands, shared read-only by the threads.
struct MultiplyJob: @unchecked Sendable {
    let matrix: PanelMatrix
    let x: UnsafePointer<Float>
    let xStride: Int
    let rowCount: Int
    let y: UnsafeMutablePointer<Float>
    let yStride: Int

    /// Rows of x processed against one panel pair before moving on (keeps x in L2).
    static let rowBlock = 96

    func run(panels: Range<Int>) {
        var m0 = 0
        while m0 < rowCount {
            let m1 = min(rowCount, m0 + Self.rowBlock)
            var p = panels.lowerBound
            while p < panels.upperBound {
                let pair = p + 1 < panels.upperBound
                switch (matrix.kind, matrix.hasOffsets) {
                case (.int8, let hasOffsets) where m1 - m0 >= Self.predecodeRows:
                    hasOffsets ? predecoded(Int8OffsetPanel.self, panel: p, pair: pair, rows: m0..<m1)
                        : predecoded(Int8Panel.self, panel: p, pair: pair, rows: m0..<m1)
                case (.int8, false):
                    pair ? rowTiles(Int8Panel.self, SIMDPair.self, panel: p, rows: m0..<m1)
                        : rowTiles(Int8Panel.self, SIMDSingle.self, panel: p, rows: m0..<m1)
                case (.int8, true):
                    pair ? rowTiles(Int8OffsetPanel.self, SIMDPair.self, panel: p, rows: m0..<m1)
                        : rowTiles(Int8OffsetPanel.self, SIMDSingle.self, panel: p, rows: m0..<m1)
                case (.int8Dot, _):
                    preconditionFailure("int8Dot matrices multiply through multiplyInt8Dot")
                case (.float32, _):
                    pair ? rowTiles(Float32Panel.self, SIMDPair.self, panel: p, rows: m0..<m1)
                        : rowTiles(Float32Panel.self, SIMDSingle.self, panel: p, rows: m0..<m1)
                }
                p += pair ? 2 : 1
            }
            m0 = m1
        }
    }

    /// From this many rows on, a panel pair's weights are decoded to floats once (into a
    /// per-thread buffer) and the tiles read floats, instead of every tile decoding them again.
    /// The floats are exactly the values the tiles would have decoded, so results are the same
    /// bit for bit either way.
    static let predecodeRows = 16

    @inline(__always)
    private func predecoded<D: PanelDecoder>(_ decoder: D.Type, panel: Int, pair: Bool, rows: Range<Int>) {
        let k = matrix.columns
        let scratch = ThreadScratch.buffer(bytes: 2 * k * 64)
        let groupSize = D.groupSize(matrix), groupBytes = D.groupBytes(matrix)
        for index in 0..<(pair ? 2 : 1) {
            let base = matrix.storage + (panel + index) * matrix.panelBytes
            let out = (scratch + index * k * 64).assumingMemoryBound(to: Float.self)
            for g in 0..<k / groupSize {
                let group = D.group(base, index: g, bytes: groupBytes)
                let scales = D.scales(group, groupSize: groupSize)
                for j in 0..<groupSize {
                    VectorMath.store(D.weights(group, column: j, scales: scales), out + (g * groupSize + j) * 16)
                }
            }
        }
        let first = UnsafeRawPointer(scratch), second = first + k * 64
        pair ? rowTiles(Float32Panel.self, SIMDPair.self, first: first, second: second, outputs: panel * 16, rows: rows)
            : rowTiles(Float32Panel.self, SIMDSingle.self, first: first, second: first, outputs: panel * 16, rows: rows)
    }

    @inline(__always)
    private func rowTiles<D: PanelDecoder, W: PanelWidth>(_ decoder: D.Type, _ width: W.Type, panel: Int, rows: Range<Int>) {
        let first = matrix.storage + panel * matrix.panelBytes
        rowTiles(D.self, W.self, first: first, second: first + matrix.panelBytes, outputs: panel * 16, rows: rows)
    }

    @inline(__always)
    private func rowTiles<D: PanelDecoder, W: PanelWidth>(_ decoder: D.Type, _ width: W.Type, first: UnsafeRawPointer,
                                                          second: UnsafeRawPointer, outputs: Int, rows: Range<Int>) {
        let panels = Panels(first: first, second: second, outputs: outputs,
                            groupSize: D.groupSize(matrix), groupBytes: D.groupBytes(matrix))
        var m = rows.lowerBound
        while D.self == Float32Panel.self && m + 12 <= rows.upperBound {
            microTile(D.self, W.self, m: m, panels: panels, accumulators: InlineArray<12, W.Vector>(repeating: W.zero))
            m += 12
        }
        while m + 8 <= rows.upperBound {
            microTile(D.self, W.self, m: m, panels: panels, accumulators: InlineArray<8, W.Vector>(repeating: W.zero))
            m += 8
        }
        if m + 4 <= rows.upperBound {
            microTile(D.self, W.self, m: m, panels: panels, accumulators: InlineArray<4, W.Vector>(repeating: W.zero))
            m += 4
        }
        while m < rows.upperBound {
            microTile(D.self, W.self, m: m, panels: panels, accumulators: InlineArray<1, W.Vector>(repeating: W.zero))
            m += 1
        }
    }

    /// The weights a tile reads: one or two panels and the first output they hold.
    struct Panels {
        let first: UnsafeRawPointer
        let second: UnsafeRawPointer
        let outputs: Int
        let groupSize: Int
        let groupBytes: Int
    }

    /// R rows × (16 or 32) outputs. Each accumulator lane is one output's FMA chain over k.
    @inline(__always)
    private func microTile<D: PanelDecoder, W: PanelWidth, let R: Int>(
        _ decoder: D.Type, _ width: W.Type, m: Int, panels: Panels, accumulators: InlineArray<R, W.Vector>
    ) {
        var acc = accumulators
        let xBase = x + m * xStride
        let groupSize = panels.groupSize
        var k = 0
        var group = 0
        while k < matrix.columns {
            let g0 = D.group(panels.first, index: group, bytes: panels.groupBytes)
            let g1 = W.isPair ? D.group(panels.second, index: group, bytes: panels.groupBytes) : g0
            let s0 = D.scales(g0, groupSize: groupSize)
            let s1 = W.isPair ? D.scales(g1, groupSize: groupSize) : s0
            for j in 0..<groupSize {
                let w = W.make(D.weights(g0, column: j, scales: s0), D.weights(g1, column: j, scales: s1))
                for r in 0..<R {
                    let v = SIMD16<Float>(repeating: xBase[r * xStride + k + j])
                    acc[r] = W.fma(acc[r], v, w)
                }
            }
            k += groupSize
            group += 1
        }
        let valid = min(W.width, matrix.rows - panels.outputs)
        for r in 0..<R {
            W.store(acc[r], to: y + (m + r) * yStride + panels.outputs, valid: valid)
        }
    }
}

// MARK: - Panel formats

/// How one format's panel yields the 16 weights of one column.
protocol PanelDecoder {
    associatedtype Scales
    static func groupSize(_ matrix: PanelMatrix) -> Int
    static func groupBytes(_ matrix: PanelMatrix) -> Int
    static func group(_ panel: UnsafeRawPointer, index: Int, bytes: Int) -> UnsafeRawPointer
    static func scales(_ group: UnsafeRawPointer, groupSize: Int) -> Scales
    static func weights(_ group: UnsafeRawPointer, column: Int, scales: Scales) -> SIMD16<Float>
}

@inline(__always)
private func int8Vector(_ p: UnsafeRawPointer) -> SIMD16<Float> {
    // A lane-by-lane conversion: LLVM turns it into vpmovsxbd + vcvtdq2ps, while the stdlib's
    // SIMD conversion initializers are opaque calls (measured 4x slower).
    let q = p.assumingMemoryBound(to: Int8.self)
    var f = SIMD16<Float>()
    for i in 0..<16 { f[i] = Float(q[i]) }
    return f
}

enum Int8Panel: PanelDecoder {
    @inline(__always) static func groupSize(_ matrix: PanelMatrix) -> Int { matrix.groupSize }
    @inline(__always) static func groupBytes(_ matrix: PanelMatrix) -> Int { matrix.groupBytes }
    @inline(__always) static func group(_ panel: UnsafeRawPointer, index: Int, bytes: Int) -> UnsafeRawPointer {
        panel + index * bytes
    }
    @inline(__always) static func scales(_ group: UnsafeRawPointer, groupSize: Int) -> SIMD16<Float> {
        group.loadUnaligned(fromByteOffset: groupSize * 16, as: SIMD16<Float>.self)
    }
    @inline(__always) static func weights(_ group: UnsafeRawPointer, column: Int, scales: SIMD16<Float>) -> SIMD16<Float> {
        int8Vector(group + column * 16) * scales
    }
}

enum Int8OffsetPanel: PanelDecoder {
    @inline(__always) static func groupSize(_ matrix: PanelMatrix) -> Int { Int8Panel.groupSize(matrix) }
    @inline(__always) static func groupBytes(_ matrix: PanelMatrix) -> Int { matrix.groupBytes }
    @inline(__always) static func group(_ panel: UnsafeRawPointer, index: Int, bytes: Int) -> UnsafeRawPointer {
        panel + index * bytes
    }
    @inline(__always) static func scales(_ group: UnsafeRawPointer, groupSize: Int) -> (SIMD16<Float>, SIMD16<Float>) {
        (group.loadUnaligned(fromByteOffset: groupSize * 16, as: SIMD16<Float>.self),
         group.loadUnaligned(fromByteOffset: groupSize * 16 + 64, as: SIMD16<Float>.self))
    }
    @inline(__always) static func weights(_ group: UnsafeRawPointer, column: Int,
                                          scales: (SIMD16<Float>, SIMD16<Float>)) -> SIMD16<Float> {
        // Rounded product, then add: exactly ggml's dequantized value (not a fused multiply-add).
        int8Vector(group + column * 16) * scales.0 + scales.1
    }
}

/// F32 panels: `w [columns][16]`; a "group" is the whole row of columns.
enum Float32Panel: PanelDecoder {
    @inline(__always) static func groupSize(_ matrix: PanelMatrix) -> Int { matrix.columns }
    @inline(__always) static func groupBytes(_ matrix: PanelMatrix) -> Int { 0 }
    @inline(__always) static func group(_ panel: UnsafeRawPointer, index: Int, bytes: Int) -> UnsafeRawPointer { panel }
    @inline(__always) static func scales(_ group: UnsafeRawPointer, groupSize: Int) -> Void { () }
    @inline(__always) static func weights(_ group: UnsafeRawPointer, column: Int, scales: Void) -> SIMD16<Float> {
        group.loadUnaligned(fromByteOffset: column * 64, as: SIMD16<Float>.self)
    }
}

// MARK: - One or two panels per tile

protocol PanelWidth {
    associatedtype Vector
    static var isPair: Bool { get }
    static var width: Int { get }
    static var zero: Vector { get }
    static func make(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> Vector
    static func fma(_ acc: Vector, _ x: SIMD16<Float>, _ w: Vector) -> Vector
    static func store(_ v: Vector, to out: UnsafeMutablePointer<Float>, valid: Int)
}

@inline(__always)
private func store16(_ v: SIMD16<Float>, to out: UnsafeMutablePointer<Float>, valid: Int) {
    if valid >= 16 {
        UnsafeMutableRawPointer(out).storeBytes(of: v, as: SIMD16<Float>.self)
    } else {
        for i in 0..<max(0, valid) { out[i] = v[i] }
    }
}

enum SIMDSingle: PanelWidth {
    @inline(__always) static var isPair: Bool { false }
    @inline(__always) static var width: Int { 16 }
    @inline(__always) static var zero: SIMD16<Float> { SIMD16<Float>() }
    @inline(__always) static func make(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a }
    @inline(__always) static func fma(_ acc: SIMD16<Float>, _ x: SIMD16<Float>, _ w: SIMD16<Float>) -> SIMD16<Float> {
        acc.addingProduct(x, w)
    }
    @inline(__always) static func store(_ v: SIMD16<Float>, to out: UnsafeMutablePointer<Float>, valid: Int) {
        store16(v, to: out, valid: valid)
    }
}

enum SIMDPair: PanelWidth {
    struct Vector { var a: SIMD16<Float>; var b: SIMD16<Float> }
    @inline(__always) static var isPair: Bool { true }
    @inline(__always) static var width: Int { 32 }
    @inline(__always) static var zero: Vector { Vector(a: SIMD16<Float>(), b: SIMD16<Float>()) }
    @inline(__always) static func make(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> Vector { Vector(a: a, b: b) }
    @inline(__always) static func fma(_ acc: Vector, _ x: SIMD16<Float>, _ w: Vector) -> Vector {
        Vector(a: acc.a.addingProduct(x, w.a), b: acc.b.addingProduct(x, w.b))
    }
    @inline(__always) static func store(_ v: Vector, to out: UnsafeMutablePointer<Float>, valid: Int) {
        store16(v.a, to: out, valid: valid)
        store16(v.b, to: out + 16, valid: valid - 16)
    }
}
