import XCTest
@testable import Tokenizer

final class PreTokenizerTests: XCTestCase {
    private func words(_ preTokenizer: PreTokenizer, _ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return preTokenizer.split(scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
    }

    func testGPT2KeepsOneLeadingSpaceWithEachWord() {
        XCTAssertEqual(words(.gpt2, "Hello world"), ["Hello", " world"])
        XCTAssertEqual(words(.gpt2, "héllo wörld 日本語"), ["héllo", " wörld", " 日本語"])
        XCTAssertEqual(words(.gpt2, "x 123 4567"), ["x", " 123", " 4567"])
        XCTAssertEqual(words(.gpt2, "Hi!! ?"), ["Hi", "!!", " ?"])
    }

    func testGPT2ContractionsAreLowercaseOnly() {
        XCTAssertEqual(words(.gpt2, "I'm don'T"), ["I", "'m", " don", "'", "T"])
    }

    func testWhitespaceRunLeavesItsLastCharacterToTheNextWord() {
        XCTAssertEqual(words(.gpt2, "a   b"), ["a", "  ", " b"])
        XCTAssertEqual(words(.gpt2, "a\n\nb"), ["a", "\n", "\n", "b"])
        XCTAssertEqual(words(.gpt2, "a  "), ["a", "  "])
        XCTAssertEqual(words(.llama3, "a   b"), ["a", "  ", " b"])
    }

    func testLlama3GroupsDigitsInThreesAndQwen2SplitsEachDigit() {
        XCTAssertEqual(words(.llama3, "12345"), ["123", "45"])
        XCTAssertEqual(words(.qwen2, "12345"), ["1", "2", "3", "4", "5"])
        XCTAssertEqual(words(.llama3, "a 1"), ["a", " ", "1"])
    }

    func testLlama3ContractionsIgnoreCase() {
        XCTAssertEqual(words(.llama3, "don'T WE'LL"), ["don", "'T", " WE", "'LL"])
    }

    func testLlama3AttachesOnePunctuationCharacterToTheFollowingWord() {
        XCTAssertEqual(words(.llama3, ".x"), [".x"])
        XCTAssertEqual(words(.gpt2, ".x"), [".", "x"])
    }

    func testLlama3NewlinesEndWhitespaceAndPunctuationRuns() {
        XCTAssertEqual(words(.llama3, "Hello\n\n  world"), ["Hello", "\n\n", " ", " world"])
        XCTAssertEqual(words(.llama3, "!!!\n\nx"), ["!!!\n\n", "x"])
        XCTAssertEqual(words(.llama3, "a \n b"), ["a", " \n", " b"])
    }

    func testNamesMapAsLlamaCppMapsThem() {
        XCTAssertNil(PreTokenizer(name: "no-such-pre"))
        XCTAssertEqual(PreTokenizer(name: "llama-bpe"), .llama3)
        XCTAssertEqual(PreTokenizer(name: "llama3"), .llama3)
        XCTAssertEqual(PreTokenizer(name: "default"), .fallback)
        XCTAssertEqual(PreTokenizer(name: "smollm"), .starCoder)
        XCTAssertEqual(PreTokenizer(name: "refact"), .starCoder)
        XCTAssertEqual(PreTokenizer(name: "qwen2"), .qwen2)
        XCTAssertEqual(PreTokenizer(name: "mpt"), .gpt2)
        XCTAssertEqual(PreTokenizer(name: "tekken"), .tekken)
        XCTAssertEqual(PreTokenizer(name: "gpt-4o"), .gpt4o)
        XCTAssertEqual(Set(PreTokenizer.supportedNames).count, PreTokenizer.supportedNames.count, "a name listed twice")
        // BOS by default and whole-word lookups only where llama.cpp sets them.
        XCTAssertTrue(PreTokenizer.llama3.addsBOSByDefault && PreTokenizer.llama3.ignoresMerges)
        XCTAssertTrue(PreTokenizer.tekken.addsBOSByDefault && PreTokenizer.tekken.ignoresMerges)
        XCTAssertFalse(PreTokenizer.qwen2.addsBOSByDefault || PreTokenizer.starCoder.addsBOSByDefault)
    }

    /// SmolLM2 (`smollm`): every digit alone, then the GPT-2 expression.
    func testSmolLMSplitsEachDigitThenLikeGPT2() {
        let smollm = PreTokenizer(name: "smollm")!
        XCTAssertEqual(words(smollm, "x 123 abc's"), ["x", " ", "1", "2", "3", " abc", "'s"])
        XCTAssertEqual(words(smollm, "Hi!! ?"), ["Hi", "!!", " ?"])
    }

    /// Falcon: punctuation runs first, then GPT-2, then ASCII digits in threes.
    func testFalconCutsPunctuationFirstAndDigitsInThrees() {
        XCTAssertEqual(words(.falcon, "a, b 12345"), ["a", ",", " b", " ", "123", "45"])
        XCTAssertEqual(words(.falcon, "x+=1"), ["x", "+=", "1"])
    }

    /// Tekken (Mistral Nemo): words split where case changes, digits alone, one leading
    /// non-letter joins the word.
    func testTekkenSplitsAtCaseChanges() {
        XCTAssertEqual(words(.tekken, "HelloWorld"), ["Hello", "World"])
        XCTAssertEqual(words(.tekken, "HTTPServer x"), ["HTTPServer", " x"])
        XCTAssertEqual(words(.tekken, "ABC"), ["ABC"])
        XCTAssertEqual(words(.tekken, "2024"), ["2", "0", "2", "4"])
        XCTAssertEqual(words(.tekken, "don't"), ["don", "'t"])
        XCTAssertEqual(words(.tekken, "a/b\n"), ["a", "/b", "\n"])
        XCTAssertEqual(words(.tekken, "a+/\nb"), ["a", "+/\n", "b"])
        XCTAssertEqual(words(.tekken, "x\n\n y"), ["x", "\n\n", " y"])
    }

    /// GPT-4o: as Tekken, with contractions kept on their word and digits in threes.
    func testGPT4oKeepsContractionsAndGroupsDigitsInThrees() {
        XCTAssertEqual(words(.gpt4o, "don't WE'LL"), ["don't", " WE'LL"])
        XCTAssertEqual(words(.gpt4o, "12345"), ["123", "45"])
        XCTAssertEqual(words(.gpt4o, "camelCase"), ["camel", "Case"])
        XCTAssertEqual(words(.gpt4o, "a ...\n"), ["a", " ...\n"])
    }

    func testDeepSeekCoderSeparatesNewlinesLettersPunctuationAndDigits() {
        XCTAssertEqual(words(.deepSeekCoder, "int x=10;\n"), ["int", " x", "=", "1", "0", ";", "\n"])
    }

    func testEmptyTextHasNoWords() {
        for preTokenizer in PreTokenizer.byName.map(\.preTokenizer) {
            XCTAssertEqual(words(preTokenizer, ""), [])
        }
    }
}
