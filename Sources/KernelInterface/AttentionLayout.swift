/// Where one layer's keys and values of one KV head live in the paged KV block pool.
///
/// Keys are stored transposed inside a block — for each dimension, the block's positions side
/// by side (`[dimension][blockSize]`) — so q·k for 16 positions is 16 lanes of one FMA chain
/// over the dimensions, with no horizontal sums. Values are stored by position
/// (`[blockSize][dimension]`), the order the weighted sum reads them in.
public struct AttentionLayout: @unchecked Sendable {
    /// Start of block 0 of the pool.
    public var base: UnsafeMutablePointer<Float>
    /// Floats from one block to the next.
    public var floatsPerBlock: Int
    /// Positions per block.
    public var blockSize: Int
    /// Floats from a block's start to this layer's (and KV head's) first key / value: the key
    /// of position i, dimension d is at `keyOffset + d * blockSize + i`.
    public var keyOffset: Int
    public var valueOffset: Int
    /// Floats between consecutive positions' values.
    public var valueStride: Int

    public init(base: UnsafeMutablePointer<Float>, floatsPerBlock: Int, blockSize: Int, keyOffset: Int,
                valueOffset: Int, valueStride: Int) {
        self.base = base
        self.floatsPerBlock = floatsPerBlock
        self.blockSize = blockSize
        self.keyOffset = keyOffset
        self.valueOffset = valueOffset
        self.valueStride = valueStride
    }

    /// Dimension 0 of the keys of the block holding `position` (position 0 of the block).
    @inlinable @inline(__always)
    public func keys(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutablePointer<Float> {
        base + Int(table[position / blockSize]) * floatsPerBlock + keyOffset
    }

    /// The value vector of `position`.
    @inlinable @inline(__always)
    public func value(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutablePointer<Float> {
        base + Int(table[position / blockSize]) * floatsPerBlock + valueOffset + (position % blockSize) * valueStride
    }
}
