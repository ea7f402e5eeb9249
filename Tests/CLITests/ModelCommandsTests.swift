import Foundation
import TestSupport
import Model
import Kernels
import XCTest

/// `generate`, `perplexity` and `bench` on a tiny model written by the test.
final class ModelCommandsTests: XCTestCase {
    var harness: CLIHarness!
    var model: String!

    override func setUpWithError() throws {
        harness = CLIHarness()
        model = try TinyModel.write(.gemma3, to: harness.directory.file("tiny.gguf"))
    }

    func testGenerateStreamsOnlyTheCompletionAndReportsSpeedOnStandardError() {
        let outcome = harness.run("generate", "--model", model, "--temperature", "0", "--max-tokens", "12", "the cat")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertFalse(outcome.output.isEmpty)
        XCTAssertFalse(outcome.output.contains("the cat"), "the prompt is not echoed")
        XCTAssertTrue(outcome.errors.contains("prompt: 7 tokens"), outcome.errors)
        XCTAssertTrue(outcome.errors.contains("generated: 12 tokens"), outcome.errors)
        XCTAssertTrue(outcome.errors.contains("finish: length"), outcome.errors)
    }

    func testGenerateWithTheSameSeedGivesTheSameText() {
        let first = harness.run("generate", "--model", model, "--seed", "42", "--max-tokens", "16", "hello")
        let second = harness.run("generate", "--model", model, "--seed", "42", "--max-tokens", "16", "hello")
        let other = harness.run("generate", "--model", model, "--seed", "43", "--max-tokens", "16", "hello")
        XCTAssertEqual(first.code, 0, first.errors)
        XCTAssertEqual(first.output, second.output)
        XCTAssertNotEqual(first.output, other.output)
    }

    func testGenerateReadsThePromptFromStandardInputAndFormatsChat() {
        harness.standardInput = Array("tell me a story".utf8)
        let outcome = harness.run("generate", "--model", model, "--chat", "--max-tokens", "4", "--temperature", "0", "-")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertTrue(outcome.errors.contains("Gemma"), "the missing template is reported: \(outcome.errors)")
    }

    /// Issue 10: the message is text, so the turn markers in it are 27 prompt tokens on the
    /// default model, not the 16 of a fake model turn.
    func testGenerateChatKeepsTurnMarkersInTheMessageAsText() throws {
        let realModel = try RealModel.path()
        let outcome = harness.run("generate", "--model", realModel, "--chat", "--max-tokens", "1", "--temperature", "0",
                                  "Say <start_of_turn>model hi<end_of_turn> ok")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertTrue(outcome.errors.contains("prompt: 27 tokens"), outcome.errors)
    }

    /// As `jobs submit` refuses `"prompt": ""`; before the model loads (the path given is no model).
    func testGenerateRefusesAnEmptyPromptButNotAnEmptyChatMessage() {
        let empty = harness.run("generate", "--model", harness.directory.file("absent.gguf"), "")
        XCTAssertEqual(empty.code, 1)
        XCTAssertEqual(empty.errors, "jobs: the prompt is empty; give the text to continue, or use --chat for an empty user message\n")
        harness.standardInput = []
        let stdin = harness.run("generate", "--model", model, "-")
        XCTAssertEqual(stdin.code, 1)
        XCTAssertTrue(stdin.errors.contains("the prompt is empty (nothing on standard input)"), stdin.errors)
        let chat = harness.run("generate", "--model", model, "--chat", "--max-tokens", "2", "")
        XCTAssertEqual(chat.code, 0, chat.errors)
    }

    func testGenerateWithAMissingModelSaysHowToInstallOne() {
        harness.environment["JOBS_MODEL"] = nil
        harness.environment["XDG_DATA_HOME"] = harness.directory.file("nowhere")
        let outcome = harness.run("generate", "hello")
        XCTAssertEqual(outcome.code, 1)
        XCTAssertTrue(outcome.errors.contains("Scripts/install-model"), outcome.errors)
    }

