import Foundation
import Kernels
import XCTest

final class PagedAttentionTests: XCTestCase {
    /// Blocks scattered through a pool, keys transposed inside each block, a window that starts
    /// and ends mid-block; checked against a dense computation in double precision, for every
    /// GQA group size and for block sizes on the vector path (16, 32) and off it (4).
    func testMatchesDenseSoftmaxAttentionOverScatteredBlocks() {
        for blockSize in [4, 16, 32] {
            for groupHeads in [1, 2, 3, 4, 8] { check(groupHeads: groupHeads, blockSize: blockSize) }
        }
    }

    func check(groupHeads: Int, blockSize: Int) {
        let headDim = 32, positions = 3 * blockSize - 1
        let blocks: [Int32] = [5, 0, 3]  // logical → physical
        let floatsPerBlock = 2 * blockSize * headDim
        let pool = UnsafeMutablePointer<Float>.allocate(capacity: 6 * floatsPerBlock)
        defer { pool.deallocate() }
        // Unwritten slots hold NaN: they must never reach a result.
        pool.initialize(repeating: .nan, count: 6 * floatsPerBlock)
        var keys = [[Float]](), values = [[Float]]()
        for p in 0..<positions {
            let k = (0..<headDim).map { sin(Float(p * 31 + $0)) }
            let v = (0..<headDim).map { cos(Float(p * 17 + $0)) }
            keys.append(k); values.append(v)
            let block = pool + Int(blocks[p / blockSize]) * floatsPerBlock
            for d in 0..<headDim {
                block[d * blockSize + p % blockSize] = k[d]
                block[blockSize * headDim + (p % blockSize) * headDim + d] = v[d]
            }
        }
        let layout = PagedAttention.Layout(base: pool, floatsPerBlock: floatsPerBlock, blockSize: blockSize,
                                           keyOffset: 0, valueOffset: blockSize * headDim, valueStride: headDim)
        let query = (0..<groupHeads * headDim).map { Float($0 % 7) * 0.2 - 0.5 }
        var scores = [Float](repeating: 0, count: groupHeads * positions)
        var out = [Float](repeating: 0, count: groupHeads * headDim)
        let first = 3, last = positions - 3
        PagedAttention.attend(query: query, groupHeads: groupHeads, headDim: headDim, layout: layout,
                              blockTable: blocks, first: first, last: last, scale: 0.25,
                              scores: &scores, out: &out)
        for h in 0..<groupHeads {
            let q = query[h * headDim..<(h + 1) * headDim]
            let logits = (first...last).map { p in 0.25 * zip(q, keys[p]).reduce(0.0) { $0 + Double($1.0 * $1.1) } }
            let peak = logits.max()!
            let weights = logits.map { Foundation.exp($0 - peak) }
            let total = weights.reduce(0, +)
            for d in 0..<headDim {
                let expected = (first...last).enumerated().reduce(0.0) { $0 + weights[$1.offset] / total * Double(values[$1.element][d]) }
                XCTAssertEqual(Double(out[h * headDim + d]), expected, accuracy: 1e-5,
                               "\(groupHeads) heads, block size \(blockSize), head \(h)")
            }
        }
    }
}
