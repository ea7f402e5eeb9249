/// Where one layer's keys and values of one KV head live in the paged KV block pool.
///
/// Keys are stored transposed inside a block — for each dimension, the block's positions side
/// by side (`[dimension][blockSize]`) — so q·k for 16 positions is 16 lanes of one FMA chain
/// over the dimensions, with no horizontal sums. Values are stored by chunks of 16 dimensions,
/// and inside a chunk by position (`[dimension / 16][blockSize][16]`): the weighted sum sweeps
/// the positions of one chunk at a time, so it reads a block's 16 positions of a chunk as one
/// run of consecutive memory (1 KiB of f32) instead of lines 1 KiB apart. Elements are
/// `precision`; offsets below count elements, not bytes.
///
/// bf16 elements are stored in the pairs `vdpbf16ps` multiplies (`KVPrecision.bf16`): a key's
/// dimensions 2j and 2j+1 side by side, the pairs of a block's positions transposed
/// (`[dimension / 2][blockSize][2]`), so one 64-byte load is 16 positions × one pair of
/// dimensions; a value's dimension for positions 2i and 2i+1 side by side
/// (`[dimension / 16][blockSize / 2][16][2]`), so one load is 16 dimensions × one pair of
/// positions. `blockSize` is even.
public struct AttentionLayout: @unchecked Sendable {
    /// Start of block 0 of the pool.
    public var base: UnsafeMutableRawPointer
    /// The stored number format.
    public var precision: KVPrecision
    /// Elements from one block to the next.
    public var elementsPerBlock: Int
    /// Positions per block.
    public var blockSize: Int
    /// Elements from a block's start to this layer's (and KV head's) first key / value: the key
    /// of position i, dimension d is at `keyOffset + d * blockSize + i`, its value at
    /// `valueOffset + (d / 16) * valueChunkStride + i * 16 + d % 16`; in bf16, the key at
    /// `keyOffset + (d / 2) * 2 * blockSize + 2 * i + d % 2` and the value at
    /// `valueOffset + (d / 16) * valueChunkStride + (i / 2) * 32 + (d % 16) * 2 + i % 2`.
    public var keyOffset: Int
    public var valueOffset: Int
    /// `precision`'s bytes per element, elements per position in a row of keys (2 for bf16's
    /// pairs, else 1) and the mask that takes a position to the first of its values' pair (bf16)
    /// or leaves it: stored, so that `key` and `value`, in attention's inner loops, do not
    /// branch on the precision (the branch there cost the f16 kernels their specialization).
    public let elementBytes: Int
    public let keySlotElements: Int
    public let valueSlotMask: Int

    public init(base: UnsafeMutableRawPointer, precision: KVPrecision, elementsPerBlock: Int, blockSize: Int,
                keyOffset: Int, valueOffset: Int) {
        self.base = base
        self.precision = precision
        self.elementsPerBlock = elementsPerBlock
        self.blockSize = blockSize
        self.keyOffset = keyOffset
        self.valueOffset = valueOffset
        elementBytes = precision.elementBytes
        keySlotElements = precision == .bf16 ? 2 : 1
        valueSlotMask = precision == .bf16 ? ~1 : ~0
    }

    /// Elements from one chunk of 16 value dimensions to the next, inside a block.
    @inlinable public var valueChunkStride: Int { blockSize * 16 }

    /// Dimension 0 of `position`'s key; dimension d is `d · blockSize` elements further, and
    /// the block's next positions are the next elements. In bf16, dimensions 0 and 1; the pair
    /// of dimensions 2j, 2j+1 is `j · 2 · blockSize` elements further, the next position's 2.
    @inlinable @inline(__always)
    public func key(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutableRawPointer {
        base + (Int(table[position / blockSize]) * elementsPerBlock + keyOffset + (position % blockSize) * keySlotElements)
            * elementBytes
    }

    /// Dimensions 0..<16 of `position`'s value; dimensions 16c..<16c+16 are `c · valueChunkStride`
    /// elements further. In bf16, those of the pair of positions holding `position` (from the
    /// even one), interleaved.
    @inlinable @inline(__always)
    public func value(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutableRawPointer {
        base + (Int(table[position / blockSize]) * elementsPerBlock + valueOffset + ((position % blockSize) & valueSlotMask) * 16)
            * elementBytes
    }
}