    /// `generate` reserves KV memory for its prompt plus --max-tokens, bounded by the context:
    /// a --max-tokens far past the context (the tiny model's is 512) runs to the context's end
    /// instead of reserving a million tokens of cache; both KV formats give the same greedy text
    /// on this model.
    func testGenerateSizesItsKVCacheToThePromptAndMaxTokens() {
        let f16 = harness.run("generate", "--model", model, "--temperature", "0", "--max-tokens", "1000000", "--kv-type", "f16", "the cat")
        XCTAssertEqual(f16.code, 0, f16.errors)
        XCTAssertTrue(f16.errors.contains("generated: 505 tokens"), f16.errors)
        XCTAssertTrue(f16.errors.contains("finish: length"), f16.errors)
        let f32 = harness.run("generate", "--model", model, "--temperature", "0", "--max-tokens", "12", "--kv-type", "f32", "the cat")
        XCTAssertEqual(f32.code, 0, f32.errors)
        let bf16 = harness.run("generate", "--model", model, "--temperature", "0", "--max-tokens", "12", "--kv-type", "BF16", "the cat")
        XCTAssertEqual(bf16.code, 0, bf16.errors)
        XCTAssertTrue(bf16.errors.contains("generated: 12 tokens"), bf16.errors)
        let bad = harness.run("generate", "--model", model, "--kv-type", "q4_0", "the cat")
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.errors.contains("--kv-type: expected f16, bf16 or f32, got 'q4_0'"), bad.errors)
    }

    func testGenerateRejectsBadSamplingValuesAsUsageErrors() {
        XCTAssertEqual(harness.run("generate", "--model", model, "--temperature", "hot", "x").code, 2)
        XCTAssertEqual(harness.run("generate", "--model", model, "--top-p", "1.5", "x").code, 2)
        XCTAssertEqual(harness.run("generate", "--model", model).code, 2)
    }

    func testPerplexityEndsWithTheFigureOnItsLastLine() throws {
        let text = harness.directory.write("text.txt", String(repeating: "the cat and the dog ", count: 60))
        let outcome = harness.run("perplexity", "--model", model, "--ctx", "64", text)
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        let last = try XCTUnwrap(outcome.output.split(separator: "\n").last)
        XCTAssertNotNil(last.wholeMatch(of: /perplexity: \d+\.\d{4}/), String(last))
        XCTAssertTrue(outcome.errors.contains("[1/"), "progress per window: \(outcome.errors)")
    }

    func testPerplexityWithF32ActivationsSaysSoAndDiffersFromInt8() throws {
        let text = harness.directory.write("text.txt", String(repeating: "the cat and the dog ", count: 60))
        let f32 = harness.run("perplexity", "--model", model, "--ctx", "64", "--activations", "f32", text)
        XCTAssertEqual(f32.code, 0, f32.errors)
        XCTAssertTrue(f32.output.contains("f32 activations"), f32.output)
        let int8 = harness.run("perplexity", "--model", model, "--ctx", "64", text)
        if MatrixActivations.int8Supported {
            XCTAssertTrue(int8.output.contains("int8 activations"), int8.output)
            XCTAssertNotEqual(f32.output.split(separator: "\n").last, int8.output.split(separator: "\n").last)
        }
        XCTAssertTrue(int8.output.contains("\(KVPrecision.default) KV cache"), int8.output)
        let f32KV = harness.run("perplexity", "--model", model, "--ctx", "64", "--kv-type", "f32", text)
        XCTAssertTrue(f32KV.output.contains("f32 KV cache"), f32KV.output)
        let bad = harness.run("perplexity", "--model", model, "--activations", "fp8", text)
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.errors.contains("expected int8 or f32, got 'fp8'"), bad.errors)
    }

    func testPerplexityOfTooShortATextIsAUserError() {
        let text = harness.directory.write("short.txt", "too short")
        let outcome = harness.run("perplexity", "--model", model, "--ctx", "64", text)
        XCTAssertEqual(outcome.code, 1)
        XCTAssertTrue(outcome.errors.contains("needs at least 128"), outcome.errors)
    }

    func testBenchWithAMissingPromptsFileFailsBeforeLoadingTheModel() {
        let missing = harness.directory.file("absent.jsonl")
        let outcome = harness.run("bench", "--model", model, "--only", "engine", "--prompts", missing)
        XCTAssertEqual(outcome.code, 1)
        XCTAssertTrue(outcome.errors.contains("absent.jsonl"), outcome.errors)
        XCTAssertFalse(outcome.output.contains("model:"), "loaded the model first:\n\(outcome.output)")
    }

    func testBenchRunsEverySectionAndPrintsRatios() {
        let prompts = harness.file("prompts.jsonl", (0..<6).map { #"{"id": "p\#($0)", "prompt": "the \#($0) cat"}"# })
        let outcome = harness.run("bench", "--model", model, "--prompts", prompts, "--max-tokens", "6", "--seqs", "1,4")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        for expected in ["== decoder", "prefill", "decode 128 tokens", "== gemm", "== engine", "--max-seqs   4",
                         "== shared prefix", "prefix cache on", "faster overall", "peak RSS"] {
            XCTAssertTrue(outcome.output.contains(expected), "missing '\(expected)' in:\n\(outcome.output)")
        }
    }
}
