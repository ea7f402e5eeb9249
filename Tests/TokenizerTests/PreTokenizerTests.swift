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

    func testUnknownNamesAreNotSupported() {
        XCTAssertNil(PreTokenizer(name: "falcon"))
        XCTAssertEqual(PreTokenizer(name: "llama-bpe"), .llama3)
        XCTAssertEqual(PreTokenizer(name: "default"), .gpt2)
    }
}
