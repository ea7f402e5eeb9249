import Foundation
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
}
