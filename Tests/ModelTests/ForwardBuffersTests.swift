import Foundation
import Kernels
import GGUF
@testable import Model
import TestSupport
import XCTest

/// The forward pass's activation buffers grow geometrically: rows that join a batch one at a
/// time must not reallocate (and fault in anew) the logit rows at every step.
final class ForwardBuffersTests: XCTestCase {
    func testCapacitiesAtLeastDoubleWhenTheyGrow() throws {
        let directory = TemporaryDirectory()
        let model = try TransformerModel(path: TinyModel.write(.gemma3, to: directory.file("tiny.gguf")))
        let buffers = ForwardBuffers()
        var rowCapacities: [Int] = [], tokenCapacities: [Int] = []
        for rows in [0, 1, 2, 3, 4, 5, 9, 8, 40] {
            buffers.reserve(tokens: rows, rows: rows, configuration: model.configuration)
            rowCapacities.append(buffers.rowCapacity)
        }
        XCTAssertEqual(rowCapacities, [1, 1, 2, 4, 4, 8, 16, 16, 40])
        for tokens in [5, 16, 17, 20, 33, 100, 101, 512] {
            buffers.reserve(tokens: tokens, rows: 1, configuration: model.configuration)
            tokenCapacities.append(buffers.tokenCapacity)
        }
        // From 40 (the rows above): at least 16 tokens, then doubling or the request, the larger.
        XCTAssertEqual(tokenCapacities, [40, 40, 40, 40, 40, 100, 200, 512])
    }

    /// `ForwardBuffers.bytes` is what `reserve` allocates on empty buffers (the figure jobs
    /// doctor states and the KV pool's start check keeps free), for a family with sliding-window
    /// rotary tables and one without; a budget reserved first is never outgrown by batches within it.
    func testBytesAreWhatReserveAllocates() throws {
        let directory = TemporaryDirectory()
        for family in [TinyModel.Family.gemma3, .llama] {
            let model = try TransformerModel(path: TinyModel.write(family, to: directory.file("\(family).gguf")))
            for (tokens, rows) in [(1, 1), (100, 3), (512, 64)] {
                let buffers = ForwardBuffers()
                buffers.reserve(tokens: tokens, rows: rows, configuration: model.configuration)
                let floats = [buffers.residual, buffers.normed, buffers.qkv, buffers.attention, buffers.projected,
                              buffers.gateUp, buffers.activated, buffers.cosines, buffers.sines, buffers.localCosines,
                              buffers.localSines, buffers.selected, buffers.logits].reduce(0) { $0 + $1.count }
                XCTAssertEqual(ForwardBuffers.bytes(tokens: tokens, rows: rows, configuration: model.configuration),
                               4 * floats, "\(family) \(tokens) tokens, \(rows) rows")
                buffers.reserve(tokens: tokens - 1, rows: rows, configuration: model.configuration)
                XCTAssertEqual(buffers.tokenCapacity, max(tokens, 16))
                XCTAssertEqual(buffers.rowCapacity, rows)
            }
            // The header-only estimate is the loaded model's figure.
            XCTAssertEqual(try WorkingMemory.estimatedBytes(of: GGUFFile(path: model.path), tokens: 512, rows: 64,
                                                            threads: WorkerPool.shared.threadCount),
                           model.workingMemoryBytes(tokens: 512, rows: 64))
        }
    }
}
