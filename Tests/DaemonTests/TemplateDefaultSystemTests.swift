import Foundation
import Model
import TestSupport
import XCTest
@testable import Daemon
@testable import JobStore
import RequestFormats

/// Issue 10, fault 4: a model file whose chat template writes a default system message (the
/// real Qwen2.5 template, in a tiny GGUF) gets it in every conversation that has none, as
/// llama.cpp and Hugging Face render it.
final class TemplateDefaultSystemTests: XCTestCase {
    func testTheTemplatesDefaultSystemMessageIsInThePrompt() throws {
        let directory = TemporaryDirectory(prefix: "jobs-template-tests")
        let path = try TinyModel.write(.qwen2, to: directory.file("tiny-qwen.gguf"), chatTemplate: ChatTemplates.qwen25)
        let model = try LoadedModel(path: path)
        let template = try XCTUnwrap(model.chatTemplate)
        XCTAssertNil(template.note, "the format comes from the file's template")
        XCTAssertEqual(template.defaultSystemMessage, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")

        let builder = GenerationRequestBuilder(model: model)
        let userOnly = try builder.promptTokens(.messages([RequestMessage(role: .user, content: "hi")]))
        XCTAssertEqual(model.tokenizer.decode(userOnly, special: true),
                       "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                       + "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
        let explicit = try builder.promptTokens(.messages([RequestMessage(role: .system, content: "be brief"),
                                                           RequestMessage(role: .user, content: "hi")]))
        XCTAssertEqual(model.tokenizer.decode(explicit, special: true),
                       "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertGreaterThan(userOnly.count, explicit.count)
    }
}
