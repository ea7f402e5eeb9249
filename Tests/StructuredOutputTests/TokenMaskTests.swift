import StructuredOutput
import XCTest

/// Token masks from the trie walk against a brute-force check of every token on a small
/// vocabulary, along random walks through several formats.
final class TokenMaskTests: XCTestCase {
    /// Single bytes (ASCII, and the bytes of "é" and "🌍" on their own), JSON-shaped pieces,
    /// whole words, an empty control token (id 0) and an end token (id 1).
    static let pieces: [[UInt8]] = {
        var list: [[UInt8]] = [[], []]
        for byte in UInt8(0x09)...UInt8(0x7E) { list.append([byte]) }
        list += [[0xC3], [0xA9], [0xC3, 0xA9], [0xF0, 0x9F], [0x8C, 0x8D], [0xF0, 0x9F, 0x8C, 0x8D], [0xFF]]
        for text in ["{\"", "\":", "\": \"", "\",", "\"}", "\"]", "[\"", "name", "age", "\": ", ", \"", "true", "false",
                     "null", "12", "2024", "-0", "-", "0.", ".5", "e5", "  ", "\n", "\n  ", "}\n", "é", "\\\"", "\\n", "\\u00",
                     "red", "green", " red", "\"red\"", "\"gr", "\"", "{\"name\": \"", "01", "10", "99", "100"] {
            list.append(Array(text.utf8))
        }
        list.append(Array("name".utf8))  // the same string under a second id
        return list
    }()

    static let schemas = [
        #"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 6}, "age": {"type": "integer", "minimum": 0, "maximum": 120}, "ok": {"type": "boolean"}}, "required": ["name", "age"]}"#,
        #"{"enum": ["red", "green", "blue"]}"#,
        #"{"type": "array", "items": {"type": "number", "minimum": -1, "maximum": 10}, "maxItems": 4}"#,
        #"{"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"}"#,
        #"{"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}"#,
    ]

    func testMasksMatchBruteForceAlongRandomWalks() throws {
        let trie = TokenTrie(pieces: Self.pieces, endTokens: [1])
        var generator = SplitMix(seed: 11)
        var checkedStates = 0
        for schema in Self.schemas {
            let format = try SchemaFixtures.compile(schema)
            for _ in 0..<12 {
                var constraint = OutputConstraint(format: format)
                var text: [UInt8] = []
                for _ in 0..<40 {
                    let mask = constraint.mask(trie)
                    var expected: [Int32] = []
                    for (id, piece) in Self.pieces.enumerated() {
                        if id == 1 {
                            if constraint.canEnd { expected.append(1) }
                            continue
                        }
                        guard !piece.isEmpty else { continue }
                        var copy = constraint
                        if copy.accept(piece) { expected.append(Int32(id)) }
                    }
                    let actual = (0..<Int32(Self.pieces.count)).filter { mask.allows($0) }
                    XCTAssertEqual(actual, expected, "\(schema) after \(String(decoding: text, as: UTF8.self))")
                    XCTAssertEqual(mask.allowedCount, expected.count)
                    checkedStates += 1
                    let choices = expected.filter { $0 != 1 }
                    if choices.isEmpty || (constraint.canEnd && generator.next() % 4 == 0) { break }
                    let token = choices[Int(generator.next() % UInt64(choices.count))]
                    XCTAssertTrue(constraint.accept(Self.pieces[Int(token)]))
                    text += Self.pieces[Int(token)]
                    if constraint.isComplete { break }
                }
                if constraint.canEnd { XCTAssertTrue(format.accepts(String(decoding: text, as: UTF8.self)), String(decoding: text, as: UTF8.self)) }
            }
        }
        XCTAssertGreaterThan(checkedStates, 200)
    }

    func testMaskApplicationLeavesOnlyAllowedLogits() throws {
        let trie = TokenTrie(pieces: Self.pieces, endTokens: [1])
        let format = try SchemaFixtures.compile(#"{"enum": ["red", "green"]}"#)
        let mask = OutputConstraint(format: format).mask(trie)
        var row = (0..<Self.pieces.count).map { Float($0 % 7) }
        row.withUnsafeMutableBufferPointer { mask.apply(to: $0) }
        for (id, logit) in row.enumerated() {
            XCTAssertEqual(logit.isFinite, mask.allows(Int32(id)), "token \(id)")
        }
        XCTAssertTrue(mask.allows(Int32(Self.pieces.firstIndex(of: Array("\"gr".utf8))!)))
        XCTAssertFalse(mask.allows(1), "the end token is not allowed before the value is complete")
    }

    func testCompleteValueAllowsOnlyTheEndToken() throws {
        let trie = TokenTrie(pieces: Self.pieces, endTokens: [1])
        let format = try SchemaFixtures.compile(#"{"type": "integer", "minimum": 0, "maximum": 100}"#)
        var constraint = OutputConstraint(format: format)
        XCTAssertTrue(constraint.accept(Array("10".utf8)))
        XCTAssertTrue(constraint.canEnd)
        XCTAssertFalse(constraint.isComplete, "a digit can still follow")
        XCTAssertTrue(constraint.mask(trie).allows(1))
        XCTAssertTrue(constraint.accept(Array("0".utf8)))
        XCTAssertTrue(constraint.isComplete, "100 is the maximum: nothing can follow")
        XCTAssertEqual((0..<Int32(Self.pieces.count)).filter { constraint.mask(trie).allows($0) }, [1])
    }
}

/// A small deterministic generator for the tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
