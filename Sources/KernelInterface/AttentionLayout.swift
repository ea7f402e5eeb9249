/// Where one layer's keys and values of one KV head live in the paged KV block pool.
///
/// Keys are stored transposed inside a block — for each dimension, the block's positions side
/// by side (`[dimension][blockSize]`) — so q·k for 16 positions is 16 lanes of one FMA chain
/// over the dimensions, with no horizontal sums. Values are stored by position
/// (`[blockSize][dimension]`), the order the weighted sum reads them in. Elements are
/// `precision` (f32 or f16); offsets and strides below count elements, not bytes.
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
    /// of position i, dimension d is at `keyOffset + d * blockSize + i`.
    public var keyOffset: Int
    public var valueOffset: Int
    /// Elements between consecutive positions' values.
    public var valueStride: Int

    public init(base: UnsafeMutableRawPointer, precision: KVPrecision, elementsPerBlock: Int, blockSize: Int,
                keyOffset: Int, valueOffset: Int, valueStride: Int) {
        self.base = base
        self.precision = precision
        self.elementsPerBlock = elementsPerBlock
        self.blockSize = blockSize
        self.keyOffset = keyOffset
        self.valueOffset = valueOffset
        self.valueStride = valueStride
    }

    /// Dimension 0 of the keys of the block holding `position` (position 0 of the block).
    @inlinable @inline(__always)
    public func keys(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutableRawPointer {
        base + (Int(table[position / blockSize]) * elementsPerBlock + keyOffset) * precision.elementBytes
    }

    /// The value vector of `position`.
    @inlinable @inline(__always)
    public func value(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutableRawPointer {
        base + (Int(table[position / blockSize]) * elementsPerBlock + valueOffset + (position % blockSize) * valueStride)
            * precision.elementBytes
    }
}
