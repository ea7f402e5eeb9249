import Foundation
import Kernels
import Synchronization

/// The memory behind the paged KV cache: `blockCount` blocks of `layout.bytesPerBlock` bytes,
/// reserved once at start-up.
///
/// A block holds, for every layer of one group, the keys and then the values of `blockSize`
/// consecutive positions of one sequence: `[slot][keys: keyDim × blockSize | values: valueDim /
/// 16 × blockSize × 16]` (keys transposed, so attention reads 16 positions of one dimension as a
/// vector; values by chunks of 16 dimensions, so it reads one chunk of consecutive positions as
/// consecutive memory), in `layout.precision` elements: f32, or f16 rounded once as `store`
/// writes them.
/// Which sequence owns which block is the allocator's business; this type only hands out
/// pointers. The memory is an anonymous mapping, made resident as it is reserved
/// (`Residency.atStart`, see `populate`: the pool costs its full size in RSS from the start)
/// or page by page as it is first written (`.onFirstWrite`).
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
        /// Fewer blocks than one token of one sequence takes: a block of each group of layers.
        case tooSmall(requested: Int, blockBytes: Int, blocksNeeded: Int)
        case mapFailed(bytes: Int, errno: Int32)
        case populateFailed(bytes: Int, errno: Int32)
        /// The pool and `workingMemory` (what the process needs beside it) do not fit.
        case moreThanAvailable(bytes: Int, workingMemory: Int, available: AvailableMemory.Limit)
        /// `stopRequested` answered true while the pool was being made resident.
        case interrupted

        public var description: String {
            let check = "(jobs doctor --kv-memory SIZE checks a size against free memory)"
            switch self {
            case let .tooSmall(requested, blockBytes, 1):
                return "KV memory of \(Self.size(requested)) holds no block (one block is \(Self.size(blockBytes))); "
                    + "raise --kv-memory to at least \(Self.size(blockBytes))"
            case let .tooSmall(requested, blockBytes, needed):
                return "KV memory of \(Self.size(requested)) holds \(requested / blockBytes) of the \(needed) blocks of "
                    + "\(Self.size(blockBytes)) one sequence needs (one for each group of the model's layers); "
                    + "raise --kv-memory to at least \(Self.size(needed * blockBytes))"
            case let .mapFailed(bytes, code):
                // ENOMEM from mmap with memory free: an address-space limit (RLIMIT_AS).
                let limit = code == ENOMEM ? " (an address-space limit, ulimit -v, counts it too)" : ""
                return "could not reserve \(Self.size(bytes)) of KV memory: \(String(cString: strerror(code)))\(limit); "
                    + "lower --kv-memory \(check)"
            case let .populateFailed(bytes, code):
                return "could not make \(Self.size(bytes)) of KV memory resident: \(String(cString: strerror(code))); "
                    + "lower --kv-memory \(check)"
            case let .moreThanAvailable(bytes, workingMemory, available):
                // The shortfall in so many words: rounded sizes alone ("1023.8 MiB and 1.3 GiB are
                // more than 2.3 GiB") can read as if they fit.
                return "KV memory of \(Self.size(bytes)) and \(Self.size(workingMemory)) of working memory (activations "
                    + "and logits for --max-batch-tokens and --max-seqs, and what the process allocates as it runs) "
                    + "need \(Self.size(bytes + workingMemory)), \(Self.size(bytes + workingMemory - available.bytes)) more "
                    + "than the \(Self.size(available.bytes)) available (\(available.source)), and the pool is made "
                    + "resident as it is reserved; lower --kv-memory, --max-batch-tokens or --max-seqs (jobs doctor "
                    + "--kv-memory SIZE --max-batch-tokens N --max-seqs N checks them against free memory)"
            case .interrupted:
                return "stopped while the KV memory was being made resident"
            }
        }

        /// Bytes in binary units, one decimal ("2 GiB", "22.3 GiB", "96 KiB"), as `jobs`
        /// writes sizes (`ByteCount.format`, which the command lines own).
        static func size(_ bytes: Int) -> String {
            let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
            var value = Double(bytes), unit = 0
            while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
            if bytes == 1 { return "1 byte" }
            if unit == 0 || value == value.rounded() { return "\(Int(value)) \(units[unit])" }
            return "\((value * 10).rounded() / 10) \(units[unit])"
        }
    }

    /// When the pool's pages become resident.
    public enum Residency: Sendable, Equatable {
        /// All of them as the pool is reserved (a daemon's or a benchmark's pool, which its
        /// jobs fill anyway): see `populate`.
        case atStart
        /// Each as it is first written (`jobs generate`, whose pool is sized for the longest
        /// answer it allows and seldom filled).
        case onFirstWrite
    }

    /// Reserves as many blocks as fit in `memoryBytes`.
    /// - Parameters:
    ///   - availableMemory: what the process can be given (default `AvailableMemory.now()`:
    ///     MemAvailable or a cgroup's limit; nil skips the check); checked only when the pool
    ///     is made resident at start.
    ///   - workingMemory: what the process will still allocate beside the pool, which must fit
    ///     too: a loaded model's working memory (`LanguageModel.workingMemoryBytes`) +
    ///     `allocationHeadroom`.
    ///   - stopRequested: asked between parts of the populate; true stops it.
    /// - Throws: `AllocationError`: fewer blocks fit than one sequence needs, more than `availableMemory`, the kernel
    ///   refuses the mapping or its pages, or `stopRequested`.
    public convenience init(layout: KVCacheLayout, memoryBytes: Int, residency: Residency = .atStart,
                            availableMemory: AvailableMemory.Limit? = AvailableMemory.now(),
                            workingMemory: Int = KVBlockStorage.allocationHeadroom,
                            stopRequested: (@Sendable () -> Bool)? = nil) throws {
        let count = memoryBytes / layout.bytesPerBlock
        guard count >= layout.minimumBlockCount else {
            throw AllocationError.tooSmall(requested: memoryBytes, blockBytes: layout.bytesPerBlock,
                                           blocksNeeded: layout.minimumBlockCount)
        }
        try self.init(layout: layout, blockCount: count, residency: residency, availableMemory: availableMemory,
                      workingMemory: workingMemory, stopRequested: stopRequested)
    }

    public init(layout: KVCacheLayout, blockCount: Int, residency: Residency = .atStart,
                availableMemory: AvailableMemory.Limit? = AvailableMemory.now(),
                workingMemory: Int = KVBlockStorage.allocationHeadroom, stopRequested: (@Sendable () -> Bool)? = nil) throws {
        precondition(blockCount > 0)
        self.layout = layout
        self.blockCount = blockCount
        elementsPerSlot = layout.keyElementsPerLayerBlock + layout.valueElementsPerLayerBlock
        elementsPerBlock = elementsPerSlot * layout.layersPerGroup
        mappedBytes = blockCount * layout.bytesPerBlock
        // Making more resident than is available would wake the kernel's OOM killer, which
        // picks the largest process: this one, as a bare "Killed"; so would a pool that leaves
        // the forward pass no room (a 1 GiB cgroup: a 700 MiB pool was killed at the first batch).
        if residency == .atStart, let availableMemory, mappedBytes + workingMemory > availableMemory.bytes {
            throw AllocationError.moreThanAvailable(bytes: mappedBytes, workingMemory: workingMemory,
                                                    available: availableMemory)
        }
        let pointer = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let pointer, pointer != MAP_FAILED else {
            throw AllocationError.mapFailed(bytes: mappedBytes, errno: errno)
        }
        switch layout.precision {
        case .f32: pointer.bindMemory(to: Float.self, capacity: mappedBytes / 4)
        case .f16: pointer.bindMemory(to: Float16.self, capacity: mappedBytes / 2)
        case .bf16: pointer.bindMemory(to: UInt16.self, capacity: mappedBytes / 2)
        }
        if residency == .atStart {
            do {
                try Self.populate(pointer, bytes: mappedBytes, stopRequested: stopRequested)
            } catch {
                munmap(pointer, mappedBytes)
                throw error
            }
        }
        base = pointer
    }

    deinit { munmap(base, mappedBytes) }

    /// Memory a process running a model needs besides its weights, KV pool and the forward
    /// pass's working memory: `runtimeBytes` + `allocationHeadroom`.
    public static let processOverhead = runtimeBytes + allocationHeadroom

    /// The runtime and libraries, the tokenizer and the database connection, resident once a
    /// model is loaded: jobsd's RSS after the load, less weights and pool, measured about 30 MiB
    /// for Gemma 3 270M and Qwen2.5 1.5B. A check made after the load finds it already used.
    public static let runtimeBytes = 32 << 20

    /// What a running process allocates beyond its forward pass: the database's page cache,
    /// sampling's candidate lists, results on their way to the database.
    public static let allocationHeadroom = 32 << 20

    /// Bytes each thread makes resident at a time. `madvise` holds the process's mapping lock
    /// for a chunk, and whatever maps memory meanwhile waits: a Dispatch worker's first `mmap`
    /// (so a late thread must still find chunks left) and the thread that runs a signal's
    /// handler (its stack). With 64 MiB chunks SIGTERM during a 4 GiB populate was acted on
    /// 0.6-1.9 s later; with 8 MiB, 0.2-0.5 s, and 2 GiB took 0.36-0.38 s against 0.44-0.53 s.
    static let populateChunkBytes = 8 << 20

    /// Makes every page of the mapping resident now, in chunks that every core takes from a
    /// shared counter: `madvise(MADV_POPULATE_WRITE)` (Linux 5.14+), or one write per page where
    /// the kernel lacks it. Otherwise the first write to each 4 KiB page faults inside `store`,
    /// in the attention step, where the kernel's zeroing of the page then runs: on the
    /// long-prompt benchmark (32 prompts of 1,306 tokens, 1.6 GiB of KV written) that was
    /// 10-13 ms of a 130-140 ms step (AMD EPYC Zen 5). llama.cpp pays the same at load, clearing
    /// its KV buffers. Two threads took 0.36 s for 2 GiB where one took 0.68-1.03 s (a C probe
    /// on the same machine, memory already backed by the VM's host).
    /// - Throws: `AllocationError.populateFailed` when the kernel has no memory for it,
    ///   `.interrupted` when `stopRequested` says so.
    private static func populate(_ start: UnsafeMutableRawPointer, bytes: Int,
                                 stopRequested: (@Sendable () -> Bool)?) throws {
        let page = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
        let chunk = max(page, populateChunkBytes / page * page)
        let chunks = (bytes + chunk - 1) / chunk
        let next = Atomic<Int>(0)
        let failure = Mutex<AllocationError?>(nil)
        let address = Int(bitPattern: start)
        DispatchQueue.concurrentPerform(iterations: min(chunks, ProcessInfo.processInfo.activeProcessorCount)) { _ in
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < chunks, failure.withLock({ $0 == nil }) else { return }
                if stopRequested?() == true {
                    failure.withLock { $0 = $0 ?? .interrupted }
                    return
                }
                let from = UnsafeMutableRawPointer(bitPattern: address)! + index * chunk
                let count = min(chunk, bytes - index * chunk)
                if madvise(from, count, MADV_POPULATE_WRITE) == 0 { continue }
                let code = errno
                guard code == EINVAL else {
                    failure.withLock { $0 = $0 ?? .populateFailed(bytes: bytes, errno: code) }
                    return
                }
                // A kernel before 5.14.
                for offset in stride(from: 0, to: count, by: page) {
                    from.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self)
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    // MARK: Where a token's key and value live: the one definition.
    //
    // Block b holds, per layer of its group (the layer's slot), `blockSize` positions' keys
    // transposed — dimension d of the block's position i at `d * blockSize + i` — so attention's
    // q·k over 16 positions is one FMA chain per lane with no horizontal sums; then their values
    // by chunks of 16 dimensions — dimension d of position i at `(d / 16) * 16 * blockSize +
    // i * 16 + d % 16` — so the weighted sum, which sweeps the positions of one chunk at a time,
    // reads a block's part of a chunk as 16 consecutive vectors. When valueDim is not a multiple
    // of 16 (test models), the last chunk is `[blockSize][valueDim % 16]`.

    /// Stores one token's key (`keyDim` floats, all KV heads) and value (`valueDim` floats) for
    /// `layer` at `position`, in the block `blockTable` (the sequence's table for the layer's
    /// group) maps it to; f16 storage rounds each to nearest even.
    @inline(__always)
    public func store(layer: Int, position: Int, blockTable: UnsafePointer<Int32>, key: UnsafePointer<Float>,
                      value: UnsafePointer<Float>) {
        let (keys, values) = slot(layer: layer, position: position, blockTable: blockTable)
        let blockSize = layout.blockSize, keyDim = layout.keyDim
        switch layout.precision {
        case .f32:
            let keys = keys.assumingMemoryBound(to: Float.self)
            for d in 0..<keyDim { keys[d * blockSize] = key[d] }
            let values = values.assumingMemoryBound(to: Float.self)
            forEachValueChunk(position) { start, width, offset in
                (values + offset).update(from: value + start, count: width)
            }
        case .f16:
            let values = values.assumingMemoryBound(to: Float16.self)
            forEachValueChunk(position) { start, width, offset in
                HalfPrecision.convert(value + start, count: width, into: values + offset)
            }
            withUnsafeTemporaryAllocation(of: Float16.self, capacity: keyDim) { half in
                HalfPrecision.convert(key, count: keyDim, into: half.baseAddress!)
                let keys = keys.assumingMemoryBound(to: Float16.self)
                for d in 0..<keyDim { keys[d * blockSize] = half[d] }
            }
        case .bf16:
            // Rounded into consecutive bf16, where each 32-bit word is a pair (elements 2j and
            // 2j+1): a key's pairs of dimensions go to their rows of the block whole.
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: max(keyDim, layout.valueDim)) { rounded in
                let rounded = rounded.baseAddress!
                BFloat16Conversion.convert(key, count: keyDim, into: rounded)
                for j in 0..<keyDim / 2 {
                    let pair = UnsafeRawPointer(rounded).load(fromByteOffset: 4 * j, as: UInt32.self)
                    keys.storeBytes(of: pair, toByteOffset: 4 * j * blockSize, as: UInt32.self)
                }
                BFloat16Conversion.convert(value, count: layout.valueDim, into: rounded)
                let values = values.assumingMemoryBound(to: UInt16.self), odd = position % 2
                forEachValueChunk(position) { start, width, offset in
                    for k in 0..<width { values[offset + 2 * k + odd] = rounded[start + k] }
                }
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
            let values = values.assumingMemoryBound(to: Float.self)
            forEachValueChunk(position) { start, width, offset in
                (value + start).update(from: values + offset, count: width)
            }
        case .f16:
            let keys = keys.assumingMemoryBound(to: Float16.self)
            for d in 0..<layout.keyDim { key[d] = Float(keys[d * blockSize]) }
            let values = values.assumingMemoryBound(to: Float16.self)
            forEachValueChunk(position) { start, width, offset in
                HalfPrecision.convert(values + offset, count: width, into: value + start)
            }
        case .bf16:
            let keys = keys.assumingMemoryBound(to: UInt16.self)
            for d in 0..<layout.keyDim { key[d] = BFloat16Bits.widened(keys[d / 2 * 2 * blockSize + d % 2]) }
            let values = values.assumingMemoryBound(to: UInt16.self), odd = position % 2
            forEachValueChunk(position) { start, width, offset in
                for k in 0..<width { value[start + k] = BFloat16Bits.widened(values[offset + 2 * k + odd]) }
            }
        }
    }

    /// What attention reads for KV head `kvHead` of `layer`, whose heads are `keyLength` and
    /// `valueLength` elements (`keyDim = kvHeads · keyLength`); `valueLength` a multiple of 16,
    /// so that each head's values are whole chunks.
    public func attentionView(layer: Int, kvHead: Int, keyLength: Int, valueLength: Int) -> AttentionLayout {
        precondition(valueLength % 16 == 0 || kvHead == 0, "a head's values must be whole chunks of 16")
        let slot = layout.locations[layer].slot
        return AttentionLayout(base: base, precision: layout.precision, elementsPerBlock: elementsPerBlock,
                               blockSize: layout.blockSize,
                               keyOffset: slot * elementsPerSlot + kvHead * keyLength * layout.blockSize,
                               valueOffset: slot * elementsPerSlot + layout.keyElementsPerLayerBlock
                                   + kvHead * valueLength * layout.blockSize)
    }

    /// Dimension 0 of `position`'s key, and the start of the block's values, for `layer`: the
    /// attention view of all its KV heads at once, so the addressing is written in one place.
    @inline(__always)
    private func slot(layer: Int, position: Int, blockTable: UnsafePointer<Int32>)
        -> (keys: UnsafeMutableRawPointer, values: UnsafeMutableRawPointer) {
        let view = attentionView(layer: layer, kvHead: 0, keyLength: layout.keyDim, valueLength: layout.valueDim)
        return (view.key(blockTable, position),
                view.value(blockTable, position - position % layout.blockSize))
    }

    /// For each chunk of 16 value dimensions (the last one narrower when valueDim is not a
    /// multiple of 16): its first dimension, its width, and where `position`'s part of it is,
    /// in elements from the block's values.
    @inline(__always)
    private func forEachValueChunk(_ position: Int, _ body: (_ start: Int, _ width: Int, _ offset: Int) -> Void) {
        let blockSize = layout.blockSize, valueDim = layout.valueDim, i = position % blockSize
        for start in stride(from: 0, to: valueDim, by: 16) {
            let width = min(16, valueDim - start)
            // bf16: the pair of positions (i & ~1, i | 1) interleaved; `store` adds i % 2.
            let slot = layout.precision == .bf16 ? (i & ~1) * width : i * width
            body(start, width, start * blockSize + slot)
        }
    }

    public var capacityBytes: Int { mappedBytes }
}
