/// The sampler's random numbers: xoshiro256** (Blackman and Vigna), seeded through SplitMix64.
///
/// Our own generator rather than the system's so that a seed gives the same stream on every
/// machine and Swift version. Each sampled token takes exactly one draw, so a sequence's stream
/// does not depend on its neighbours, on chunking or on preemption.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Equatable {
    private var s0, s1, s2, s3: UInt64

    /// Expands `seed` into the 256-bit state with SplitMix64 (never all zero).
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9e37_79b9_7f4a_7c15
            var z = x
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The generator's 256 bits, to continue its stream elsewhere (`init(state:)`).
    public struct State: Sendable, Equatable {
        public var words: (UInt64, UInt64, UInt64, UInt64)

        public init(_ s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64) { words = (s0, s1, s2, s3) }

        /// All zero is the one state xoshiro never leaves (and never reaches from a seed).
        public var isValid: Bool { words != (0, 0, 0, 0) }

        public static func == (a: State, b: State) -> Bool { a.words == b.words }
    }

    public var state: State { State(s0, s1, s2, s3) }

    /// Continues the stream `state` was taken from. `state` must be valid (not all zero).
    public init(state: State) {
        precondition(state.isValid, "xoshiro256** has no all-zero state")
        (s0, s1, s2, s3) = state.words
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
