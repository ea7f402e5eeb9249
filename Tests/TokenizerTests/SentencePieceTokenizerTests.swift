import XCTest
@testable import Tokenizer

final class SentencePieceTokenizerTests: XCTestCase {
    private func ids(_ pieces: [String], _ vocabulary: Vocabulary) -> [Int32] {
        pieces.map { TestVocabularies.id($0, in: vocabulary) }
    }

    func testHigherScoringPairMergesFirst() throws {
        let pieces: [(String, Float)] = [("a", 0), ("b", 0), ("c", 0), ("ab", -2), ("bc", -1)]
        let vocabulary = TestVocabularies.sentencePiece(pieces)
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("abc", addSpecial: false, parseSpecial: false), ids(["a", "bc"], vocabulary))
    }

    func testEqualScoresMergeLeftmostPairFirst() throws {
        let pieces: [(String, Float)] = [("a", 0), ("b", 0), ("c", 0), ("ab", -1), ("bc", -1)]
        let vocabulary = TestVocabularies.sentencePiece(pieces)
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("abc", addSpecial: false, parseSpecial: false), ids(["ab", "c"], vocabulary))
    }

    func testMergedSymbolsKeepMerging() throws {
        let pieces: [(String, Float)] = [("a", 0), ("b", 0), ("c", 0), ("ab", -1), ("abc", -3), ("bc", -2)]
        let vocabulary = TestVocabularies.sentencePiece(pieces)
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("abcab", addSpecial: false, parseSpecial: false),
                       ids(["abc", "ab"], vocabulary))
    }

    func testSpacesBecomeSpaceMarkers() throws {
        let pieces: [(String, Float)] = [("a", 0), ("b", 0), ("▁", 0), ("▁b", -1)]
        let vocabulary = TestVocabularies.sentencePiece(pieces)
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("a b", addSpecial: false, parseSpecial: false), ids(["a", "▁b"], vocabulary))
    }

    func testSpacePrefixIsAddedOnlyWhenTheVocabularyAsksForIt() throws {
        let pieces: [(String, Float)] = [("a", 0), ("▁", 0), ("▁a", -1)]
        let withPrefix = TestVocabularies.sentencePiece(pieces, addSpacePrefix: true)
        let without = TestVocabularies.sentencePiece(pieces, addSpacePrefix: false)
        XCTAssertEqual(try SentencePieceTokenizer(vocabulary: withPrefix).encode("a", addSpecial: false, parseSpecial: false),
                       ids(["▁a"], withPrefix))
        XCTAssertEqual(try SentencePieceTokenizer(vocabulary: without).encode("a", addSpecial: false, parseSpecial: false),
                       ids(["a"], without))
    }

    func testSpacePrefixFollowsEverySpecialToken() throws {
        let pieces: [(String, Float)] = [("a", 0), ("▁", 0), ("▁a", -1)]
        let vocabulary = TestVocabularies.sentencePiece(pieces, addSpacePrefix: true)
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("a<start_of_turn>a", addSpecial: false, parseSpecial: true),
                       [TestVocabularies.id("▁a", in: vocabulary), 3, TestVocabularies.id("▁a", in: vocabulary)])
    }

    func testCharactersOutsideTheVocabularyFallBackToByteTokens() throws {
        let vocabulary = TestVocabularies.sentencePiece([("a", 0)])
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        // 🦙 is F0 9F A6 99; byte token for byte b has id 5 + b.
        let llama: [Int32] = [0xF0, 0x9F, 0xA6, 0x99].map { 5 + $0 }
        XCTAssertEqual(tokenizer.encode("a🦙", addSpecial: false, parseSpecial: false),
                       [TestVocabularies.id("a", in: vocabulary)] + llama)
    }

    func testWithoutByteTokensUnknownCharactersBecomeTheUnknownToken() throws {
        let vocabulary = TestVocabularies.sentencePiece([("a", 0)], byteTokens: false)
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("aé", addSpecial: false, parseSpecial: false),
                       [TestVocabularies.id("a", in: vocabulary), 0, 0])
    }

    func testControlTokensInTextMatchOnlyWithParseSpecial() throws {
        let pieces: [(String, Float)] = [("<", 0), ("s", 0), (">", 0)]
        let vocabulary = TestVocabularies.sentencePiece(pieces)
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("<s>", addSpecial: false, parseSpecial: true), [1])
        XCTAssertEqual(tokenizer.encode("<s>", addSpecial: false, parseSpecial: false), ids(["<", "s", ">"], vocabulary))
    }

    func testUserDefinedTokensAreAlwaysSplitOut() throws {
        let vocabulary = TestVocabularies.sentencePiece([("a", 0)])
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("a<br>a", addSpecial: false, parseSpecial: false),
                       [TestVocabularies.id("a", in: vocabulary), 4, TestVocabularies.id("a", in: vocabulary)])
    }

    func testAddSpecialAddsBOSAndEOSAsTheVocabularyAsks() throws {
        let vocabulary = TestVocabularies.sentencePiece([("a", 0)], addBOS: true, addEOS: true)
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        let a = TestVocabularies.id("a", in: vocabulary)
        XCTAssertEqual(tokenizer.encode("a", addSpecial: true, parseSpecial: false), [1, a, 2])
        XCTAssertEqual(tokenizer.encode("a", addSpecial: false, parseSpecial: false), [a])
        XCTAssertEqual(tokenizer.encode("", addSpecial: true, parseSpecial: false), [1, 2])
    }

    func testPiecesPrintSpacesBytesAndHideControlTokens() throws {
        let vocabulary = TestVocabularies.sentencePiece([("▁a▁b", 0)])
        let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.pieceBytes(TestVocabularies.id("▁a▁b", in: vocabulary), special: false),
                       Array(" a b".utf8))
        XCTAssertEqual(tokenizer.pieceBytes(5 + 0xF0, special: false), [0xF0])
        XCTAssertEqual(tokenizer.pieceBytes(3, special: false), [])
        XCTAssertEqual(tokenizer.pieceBytes(3, special: true), Array("<start_of_turn>".utf8))
        XCTAssertEqual(tokenizer.pieceBytes(4, special: false), Array("<br>".utf8))
        XCTAssertEqual(tokenizer.pieceBytes(100_000, special: true), [])
    }

    func testDecodeRoundTripsTextWithoutSpacePrefix() throws {
        let pieces: [(String, Float)] = [("h", 0), ("i", 0), ("▁", 0), ("hi", -1), ("▁hi", -2)]
        let tokenizer = try TestVocabularies.sentencePieceTokenizer(pieces)
        for text in ["hi hi", " hi", "h💡i\n", "<br>hi"] {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text, addSpecial: true, parseSpecial: false)), text)
        }
    }

    func testByteTokenThatIsNotHexIsRejected() {
        var vocabulary = TestVocabularies.sentencePiece([("a", 0)])
        vocabulary.tokens[5] = "<0xZZ>"
        XCTAssertThrowsError(try SentencePieceTokenizer(vocabulary: vocabulary)) { error in
            XCTAssertEqual(error as? TokenizerError, .badByteToken(source: "test-spm", id: 5, piece: "<0xZZ>"))
        }
    }
}
