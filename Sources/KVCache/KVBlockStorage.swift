import Foundation

/// The memory behind the paged KV cache: `blockCount` blocks of `layout.bytesPerBlock` bytes,
/// reserved once at start-up.
///
/// A block holds, for every layer of one group, the keys and then the values of `blockSize`
/// consecutive positions of one sequence: `[slot][keys: keyDim × blockSize | values: blockSize
/// × valueDim]` (keys transposed, so attention reads 16 positions of one dimension as a vector). Which sequence owns which block is the allocator's business; this type only
/// hands out pointers. The memory is an anonymous mapping, so pages cost RSS only once written.
public final class KVBlockStorage: @unchecked Sendable {
    public let layout: KVCacheLayout
    public let blockCount: Int
    /// Start of block 0.
    public let base: UnsafeMutablePointer<Float>
    private let mappedBytes: Int
    /// Floats from one block to the next.
    public let floatsPerBlock: Int
    private let floatsPerSlot: Int

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
        floatsPerSlot = layout.keyFloatsPerLayerBlock + layout.valueFloatsPerLayerBlock
        floatsPerBlock = floatsPerSlot * layout.layersPerGroup
        mappedBytes = blockCount * layout.bytesPerBlock
        let pointer = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let pointer, pointer != MAP_FAILED else {
            throw AllocationError.mapFailed(bytes: mappedBytes, errno: errno)
        }
        base = pointer.bindMemory(to: Float.self, capacity: mappedBytes / MemoryLayout<Float>.size)
    }

    deinit { munmap(base, mappedBytes) }

    /// Keys of one layer slot in one block: [keyDim][blockSize].
    @inline(__always)
    public func keys(block: Int32, slot: Int) -> UnsafeMutablePointer<Float> {
        base + Int(block) * floatsPerBlock + slot * floatsPerSlot
    }

    /// Values of one layer slot in one block: [blockSize][valueDim].
    @inline(__always)
    public func values(block: Int32, slot: Int) -> UnsafeMutablePointer<Float> {
        base + Int(block) * floatsPerBlock + slot * floatsPerSlot + layout.keyFloatsPerLayerBlock
    }

    /// Floats from a block's start to the keys of a layer slot.
    public func keyOffset(slot: Int) -> Int { slot * floatsPerSlot }

    /// Floats from a block's start to the values of a layer slot.
    public func valueOffset(slot: Int) -> Int { slot * floatsPerSlot + layout.keyFloatsPerLayerBlock }

    /// Total bytes reserved.
    public var capacityBytes: Int { mappedBytes }
}
