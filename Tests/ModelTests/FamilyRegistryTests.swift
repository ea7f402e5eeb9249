import Foundation
@testable import Model
import TestSupport
@testable import Tokenizer
import XCTest

/// The family registry is the one place a family's facts live: names, the chat format a file
/// without a template gets, and the shape the README's table describes.
final class FamilyRegistryTests: XCTestCase {
    func testNamesAreUniqueAndEachFamilyHasItsFacts() {
        let names = ArchitectureRegistry.supportedNames
        XCTAssertEqual(names, ["gemma3", "llama", "qwen2", "qwen3", "phi3"])
        XCTAssertEqual(Set(names).count, names.count)
        for facts in ArchitectureRegistry.table {
            XCTAssertFalse(facts.attention.isEmpty || facts.feedForward.isEmpty || facts.rope.isEmpty
                           || facts.outputHead.isEmpty || facts.models.isEmpty, facts.names.joined())
        }
    }

    func testTheChatFormatOfAFileWithoutATemplateComesFromItsFamily() throws {
        let plain = try BytePairTokenizer(vocabulary: Vocabulary(
            source: "plain.gguf", tokens: ["a"], tokenTypes: [.normal], preTokenizer: "llama-bpe"))
        let llama3 = try BytePairTokenizer(vocabulary: Vocabulary(
            source: "llama3.gguf", tokens: ["a", "<|start_header_id|>"], tokenTypes: [.normal, .control],
            preTokenizer: "llama-bpe"))
        func format(_ architecture: String, _ tokenizer: any Tokenizer) -> ChatFormat? {
            ArchitectureRegistry.defaultChatFormat(architecture: architecture, tokenizer: tokenizer)
        }
        XCTAssertEqual(format("gemma3", plain), .gemma)
        XCTAssertEqual(format("qwen2", plain), .chatML)
        XCTAssertEqual(format("qwen3", plain), .chatML)
        XCTAssertEqual(format("phi3", plain), .phi3)
        XCTAssertEqual(format("llama", llama3), .llama3)
        XCTAssertNil(format("llama", plain), "Llama 2 and Mistral files need their template")
        XCTAssertNil(format("mamba", plain))
    }

    func testTheReadmeTableListsEveryFamilyAsTheRegistryDescribesIt() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        for facts in ArchitectureRegistry.table {
            let row = text.split(separator: "\n").first { $0.hasPrefix("| `\(facts.names[0])`") }
            XCTAssertNotNil(row, "README has no row for \(facts.names[0])")
            guard let row else { continue }
            for cell in [facts.attention, facts.feedForward, facts.rope, facts.outputHead, facts.models] {
                XCTAssertTrue(row.contains(cell), "README row of \(facts.names[0]) lacks '\(cell)'")
            }
        }
    }
}
