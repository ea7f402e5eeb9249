/// The identity of a full block of tokens in the prefix cache: a hash of every token of the
/// sequence up to and including the block, built as a chain `hash(parent, block's tokens)`.
///
/// Two sequences whose first `n · blockSize` tokens agree get the same chain of `n` hashes, so
/// the blocks one of them computed can serve the other. The hash is our own 64-bit mix (not
/// Swift's per-process seeded `Hasher`) so the same tokens give the same value in every run;
/// the prefix cache also compares the block's tokens and parent hash on a hit, so a collision
/// would need two colliding chains, not one.
public struct BlockHash: Hashable, Sendable, CustomStringConvertible {
    public let value: UInt64

    /// The hash of the first block's parent (no tokens yet).
    public static let root = BlockHash(value: 0x6a09_e667_f3bc_c908)

    public init(value: UInt64) { self.value = value }

    /// Chains `tokens` (one full block) onto `parent`.
    public init(parent: BlockHash, tokens: ArraySlice<Int32>) {
        var h = parent.value
        for token in tokens {
            h = BlockHash.mix(h ^ UInt64(UInt32(bitPattern: token)))
        }
        value = BlockHash.mix(h ^ (UInt64(tokens.count) << 32))
    }

    /// A bijective 64-bit finalizer (the SplitMix64 output function): every input bit affects
    /// every output bit, so neighbouring token ids land far apart.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
