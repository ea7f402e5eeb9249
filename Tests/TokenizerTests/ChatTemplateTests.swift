import TestSupport
import XCTest
@testable import Tokenizer

final class ChatTemplateTests: XCTestCase {
    private let gemmaTemplate = """
        {{ bos_token }}
        {%- if messages[0]['role'] == 'system' -%}
        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
        {%- endif -%}
        {{ '<start_of_turn>' + role + '\\n' }}
        """
    private let llama3Template = """
        {% set loop_messages = messages %}{% for message in loop_messages %}{% set content = \
        '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}
        """
    private let chatMLTemplate = """
        {% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}
        """

    private let plainVocabulary = try! TestVocabularies.sentencePieceTokenizer([("a", 0)])
    private let llama3Vocabulary = try! BytePairTokenizer(vocabulary: Vocabulary(
        source: "llama3.gguf", tokens: ["a", "<|start_header_id|>"], tokenTypes: [.normal, .control],
        preTokenizer: "llama-bpe"))

    private func detect(_ template: String?, fallback: ChatFormat? = nil,
                        architecture: String = "llama") throws -> ChatTemplate {
        try ChatTemplate.detect(template: template, fallback: fallback, architecture: architecture, source: "model.gguf")
    }

    func testTemplatesAreRecognisedByTheirTurnMarkers() throws {
        XCTAssertEqual(try detect(gemmaTemplate), ChatTemplate(format: .gemma))
        XCTAssertEqual(try detect(llama3Template), ChatTemplate(format: .llama3))
        XCTAssertEqual(try detect(chatMLTemplate), ChatTemplate(format: .chatML))
    }

    func testUnknownTemplateIsAnErrorQuotingItsFirstLine() {
        let template = "\n{% for message in messages %}[INST] {{ message['content'] }} [/INST]{% endfor %}"
        XCTAssertThrowsError(try detect(template)) { error in
            XCTAssertEqual("\(error)", "model.gguf: chat template not recognised (first line: "
                + "{% for message in messages %}[INST] {{ message['content'] }} [/INST]{% endfor %}); "
                + "supported: Gemma, Llama 3, ChatML, Phi-3")
        }
    }

    /// Which format a family falls back to is the family registry's (ModelTests'
    /// `FamilyRegistryTests`); here, that the fallback is used and said.
    func testWithoutATemplateTheFallbackFormatIsUsedAndSaidSo() throws {
        let gemma = try detect(nil, fallback: .gemma, architecture: "gemma3")
        XCTAssertEqual(gemma.format, .gemma)
        XCTAssertEqual(gemma.note, "no chat template in model.gguf; using the Gemma turn format")
        XCTAssertEqual(try detect("", fallback: .chatML, architecture: "qwen2").format, .chatML)
        XCTAssertEqual(try detect(chatMLTemplate, fallback: .gemma).format, .chatML, "a template wins over the fallback")
    }

    func testNoTemplateAndNoFallbackIsAnErrorNamingTheArchitecture() {
        XCTAssertThrowsError(try detect(nil, architecture: "llama")) { error in
            XCTAssertEqual(error as? TokenizerError, .noChatTemplate(source: "model.gguf", architecture: "llama"))
        }
    }

    private let conversation = [
        ChatMessage(role: .system, content: "Be brief."),
        ChatMessage(role: .user, content: " Hi \n"),
        ChatMessage(role: .assistant, content: "Hello."),
        ChatMessage(role: .user, content: "Fruit?"),
    ]

    func testGemmaFoldsTheSystemMessageIntoTheFirstUserTurn() throws {
        let prompt = try ChatTemplate(format: .gemma).render(conversation)
        XCTAssertEqual(prompt.text, "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
            + "<start_of_turn>model\nHello.<end_of_turn>\n"
            + "<start_of_turn>user\nFruit?<end_of_turn>\n"
            + "<start_of_turn>model\n")
        XCTAssertTrue(prompt.addsBOS)
    }

    func testLlama3LeavesBOSToTheTokenizer() throws {
        let prompt = try ChatTemplate(format: .llama3).render(conversation)
        XCTAssertEqual(prompt.text, "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nFruit?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n")
        XCTAssertTrue(prompt.addsBOS)
        XCTAssertFalse(prompt.text.contains("<|begin_of_text|>"))
    }

