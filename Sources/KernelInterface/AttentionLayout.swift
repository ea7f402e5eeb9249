/// Where one layer's keys and values of one KV head live in the paged KV block pool.
///
/// Keys are stored transposed inside a block — for each dimension, the block's positions side
/// by side (`[dimension][blockSize]`) — so q·k for 16 positions is 16 lanes of one FMA chain
/// over the dimensions, with no horizontal sums. Values are stored by chunks of 16 dimensions,
/// and inside a chunk by position (`[dimension / 16][blockSize][16]`): the weighted sum sweeps
/// the positions of one chunk at a time, so it reads a block's 16 positions of a chunk as one
/// run of consecutive memory (1 KiB of f32) instead of lines 1 KiB apart. Elements are
/// `precision` (f32 or f16); offsets below count elements, not bytes.
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
    /// `valueOffset + (d / 16) * valueChunkStride + i * 16 + d % 16`.
    public var keyOffset: Int
    public var valueOffset: Int

    public init(base: UnsafeMutableRawPointer, precision: KVPrecision, elementsPerBlock: Int, blockSize: Int,
                keyOffset: Int, valueOffset: Int) {
        self.base = base
        self.precision = precision
        self.elementsPerBlock = elementsPerBlock
        self.blockSize = blockSize
        self.keyOffset = keyOffset
        self.valueOffset = valueOffset
    }

    /// Elements from one chunk of 16 value dimensions to the next, inside a block.
    @inlinable public var valueChunkStride: Int { blockSize * 16 }

    /// Dimension 0 of `position`'s key; dimension d is `d · blockSize` elements further, and
    /// the block's next positions are the next elements.
    @inlinable @inline(__always)
    public func key(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutableRawPointer {
        base + (Int(table[position / blockSize]) * elementsPerBlock + keyOffset + position % blockSize)
            * precision.elementBytes
    }

    /// Dimensions 0..<16 of `position`'s value; dimensions 16c..<16c+16 are `c · valueChunkStride`
    /// elements further.
    @inlinable @inline(__always)
    public func value(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutableRawPointer {
        base + (Int(table[position / blockSize]) * elementsPerBlock + valueOffset + (position % blockSize) * 16)
            * precision.elementBytes
    }
}
