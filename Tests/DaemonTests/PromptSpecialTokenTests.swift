import Daemon
import Foundation
import JobStore
import Model
import TestSupport
import XCTest

/// A completion job's prompt (and `jobs generate`'s, which uses the same builder) gets BOS and
/// EOS exactly where the file's `tokenizer.ggml.add_bos_token` / `add_eos_token` ask for them.
final class PromptSpecialTokenTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
    }

    func promptTokens(_ text: String, addBOS: Bool, addEOS: Bool) throws -> [Int32] {
        let path = try TinyModel.write(.qwen2, to: directory.file("bos-\(addBOS)-eos-\(addEOS).gguf"),
                                       addBOS: addBOS, addEOS: addEOS)
        let loaded = try LoadedModel(path: path, activations: .float32)
        return try GenerationRequestBuilder(model: loaded).promptTokens(.prompt(text))
    }

    func testBOSOnlyWhenTheFileAddsIt() throws {
        let with = try promptTokens("the cat", addBOS: true, addEOS: false)
        let without = try promptTokens("the cat", addBOS: false, addEOS: false)
        XCTAssertEqual(with.first, 2)
        XCTAssertEqual(with, [2] + without)
        XCTAssertFalse(without.contains(2))
        XCTAssertFalse(with.contains(1), "no EOS unless the file asks for it")
    }

    func testEOSWhenTheFileAddsIt() throws {
        let tokens = try promptTokens("the cat", addBOS: false, addEOS: true)
        XCTAssertEqual(tokens.last, 1)
        XCTAssertEqual(Array(tokens.dropLast()), try promptTokens("the cat", addBOS: false, addEOS: false))
    }
}
