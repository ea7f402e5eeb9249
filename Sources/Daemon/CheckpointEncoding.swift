import Engine

/// The bytes of a job's checkpoint (`JobCheckpoint.state`): the engine state of each of its
/// choices, compact and checked on reading, so a damaged row is refused rather than trusted.
///
/// Layout, little-endian throughout:
///
///     "JCK1"                               magic and version
///     u8 choice count                      1 to JobRequest.maximumChoices
///     per choice:
///       u8  choice index                   0 is the first choice; ascending, no repeats
///       u64 seed, u64 × 4 random state     xoshiro256**
///       u32 token count, i32 × count       every sampled token
///       u32 logprob count                  0, or the token count
///       per logprob: i32 token, f32 logprob, u8 alternatives, (i32 token, f32 logprob) × alternatives
///
/// Four bytes per token without log-probabilities; the whole state is rewritten at each
/// checkpoint (one row per job, no history).
enum CheckpointEncoding {
    struct DecodingError: Error, CustomStringConvertible, Equatable {
        var reason: String
        var description: String { "damaged checkpoint: \(reason)" }
    }

    static let magic: [UInt8] = Array("JCK1".utf8)

    static func encode(_ choices: [(index: Int, checkpoint: SequenceCheckpoint)]) -> [UInt8] {
        precondition(!choices.isEmpty && choices.count <= Int(UInt8.max), "a checkpoint holds 1 to 255 choices")
        var bytes = magic
        var capacity = 5
        for choice in choices { capacity += 49 + 4 * choice.checkpoint.tokens.count + 9 * choice.checkpoint.logprobs.count }
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(choices.count))
        for (index, checkpoint) in choices {
            precondition((0...Int(UInt8.max)).contains(index), "choice index out of range")
            bytes.append(UInt8(index))
            append(checkpoint.seed, to: &bytes)
            let state = checkpoint.randomState.words
            for word in [state.0, state.1, state.2, state.3] { append(word, to: &bytes) }
            append(UInt32(checkpoint.tokens.count), to: &bytes)
            for token in checkpoint.tokens { append(UInt32(bitPattern: token), to: &bytes) }
            append(UInt32(checkpoint.logprobs.count), to: &bytes)
            for entry in checkpoint.logprobs {
                append(UInt32(bitPattern: entry.token), to: &bytes)
                append(entry.logprob.bitPattern, to: &bytes)
                bytes.append(UInt8(min(entry.top.count, Int(UInt8.max))))
                for alternative in entry.top.prefix(Int(UInt8.max)) {
                    append(UInt32(bitPattern: alternative.token), to: &bytes)
                    append(alternative.logprob.bitPattern, to: &bytes)
                }
            }
        }
        return bytes
    }

    /// The choices by index. Throws `DecodingError` for anything but what `encode` writes:
    /// wrong magic, a count that overruns the bytes, bytes left over, repeated indexes.
    static func decode(_ bytes: [UInt8]) throws(DecodingError) -> [Int: SequenceCheckpoint] {
        var reader = Reader(bytes: bytes)
        guard try reader.bytes(4).elementsEqual(magic) else { throw DecodingError(reason: "not a checkpoint of this format (no JCK1 header)") }
        let count = Int(try reader.u8())
        guard count > 0 else { throw DecodingError(reason: "no choices") }
        var choices: [Int: SequenceCheckpoint] = [:]
        var previous = -1
        for _ in 0..<count {
            let index = Int(try reader.u8())
            guard index > previous else { throw DecodingError(reason: "choice \(index) out of order") }
            previous = index
            let seed = try reader.u64()
            let state = Xoshiro256StarStar.State(try reader.u64(), try reader.u64(), try reader.u64(), try reader.u64())
            let tokenCount = try reader.count(elementSize: 4)
            var tokens: [Int32] = []
            tokens.reserveCapacity(tokenCount)
            for _ in 0..<tokenCount { tokens.append(Int32(bitPattern: try reader.u32())) }
            let logprobCount = try reader.count(elementSize: 9)
            guard logprobCount == 0 || logprobCount == tokenCount else {
                throw DecodingError(reason: "\(logprobCount) log-probabilities for \(tokenCount) tokens")
            }
            var logprobs: [TokenLogprob] = []
            logprobs.reserveCapacity(logprobCount)
            for _ in 0..<logprobCount {
                let token = Int32(bitPattern: try reader.u32())
                let logprob = Float(bitPattern: try reader.u32())
                let alternatives = Int(try reader.u8())
                var top: [TokenLogprob.Alternative] = []
                for _ in 0..<alternatives {
                    top.append(TokenLogprob.Alternative(token: Int32(bitPattern: try reader.u32()),
                                                        logprob: Float(bitPattern: try reader.u32())))
                }
                logprobs.append(TokenLogprob(token: token, logprob: logprob, top: top))
            }
            choices[index] = SequenceCheckpoint(tokens: tokens, seed: seed, randomState: state, logprobs: logprobs)
        }
        guard reader.isAtEnd else { throw DecodingError(reason: "\(bytes.count - reader.offset) bytes after the last choice") }
        return choices
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func bytes(_ count: Int) throws(DecodingError) -> ArraySlice<UInt8> {
            guard count <= bytes.count - offset else {
                throw DecodingError(reason: "ends at byte \(bytes.count), inside a field at byte \(offset)")
            }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }

        mutating func u8() throws(DecodingError) -> UInt8 { try bytes(1).first! }

        mutating func u32() throws(DecodingError) -> UInt32 {
            try bytes(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func u64() throws(DecodingError) -> UInt64 {
            try bytes(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }

        /// A u32 element count, refused when even `elementSize` bytes each cannot fit.
        mutating func count(elementSize: Int) throws(DecodingError) -> Int {
            let count = Int(try u32())
            guard count <= (bytes.count - offset) / elementSize else {
                throw DecodingError(reason: "\(count) entries at byte \(offset) but only \(bytes.count - offset) bytes left")
            }
            return count
        }
    }
}
