import XCTest
@testable import Tokenizer

final class VocabularyTests: XCTestCase {
    private func validationError(_ vocabulary: Vocabulary) -> TokenizerError? {
        do {
            try vocabulary.validate()
            return nil
        } catch {
            return error
        }
    }

    func testScoresOfTheWrongLengthAreRejectedWithTheKeyName() {
        let vocabulary = Vocabulary(source: "m.gguf", tokens: ["a", "b"], scores: [0])
        XCTAssertEqual(validationError(vocabulary),
                       .lengthMismatch(source: "m.gguf", key: "tokenizer.ggml.scores", expected: 2, found: 1))
        XCTAssertTrue(validationError(vocabulary)!.description.contains("tokenizer.ggml.scores"))
    }

    func testTokenTypesOfTheWrongLengthAreRejected() {
        let vocabulary = Vocabulary(source: "m.gguf", tokens: ["a", "b"], tokenTypes: [.normal, .normal, .normal])
        XCTAssertEqual(validationError(vocabulary),
                       .lengthMismatch(source: "m.gguf", key: "tokenizer.ggml.token_type", expected: 2, found: 3))
    }

    func testEmptyVocabularyIsRejected() {
        XCTAssertEqual(validationError(Vocabulary(source: "m.gguf", tokens: [])), .emptyVocabulary(source: "m.gguf"))
    }

    func testSpecialTokenOutsideTheVocabularyIsRejected() {
        let vocabulary = Vocabulary(source: "m.gguf", tokens: ["a"], eosToken: 7)
        XCTAssertEqual(validationError(vocabulary), .specialTokenOutOfRange(
            source: "m.gguf", key: "tokenizer.ggml.eos_token_id", id: 7, vocabularySize: 1))
    }

    func testAddingBOSWithoutABOSTokenIsRejected() {
        let vocabulary = Vocabulary(source: "m.gguf", tokens: ["a"], addBOS: true)
        XCTAssertEqual(validationError(vocabulary), .missingSpecialToken(
            source: "m.gguf", flagKey: "tokenizer.ggml.add_bos_token", idKey: "tokenizer.ggml.bos_token_id"))
    }

    func testDuplicatePiecesAreRejected() {
        let vocabulary = Vocabulary(source: "m.gguf", tokens: ["a", "b", "a"])
        XCTAssertThrowsError(try SentencePieceTokenizer(vocabulary: vocabulary)) { error in
            XCTAssertEqual(error as? TokenizerError,
                           .duplicateToken(source: "m.gguf", piece: "a", firstID: 0, secondID: 2))
        }
    }

    func testCanonicallyEquivalentPiecesStayDistinct() throws {
        // "é" precomposed and decomposed are equal as Swift Strings but distinct pieces.
        let vocabulary = Vocabulary(source: "m.gguf", tokens: ["\u{E9}", "e\u{301}", "e", "\u{301}"])
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.token(forPiece: "\u{E9}"), 0)
        XCTAssertEqual(tokenizer.token(forPiece: "e\u{301}"), 1)
        XCTAssertEqual(tokenizer.encode("e\u{301}", addSpecial: false, parseSpecial: false), [1])
    }

    func testEndOfGenerationTokensIncludeEOSEndOfTurnPiecesAndTheExplicitEOT() throws {
        let vocabulary = Vocabulary(
            source: "m.gguf", tokens: ["<eos>", "<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<stop>", "a"],
            tokenTypes: [.control, .control, .control, .control, .control, .normal],
            eosToken: 0, endOfTurnToken: 4)
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.endOfGenerationTokens, [0, 1, 2, 3, 4])
    }
}
