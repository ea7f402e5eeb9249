import Foundation
import GGUF
import TestSupport
import XCTest
@testable import Tokenizer

/// llama.cpp's tokenizer test vectors: vocabulary-only GGUF files with `.inp` (inputs separated
/// by `__ggml_vocab_test__` lines) and `.out` (expected ids per input, from the Hugging Face
/// reference tokenizers), tokenized without BOS and without parsing special tokens.
///
/// The directory is `$JOBS_TOKENIZER_TESTDATA` or `/work/shared/testdata/tokenizers`; absent,
/// the tests are skipped unless `JOBS_REQUIRE_MODEL=1`.
final class GoldenFileTests: XCTestCase {
    func testLlamaSentencePieceVectorsAllMatch() throws {
        try checkVectors("ggml-vocab-llama-spm.gguf", expectedTokenizer: SentencePieceTokenizer.self)
    }

    func testPhi3SentencePieceVectorsAllMatch() throws {
        try checkVectors("ggml-vocab-phi-3.gguf", expectedTokenizer: SentencePieceTokenizer.self)
    }

    func testGPT2BytePairVectorsAllMatch() throws {
        try checkVectors("ggml-vocab-gpt-2.gguf", expectedTokenizer: BytePairTokenizer.self)
    }

    func testDeepSeekCoderVectorsAllMatch() throws {
        try checkVectors("ggml-vocab-deepseek-coder.gguf", expectedTokenizer: BytePairTokenizer.self)
    }

    func testDeepSeekLLMVectorsAllMatch() throws {
        try checkVectors("ggml-vocab-deepseek-llm.gguf", expectedTokenizer: BytePairTokenizer.self)
    }

    func testFalconVectorsAllMatch() throws {
        try checkVectors("ggml-vocab-falcon.gguf", expectedTokenizer: BytePairTokenizer.self)
    }

    func testMPTVectorsAllMatch() throws {
        try checkVectors("ggml-vocab-mpt.gguf", expectedTokenizer: BytePairTokenizer.self)
    }

    /// Refact's vocabulary with the StarCoder expressions (shared with `smollm`, SmolLM2's name).
    func testRefactVectorsAllMatch() throws {
        try checkVectors("ggml-vocab-refact.gguf", expectedTokenizer: BytePairTokenizer.self)
    }

    func testStarCoderVectorsAllMatch() throws {
        try checkVectors("ggml-vocab-starcoder.gguf", expectedTokenizer: BytePairTokenizer.self)
    }

    /// The `qwen2` vectors come without a vocabulary file: they run on the real Qwen2.5 file's
    /// (the same 151,643 BPE pieces as every Qwen2/2.5 vocabulary).
    func testQwen2BytePairVectorsAllMatchOnTheRealQwenVocabulary() throws {
        let directory = try Self.directory()
        let vocabulary = try RealModel.qwenPath()
        try checkVectors("ggml-vocab-qwen2.gguf", vocabularyPath: vocabulary, expectedTokenizer: BytePairTokenizer.self,
                         directory: directory)
    }

    private func checkVectors(_ name: String, vocabularyPath: String? = nil, expectedTokenizer: any Tokenizer.Type,
                              directory: String? = nil) throws {
        let directory = try directory ?? Self.directory()
        let tokenizer = try TokenizerLoader.load(from: GGUFFile(path: vocabularyPath ?? "\(directory)/\(name)"))
        XCTAssertTrue(type(of: tokenizer) == expectedTokenizer, "\(name) loaded as \(type(of: tokenizer))")

        let inputs = try String(contentsOfFile: "\(directory)/\(name).inp", encoding: .utf8)
        let outputs = try String(contentsOfFile: "\(directory)/\(name).out", encoding: .utf8)
        var texts = inputs.components(separatedBy: "\n__ggml_vocab_test__\n")
        if texts.last == "" { texts.removeLast() }
        var lines = outputs.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        XCTAssertEqual(texts.count, lines.count, "\(name): inputs and expected outputs do not pair up")
        XCTAssertGreaterThan(texts.count, 40)

        var failures: [String] = []
        for (text, line) in zip(texts, lines) {
            let expected = line.split(separator: " ").map { Int32($0)! }
            let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            if ids != expected {
                failures.append("\(text.debugDescription): expected \(expected), got \(ids)")
            }
            // Decoding concatenates the pieces, so the space prefix encoding added stays.
            let prefix = (tokenizer as? SentencePieceTokenizer)?.addsSpacePrefix == true && !text.isEmpty ? " " : ""
            XCTAssertEqual(tokenizer.decode(ids), prefix + text,
                           "\(name): decode does not give back \(text.debugDescription)")
        }
        XCTAssertEqual(failures, [], "\(name): \(failures.count) of \(texts.count) vectors differ")
    }

    static func directory() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["JOBS_TOKENIZER_TESTDATA"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/work/shared/testdata/tokenizers"
        if FileManager.default.fileExists(atPath: "\(path)/ggml-vocab-gpt-2.gguf") { return path }
        if environment["JOBS_REQUIRE_MODEL"] == "1" { throw MissingVectors(path: path) }
        throw XCTSkip("tokenizer test vectors absent from \(path) (set JOBS_TOKENIZER_TESTDATA)")
    }

    struct MissingVectors: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "JOBS_REQUIRE_MODEL=1 but the tokenizer test vectors are not in \(path); set JOBS_TOKENIZER_TESTDATA"
        }
    }
}
