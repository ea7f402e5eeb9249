import GGUF
import TestSupport
import XCTest
@testable import Tokenizer

final class TokenizerLoaderTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = TemporaryDirectory(prefix: "tokenizer-loader")
    }

    /// A vocabulary-only file; `extra` entries are appended and `omit` keys left out.
    private func writeFile(model: String, tokens: [String], types: [Int32]? = nil, architecture: String = "llama",
                           extra: [(String, GGUFValue)] = [], omit: Set<String> = []) throws -> GGUFFile {
        var writer = GGUFWriter()
        var entries: [(String, GGUFValue)] = [
            (GGUFKey.architecture, .string(architecture)),
            (GGUFKey.tokenizerModel, .string(model)),
            (GGUFKey.tokens, .array(.string(tokens))),
            (GGUFKey.tokenTypes, .array(.int32(types ?? [Int32](repeating: 1, count: tokens.count)))),
        ]
        entries += extra
        for (key, value) in entries where !omit.contains(key) { writer.add(key, value) }
        let path = directory.file("vocab-\(UInt32.random(in: 0...UInt32.max)).gguf")
        try writer.write(to: path)
        return try GGUFFile(path: path)
    }

    private let spmTokens = ["<unk>", "<s>", "</s>", "▁", "a", "▁a"]

    func testSentencePieceDefaultsFollowLlamaCpp() throws {
        let file = try writeFile(model: "llama", tokens: spmTokens, types: [2, 3, 3, 1, 1, 1],
                                 extra: [(GGUFKey.tokenScores, .array(.float32([0, 0, 0, -1, -2, -3])))])
        let tokenizer = try XCTUnwrap(try TokenizerLoader.load(from: file) as? SentencePieceTokenizer)
        XCTAssertEqual(tokenizer.bosToken, 1)
        XCTAssertEqual(tokenizer.eosToken, 2)
        XCTAssertEqual(tokenizer.unknownToken, 0)
        XCTAssertTrue(tokenizer.addsBOS)
        XCTAssertTrue(tokenizer.addsSpacePrefix)
        XCTAssertEqual(tokenizer.encode("a", addSpecial: true, parseSpecial: false), [1, 5])
    }

    func testExplicitKeysOverrideTheDefaults() throws {
        let file = try writeFile(model: "llama", tokens: spmTokens, extra: [
            (GGUFKey.addBOSToken, .bool(false)), (GGUFKey.addSpacePrefix, .bool(false)),
            (GGUFKey.eosTokenID, .uint32(5)), (GGUFKey.tokenScores, .array(.int32([0, 0, 0, -1, -2, -3]))),
        ])
        let tokenizer = try XCTUnwrap(try TokenizerLoader.load(from: file) as? SentencePieceTokenizer)
        XCTAssertFalse(tokenizer.addsBOS)
        XCTAssertFalse(tokenizer.addsSpacePrefix)
        XCTAssertEqual(tokenizer.eosToken, 5)
        XCTAssertEqual(tokenizer.encode("a", addSpecial: true, parseSpecial: false), [4])
    }

    func testLlama3PreTokenizerAddsBOSUnlessTheFileSaysOtherwise() throws {
        let tokens = ByteLevelAlphabet.scalarForByte.map { String($0) } + ["<|begin_of_text|>"]
        let base: [(String, GGUFValue)] = [
            (GGUFKey.tokenizerPre, .string("llama-bpe")), (GGUFKey.merges, .array(.string([]))),
            (GGUFKey.bosTokenID, .uint32(256)),
        ]
        let implicit = try TokenizerLoader.load(from: writeFile(model: "gpt2", tokens: tokens, extra: base))
        XCTAssertEqual(implicit.encode("a", addSpecial: true, parseSpecial: false), [256, 97])
        let explicit = try TokenizerLoader.load(from: writeFile(
            model: "gpt2", tokens: tokens, extra: base + [(GGUFKey.addBOSToken, .bool(false))]))
        XCTAssertEqual(explicit.encode("a", addSpecial: true, parseSpecial: false), [97])
    }

    func testUnsupportedTokenizerModelNamesTheSupportedOnes() throws {
        let file = try writeFile(model: "bert", tokens: ["[CLS]"])
        XCTAssertThrowsError(try TokenizerLoader.load(from: file)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupportedModel(source: file.path, name: "bert"))
            XCTAssertTrue("\(error)".contains("supported: llama (SentencePiece-style), gpt2 (byte-level BPE)"))
        }
    }

    func testMissingVocabularyNamesTheKey() throws {
        let file = try writeFile(model: "llama", tokens: ["a"], omit: [GGUFKey.tokens])
        XCTAssertThrowsError(try TokenizerLoader.load(from: file)) { error in
            XCTAssertEqual(error as? GGUFError, .missingKey(path: file.path, key: GGUFKey.tokens))
        }
    }

    func testBytePairWithoutMergesNamesTheKey() throws {
        let file = try writeFile(model: "gpt2", tokens: ["a"], extra: [(GGUFKey.tokenizerPre, .string("gpt-2"))])
        XCTAssertThrowsError(try TokenizerLoader.load(from: file)) { error in
            XCTAssertEqual(error as? GGUFError, .missingKey(path: file.path, key: GGUFKey.merges))
        }
    }

    func testTokenTypesOfTheWrongLengthAreRejected() throws {
        let file = try writeFile(model: "llama", tokens: spmTokens, types: [1, 1])
        XCTAssertThrowsError(try TokenizerLoader.load(from: file)) { error in
            XCTAssertEqual(error as? TokenizerError, .lengthMismatch(
                source: file.path, key: GGUFKey.tokenTypes, expected: spmTokens.count, found: 2))
        }
    }

    func testSpecialTokenIdOutsideTheVocabularyIsRejected() throws {
        let file = try writeFile(model: "llama", tokens: spmTokens, extra: [(GGUFKey.bosTokenID, .uint32(99))])
        XCTAssertThrowsError(try TokenizerLoader.load(from: file)) { error in
            XCTAssertEqual(error as? TokenizerError, .specialTokenOutOfRange(
                source: file.path, key: GGUFKey.bosTokenID, id: 99, vocabularySize: spmTokens.count))
        }
    }

    func testScoresOfAnotherTypeAreRejected() throws {
        let file = try writeFile(model: "llama", tokens: spmTokens,
                                 extra: [(GGUFKey.tokenScores, .array(.string(["x"])))])
        XCTAssertThrowsError(try TokenizerLoader.load(from: file)) { error in
            XCTAssertEqual(error as? GGUFError, .wrongKeyType(path: file.path, key: GGUFKey.tokenScores,
                                                             expected: "ARRAY[FLOAT32]", found: "ARRAY[STRING]"))
        }
    }

    func testChatTemplateComesFromTheFileOrTheArchitecture() throws {
        let withTemplate = try writeFile(model: "llama", tokens: spmTokens, extra: [
            (GGUFKey.chatTemplate, .string("{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}")),
        ])
        XCTAssertEqual(try ChatTemplate.detect(in: withTemplate, fallback: nil), ChatTemplate(format: .chatML))

        let without = try writeFile(model: "llama", tokens: spmTokens, architecture: "gemma3")
        let chosen = try ChatTemplate.detect(in: without, fallback: .gemma)
        XCTAssertEqual(chosen.format, .gemma)
        XCTAssertEqual(chosen.note, "no chat template in \(without.path); using the Gemma turn format")
    }
}
