import Engine
import XCTest
@testable import Daemon

/// The bytes of a checkpoint: a round trip keeps every field bit for bit, and anything else —
/// a cut at any byte, bytes left over, another header, choices out of order, counts that
/// overrun — is refused with a reason, never trusted and never a crash.
final class CheckpointEncodingTests: XCTestCase {
    private let choices: [(index: Int, checkpoint: SequenceCheckpoint)] = [
        (0, SequenceCheckpoint(tokens: [5, 262_143, 0, -1], seed: 42, randomState: Xoshiro256StarStar(seed: 42).state)),
        (2, SequenceCheckpoint(
            tokens: [7, 8], seed: .max, randomState: Xoshiro256StarStar.State(1, 2, 3, .max),
            logprobs: [TokenLogprob(token: 7, logprob: -0.25, top: [.init(token: 7, logprob: -0.25), .init(token: 9, logprob: -.infinity)]),
                       TokenLogprob(token: 8, logprob: -1e-30, top: [])])),
    ]

    func testRoundTripKeepsEveryField() throws {
        let bytes = CheckpointEncoding.encode(choices)
        XCTAssertEqual(Array(bytes.prefix(5)), Array("JCK1".utf8) + [2])
        let decoded = try CheckpointEncoding.decode(bytes)
        XCTAssertEqual(decoded.count, 2)
        XCTAssertEqual(decoded[0], choices[0].checkpoint)
        XCTAssertEqual(decoded[2], choices[1].checkpoint)
        XCTAssertEqual(decoded[2]?.logprobs[1].logprob.bitPattern, Float(-1e-30).bitPattern)
    }

    func testFourBytesPerTokenWithoutLogprobs() {
        let one = CheckpointEncoding.encode([(0, SequenceCheckpoint(tokens: [], seed: 1, randomState: Xoshiro256StarStar(seed: 1).state))])
        let more = CheckpointEncoding.encode([(0, SequenceCheckpoint(tokens: Array(repeating: 3, count: 256), seed: 1,
                                                                     randomState: Xoshiro256StarStar(seed: 1).state))])
        XCTAssertEqual(more.count - one.count, 1024)
    }

    func testEveryTruncationIsRefused() {
        let bytes = CheckpointEncoding.encode(choices)
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try CheckpointEncoding.decode(Array(bytes.prefix(length))), "cut at \(length)")
        }
    }

    func testMalformedCheckpointsAreRefusedWithAReason() {
        let bytes = CheckpointEncoding.encode(choices)
        var wrongMagic = bytes
        wrongMagic[3] = UInt8(ascii: "2")
        var noChoices = Array(bytes.prefix(4))
        noChoices.append(0)
        var outOfOrder = bytes
        outOfOrder[5] = 3 // first choice's index above the second's
        var hugeCount = bytes
        hugeCount[5 + 1 + 8 + 32 + 3] = 0xff // top byte of the first choice's token count
        let cases: [(String, [UInt8], String)] = [
            ("another header", wrongMagic, "damaged checkpoint: not a checkpoint of this format (no JCK1 header)"),
            ("no choices", noChoices, "damaged checkpoint: no choices"),
            ("trailing bytes", bytes + [0], "damaged checkpoint: 1 bytes after the last choice"),
            ("choices out of order", outOfOrder, "damaged checkpoint: choice 2 out of order"),
            ("a count past the end", hugeCount, "damaged checkpoint: 4278190084 entries at byte 50 but only"),
        ]
        for (name, input, message) in cases {
            XCTAssertThrowsError(try CheckpointEncoding.decode(input), name) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(name): \(error)")
            }
        }
    }

    func testRandomBytesNeverCrash() {
        var random = SystemRandomNumberGenerator()
        let valid = CheckpointEncoding.encode(choices)
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            _ = try? CheckpointEncoding.decode(bytes)
        }
    }
}