    func testChatMLKeepsContentAsWritten() throws {
        let prompt = try ChatTemplate(format: .chatML).render(conversation)
        XCTAssertEqual(prompt.text, "<|im_start|>system\nBe brief.<|im_end|>\n"
            + "<|im_start|>user\n Hi \n<|im_end|>\n"
            + "<|im_start|>assistant\nHello.<|im_end|>\n"
            + "<|im_start|>user\nFruit?<|im_end|>\n"
            + "<|im_start|>assistant\n")
        XCTAssertFalse(prompt.addsBOS)
    }

    func testGemmaRequiresAlternatingRoles() {
        let messages = [ChatMessage(role: .user, content: "a"), ChatMessage(role: .user, content: "b")]
        XCTAssertThrowsError(try ChatTemplate(format: .gemma).render(messages)) { error in
            XCTAssertEqual(error as? TokenizerError, .rolesMustAlternate(index: 1, expected: .assistant, found: .user))
        }
        let startsWithAssistant = [ChatMessage(role: .system, content: "s"), ChatMessage(role: .assistant, content: "a")]
        XCTAssertThrowsError(try ChatTemplate(format: .gemma).render(startsWithAssistant)) { error in
            XCTAssertEqual(error as? TokenizerError, .rolesMustAlternate(index: 1, expected: .user, found: .assistant))
        }
    }

    func testEmptyConversationsAndLateSystemMessagesAreErrors() {
        for format in ChatFormat.allCases {
            XCTAssertThrowsError(try ChatTemplate(format: format).render([])) { error in
                XCTAssertEqual(error as? TokenizerError, .emptyConversation)
            }
            let late = [ChatMessage(role: .user, content: "a"), ChatMessage(role: .system, content: "s")]
            XCTAssertThrowsError(try ChatTemplate(format: format).render(late)) { error in
                XCTAssertEqual(error as? TokenizerError, .systemMessageNotFirst(index: 1))
            }
        }
    }

    // MARK: What the template writes besides the turns (issue 10, fault 4)

    func testQwen25sDefaultSystemMessageIsReadFromItsTemplateAndRendered() throws {
        let template = try detect(ChatTemplates.qwen25, architecture: "qwen2")
        XCTAssertEqual(template.format, .chatML)
        XCTAssertEqual(template.defaultSystemMessage, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        XCTAssertEqual(template.limitations, [])
        XCTAssertEqual(try template.render([ChatMessage(role: .user, content: "Hi")]).text,
                       "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                       + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(try template.render([ChatMessage(role: .system, content: "Be brief."),
                                            ChatMessage(role: .user, content: "Hi")]).text,
                       "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                       "the conversation's own system message replaces the default")
    }

    func testSmolLM2sDefaultSystemMessageWithRealNewlines() throws {
        let template = try detect(ChatTemplates.smolLM2, architecture: "llama")
        XCTAssertEqual(template.format, .chatML)
        XCTAssertEqual(template.defaultSystemMessage, "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    }

    func testTemplatesWithoutADefaultSystemMessageAddNone() throws {
        for text in [chatMLTemplate, gemmaTemplate, llama3Template] {
            XCTAssertNil(try detect(text).defaultSystemMessage, text)
        }
        XCTAssertEqual(try ChatTemplate(format: .chatML).render([ChatMessage(role: .user, content: "Hi")]).text,
                       "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    func testADatedPreambleIsAKnownLimitation() throws {
        let template = try detect(ChatTemplates.llama31Preamble)
        XCTAssertEqual(template.format, .llama3)
        XCTAssertNil(template.defaultSystemMessage, "the preamble is not constant text")
        XCTAssertEqual(template.limitations.count, 1)
        XCTAssertTrue(template.limitations[0].contains("dated system preamble"))
    }

    func testErrorIndexesCountTheCallersMessagesNotTheDefault() {
        let template = ChatTemplate(format: .gemma, defaultSystemMessage: "Default.")
        let messages = [ChatMessage(role: .user, content: "a"), ChatMessage(role: .user, content: "b")]
        XCTAssertThrowsError(try template.render(messages)) { error in
            XCTAssertEqual(error as? TokenizerError, .rolesMustAlternate(index: 1, expected: .assistant, found: .user))
        }
        XCTAssertThrowsError(try template.render([ChatMessage(role: .user, content: "a"), ChatMessage(role: .system, content: "s")])) { error in
            XCTAssertEqual(error as? TokenizerError, .systemMessageNotFirst(index: 1))
        }
    }

    func testStringLiteralsAreReadOnlyInsideJinjaCode() {
        let template = "it's {{ 'a\\n' + \"b\\\"c\" }} don't {% if x == 'y' %}"
        XCTAssertEqual(TemplateDefaults.stringLiterals(in: template), ["a\n", "b\"c", "y"])
    }
}
