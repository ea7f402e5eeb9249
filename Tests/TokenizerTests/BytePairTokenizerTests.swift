import XCTest
@testable import Tokenizer

final class BytePairTokenizerTests: XCTestCase {
    private let helloMerges = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), (" ", "w")]

    private func id(_ text: String, _ vocabulary: Vocabulary) -> Int32 {
        TestVocabularies.id(TestVocabularies.alphabet(text), in: vocabulary)
    }

    private func bytes(_ text: String) -> [Int32] {
        text.utf8.map { Int32($0) }  // single-byte pieces have ids 0…255 in byte order
    }

    func testWordsMergeWithinPreTokenizerWords() throws {
        let vocabulary = TestVocabularies.bytePair(merges: helloMerges)
        let tokenizer = try BytePairTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("hello world", addSpecial: false, parseSpecial: false),
                       [id("hello", vocabulary), id(" w", vocabulary)] + bytes("orld"))
    }

    func testLowestRankMergesFirst() throws {
        let bcFirst = TestVocabularies.bytePair(merges: [("b", "c"), ("a", "b")])
        let abFirst = TestVocabularies.bytePair(merges: [("a", "b"), ("b", "c")])
        XCTAssertEqual(try BytePairTokenizer(vocabulary: bcFirst).encode("abc", addSpecial: false, parseSpecial: false),
                       bytes("a") + [id("bc", bcFirst)])
        XCTAssertEqual(try BytePairTokenizer(vocabulary: abFirst).encode("abc", addSpecial: false, parseSpecial: false),
                       [id("ab", abFirst)] + bytes("c"))
    }

    func testEqualPairsMergeLeftmostFirst() throws {
        let vocabulary = TestVocabularies.bytePair(merges: [("a", "a")])
        let tokenizer = try BytePairTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("aaa", addSpecial: false, parseSpecial: false),
                       [id("aa", vocabulary)] + bytes("a"))
    }

    func testLlama3EmitsAWordThatIsAPieceWithoutMerging() throws {
        for (pre, expectWhole) in [("llama-bpe", true), ("gpt-2", false)] {
            var vocabulary = TestVocabularies.bytePair(merges: [], pre: pre)
            vocabulary.tokens.append("xyz")
            vocabulary.tokenTypes.append(.normal)
            let tokenizer = try BytePairTokenizer(vocabulary: vocabulary)
            XCTAssertEqual(tokenizer.encode("xyz", addSpecial: false, parseSpecial: false),
                           expectWhole ? [Int32(vocabulary.count - 1)] : bytes("xyz"), pre)
        }
    }

    func testControlTokensInTextMatchOnlyWithParseSpecial() throws {
        let vocabulary = TestVocabularies.bytePair(merges: [])
        let tokenizer = try BytePairTokenizer(vocabulary: vocabulary)
        let imEnd = TestVocabularies.id("<|im_end|>", in: vocabulary)
        XCTAssertEqual(tokenizer.encode("hi<|im_end|>", addSpecial: false, parseSpecial: true), bytes("hi") + [imEnd])
        XCTAssertEqual(tokenizer.encode("hi<|im_end|>", addSpecial: false, parseSpecial: false), bytes("hi<|im_end|>"))
    }

    func testBOSIsAddedOnlyWhenTheVocabularyAsks() throws {
        let adding = try BytePairTokenizer(vocabulary: TestVocabularies.bytePair(merges: [], addBOS: true))
        let plain = try BytePairTokenizer(vocabulary: TestVocabularies.bytePair(merges: [], addBOS: false))
        XCTAssertEqual(adding.encode("a", addSpecial: true, parseSpecial: false), [adding.bosToken!] + bytes("a"))
        XCTAssertEqual(plain.encode("a", addSpecial: true, parseSpecial: false), bytes("a"))
    }

    func testPiecesPrintTheirRawBytes() throws {
        let vocabulary = TestVocabularies.bytePair(merges: helloMerges)
        let tokenizer = try BytePairTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.pieceBytes(id(" w", vocabulary), special: false), Array(" w".utf8))
        XCTAssertEqual(tokenizer.pieceBytes(0xF0, special: false), [0xF0])
        let endOfText = TestVocabularies.id("<|endoftext|>", in: vocabulary)
        XCTAssertEqual(tokenizer.pieceBytes(endOfText, special: false), [])
        XCTAssertEqual(tokenizer.pieceBytes(endOfText, special: true), Array("<|endoftext|>".utf8))
        XCTAssertEqual(tokenizer.endOfGenerationTokens,
                       [endOfText, TestVocabularies.id("<|im_end|>", in: vocabulary)])
    }

    func testDecodeRoundTripsAnyText() throws {
        let tokenizer = try BytePairTokenizer(vocabulary: TestVocabularies.bytePair(merges: helloMerges, pre: "qwen2"))
        for text in ["hello world", "  x\n\n\ty", "日本語 🦙 ok", "it's 12345!"] {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text, addSpecial: false, parseSpecial: false)), text)
        }
    }

    func testUnknownPreTokenizerListsTheSupportedOnes() {
        let vocabulary = TestVocabularies.bytePair(merges: [], pre: "no-such-pre")
        XCTAssertThrowsError(try BytePairTokenizer(vocabulary: vocabulary)) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownPreTokenizer(source: "test-bpe", name: "no-such-pre"))
            for name in ["default", "gpt-2", "llama-bpe", "qwen2", "smollm", "deepseek-coder", "tekken", "gpt-4o"] {
                XCTAssertTrue("\(error)".contains(name), "\(error) lists \(name)")
            }
        }
    }

    func testMergeLineWithoutASpaceIsRejected() {
        var vocabulary = TestVocabularies.bytePair(merges: [("a", "b")])
        vocabulary.merges.append("abc")
        XCTAssertThrowsError(try BytePairTokenizer(vocabulary: vocabulary)) { error in
            XCTAssertEqual(error as? TokenizerError, .badMerge(source: "test-bpe", index: 1, line: "abc"))
        }
    }
}
