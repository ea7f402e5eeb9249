import GGUF
import XCTest

final class GGUFMetadataTests: XCTestCase {
    private let path = "/models/m.gguf"

    private func metadata(_ entries: [(String, GGUFValue)]) throws -> GGUFMetadata {
        try GGUFMetadata(path: path, entries: entries.map { (key: $0.0, value: $0.1) })
    }

    func testIntegerGettersAcceptEveryWidth() throws {
        let m = try metadata([("a", .uint8(1)), ("b", .int16(-2)), ("c", .uint32(3)), ("d", .int64(-4)),
                              ("e", .uint64(5))])
        XCTAssertEqual(["a", "b", "c", "d", "e"].map { m.int($0) }, [1, -2, 3, -4, 5])
        XCTAssertEqual(try m.requireInt("c"), 3)
        XCTAssertEqual(try m.int("missing", default: 9), 9)
        XCTAssertEqual(try m.int("d", default: 9), -4)
    }

    func testIntegerTooLargeForIntIsAnOutOfRangeError() throws {
        let m = try metadata([("big", .uint64(UInt64.max))])
        XCTAssertNil(m.int("big"))
        XCTAssertThrowsError(try m.requireInt("big")) { error in
            guard case .valueOutOfRange(path, "big", _, _) = error as? GGUFError else { return XCTFail("\(error)") }
        }
    }

    func testFloatGettersAcceptFloat32AndFloat64() throws {
        let m = try metadata([("f", .float32(0.25)), ("d", .float64(1e-6))])
        XCTAssertEqual(m.float("f"), 0.25)
        XCTAssertEqual(m.double("f"), 0.25)
        XCTAssertEqual(m.float("d"), Float(1e-6))
        XCTAssertEqual(try m.requireDouble("d"), 1e-6)
        XCTAssertEqual(try m.float("missing", default: 10_000), 10_000)
    }

    func testArrayGettersReturnTypedArrays() throws {
        let m = try metadata([("s", .array(.string(["a", "b"]))), ("f", .array(.float32([1, 2]))),
                              ("d", .array(.float64([0.5]))), ("i", .array(.int32([1, -1]))),
                              ("u", .array(.uint8([200])))])
        XCTAssertEqual(m.stringArray("s"), ["a", "b"])
        XCTAssertEqual(try m.requireFloatArray("f"), [1, 2])
        XCTAssertEqual(m.floatArray("d"), [0.5])
        XCTAssertEqual(try m.requireIntArray("i"), [1, -1])
        XCTAssertEqual(m.intArray("u"), [200])
        XCTAssertNil(m.intArray("s"))
    }

    func testWrongTypeErrorsNameFileKeyExpectedAndFound() throws {
        let m = try metadata([("tokenizer.ggml.tokens", .array(.int32([1]))), ("flag", .uint8(1)),
                              ("n", .string("12"))])
        XCTAssertNil(m.stringArray("tokenizer.ggml.tokens"))
        XCTAssertThrowsError(try m.requireStringArray("tokenizer.ggml.tokens")) { error in
            XCTAssertEqual(error as? GGUFError, .wrongKeyType(path: path, key: "tokenizer.ggml.tokens",
                                                              expected: "ARRAY[STRING]", found: "ARRAY[INT32]"))
            XCTAssertEqual("\(error)", "/models/m.gguf: metadata key 'tokenizer.ggml.tokens' is ARRAY[INT32], "
                + "expected ARRAY[STRING]; convert the model again with a recent llama.cpp")
        }
        XCTAssertThrowsError(try m.bool("flag", default: false)) { error in
            XCTAssertEqual(error as? GGUFError, .wrongKeyType(path: path, key: "flag", expected: "BOOL", found: "UINT8"))
        }
        XCTAssertThrowsError(try m.requireInt("n")) { error in
            XCTAssertEqual(error as? GGUFError, .wrongKeyType(path: path, key: "n", expected: "an integer", found: "STRING"))
        }
    }

    func testMissingKeyErrorNamesFileAndKey() throws {
        let m = try metadata([])
        XCTAssertNil(m.string(GGUFKey.architecture))
        XCTAssertThrowsError(try m.requireString(GGUFKey.architecture)) { error in
            XCTAssertEqual(error as? GGUFError, .missingKey(path: path, key: "general.architecture"))
            XCTAssertTrue("\(error)".hasPrefix("/models/m.gguf has no metadata key 'general.architecture'"))
        }
    }

    func testDuplicateKeysAreRejected() {
        XCTAssertThrowsError(try metadata([("a", .bool(true)), ("a", .bool(false))])) { error in
            XCTAssertEqual(error as? GGUFError, .duplicateKey(path: path, key: "a"))
        }
    }

    func testArchitectureScopedKeysUseTheArchitectureName() {
        XCTAssertEqual(GGUFKey.contextLength("gemma3"), "gemma3.context_length")
        XCTAssertEqual(GGUFKey.headCountKV("llama"), "llama.attention.head_count_kv")
        XCTAssertEqual(GGUFKey.layerNormRMSEpsilon("qwen2"), "qwen2.attention.layer_norm_rms_epsilon")
        XCTAssertEqual(GGUFKey.ropeFreqBaseSWA("gemma3"), "gemma3.rope.freq_base_swa")
        XCTAssertEqual(GGUFKey.ropeScalingFactor("llama"), "llama.rope.scaling.factor")
        XCTAssertEqual(GGUFKey.attentionLogitSoftcapping("gemma2"), "gemma2.attn_logit_softcapping")
        XCTAssertEqual(GGUFKey.chatTemplate(named: "tool_use"), "tokenizer.chat_template.tool_use")
    }
}
