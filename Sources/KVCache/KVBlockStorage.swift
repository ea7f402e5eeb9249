import Foundation
import Kernels

/// The memory behind the paged KV cache: `blockCount` blocks of `layout.bytesPerBlock` bytes,
/// reserved once at start-up.
///
/// A block holds, for every layer of one group, the keys and then the values of `blockSize`
/// consecutive positions of one sequence: `[slot][keys: keyDim × blockSize | values: blockSize
/// × valueDim]` (keys transposed, so attention reads 16 positions of one dimension as a
/// vector), in `layout.precision` elements: f32, or f16 rounded once as `store` writes them.
/// Which sequence owns which block is the allocator's business; this type only hands out
/// pointers. The memory is an anonymous mapping, so pages cost RSS only once written.
public final class KVBlockStorage: @unchecked Sendable {
    public let layout: KVCacheLayout
    public let blockCount: Int
    /// Start of block 0.
    public let base: UnsafeMutableRawPointer
    private let mappedBytes: Int
    /// Elements from one block to the next.
    public let elementsPerBlock: Int
    private let elementsPerSlot: Int

    public enum AllocationError: Error, CustomStringConvertible {
        case tooSmall(requested: Int, blockBytes: Int)
        case mapFailed(bytes: Int, errno: Int32)

        public var description: String {
            switch self {
            case let .tooSmall(requested, blockBytes):
                return "KV memory of \(requested) bytes holds no block (one block is \(blockBytes) bytes); raise --kv-memory"
            case let .mapFailed(bytes, code):
                return "could not reserve \(bytes) bytes of KV memory: \(String(cString: strerror(code))); lower --kv-memory"
            }
        }
    }

    /// Reserves as many blocks as fit in `memoryBytes`.
    public convenience init(layout: KVCacheLayout, memoryBytes: Int) throws {
        let count = memoryBytes / layout.bytesPerBlock
        guard count > 0 else { throw AllocationError.tooSmall(requested: memoryBytes, blockBytes: layout.bytesPerBlock) }
        try self.init(layout: layout, blockCount: count)
    }

    public init(layout: KVCacheLayout, blockCount: Int) throws {
        precondition(blockCount > 0)
        self.layout = layout
        self.blockCount = blockCount
        elementsPerSlot = layout.keyElementsPerLayerBlock + layout.valueElementsPerLayerBlock
        elementsPerBlock = elementsPerSlot * layout.layersPerGroup
        mappedBytes = blockCount * layout.bytesPerBlock
        let pointer = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let pointer, pointer != MAP_FAILED else {
            throw AllocationError.mapFailed(bytes: mappedBytes, errno: errno)
        }
        switch layout.precision {
        case .f32: pointer.bindMemory(to: Float.self, capacity: mappedBytes / 4)
        case .f16: pointer.bindMemory(to: Float16.self, capacity: mappedBytes / 2)
        }
        base = pointer
    }

    deinit { munmap(base, mappedBytes) }

    // MARK: Where a token's key and value live: the one definition.
    //
    // Block b holds, per layer of its group (the layer's slot), `blockSize` positions' keys
    // transposed — dimension d of the block's position i at `d * blockSize + i` — so attention's
    // q·k over 16 positions is one FMA chain per lane with no horizontal sums; then their values
    // by position, `[blockSize][valueDim]`, the order the weighted sum reads them in.

    /// Stores one token's key (`keyDim` floats, all KV heads) and value (`valueDim` floats) for
    /// `layer` at `position`, in the block `blockTable` (the sequence's table for the layer's
    /// group) maps it to; f16 storage rounds each to nearest even.
    @inline(__always)
    public func store(layer: Int, position: Int, blockTable: UnsafePointer<Int32>, key: UnsafePointer<Float>,
                      value: UnsafePointer<Float>) {
        let (keys, values) = slot(layer: layer, position: position, blockTable: blockTable)
        let blockSize = layout.blockSize, keyDim = layout.keyDim, valueDim = layout.valueDim
        switch layout.precision {
        case .f32:
            let keys = keys.assumingMemoryBound(to: Float.self)
            for d in 0..<keyDim { keys[d * blockSize] = key[d] }
            values.assumingMemoryBound(to: Float.self).update(from: value, count: valueDim)
        case .f16:
            HalfPrecision.convert(value, count: valueDim, into: values.assumingMemoryBound(to: Float16.self))
            withUnsafeTemporaryAllocation(of: Float16.self, capacity: keyDim) { half in
                HalfPrecision.convert(key, count: keyDim, into: half.baseAddress!)
                let keys = keys.assumingMemoryBound(to: Float16.self)
                for d in 0..<keyDim { keys[d * blockSize] = half[d] }
            }
        }
    }

    /// Reads back what `store` wrote, as floats (tests, debugging).
    public func load(layer: Int, position: Int, blockTable: UnsafePointer<Int32>, key: UnsafeMutablePointer<Float>,
                     value: UnsafeMutablePointer<Float>) {
        let (keys, values) = slot(layer: layer, position: position, blockTable: blockTable)
        let blockSize = layout.blockSize
        switch layout.precision {
        case .f32:
            let keys = keys.assumingMemoryBound(to: Float.self)
            for d in 0..<layout.keyDim { key[d] = keys[d * blockSize] }
            value.update(from: values.assumingMemoryBound(to: Float.self), count: layout.valueDim)
        case .f16:
            let keys = keys.assumingMemoryBound(to: Float16.self)
            for d in 0..<layout.keyDim { key[d] = Float(keys[d * blockSize]) }
            HalfPrecision.convert(values.assumingMemoryBound(to: Float16.self), count: layout.valueDim, into: value)
        }
    }

    /// What attention reads for KV head `kvHead` of `layer`, whose heads are `keyLength` and
    /// `valueLength` elements (`keyDim = kvHeads · keyLength`).
    public func attentionView(layer: Int, kvHead: Int, keyLength: Int, valueLength: Int) -> AttentionLayout {
        let slot = layout.locations[layer].slot
        return AttentionLayout(base: base, precision: layout.precision, elementsPerBlock: elementsPerBlock,
                               blockSize: layout.blockSize,
                               keyOffset: slot * elementsPerSlot + kvHead * keyLength * layout.blockSize,
                               valueOffset: slot * elementsPerSlot + layout.keyElementsPerLayerBlock + kvHead * valueLength,
                               valueStride: layout.valueDim)
    }

    /// Dimension 0 of `position`'s key, and its value, for `layer`: the attention view of all
    /// its KV heads at once, so the addressing is written in one place.
    @inline(__always)
    private func slot(layer: Int, position: Int, blockTable: UnsafePointer<Int32>)
        -> (keys: UnsafeMutableRawPointer, value: UnsafeMutableRawPointer) {
        let view = attentionView(layer: layer, kvHead: 0, keyLength: layout.keyDim, valueLength: layout.valueDim)
        return (view.keys(blockTable, position) + (position % layout.blockSize) * layout.precision.elementBytes,
                view.value(blockTable, position))
    }

    public var capacityBytes: Int { mappedBytes }
}
