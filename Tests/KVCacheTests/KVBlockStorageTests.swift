import Foundation
@testable import KVCache
import Kernels
import XCTest

/// `KVBlockStorage` is the one owner of where a token's key and value live: what `store` writes,
/// `load` reads back and `attentionView` shows attention, for every layer and KV head, in both
/// number formats.
final class KVBlockStorageTests: XCTestCase {
    func testStoredKeysAndValuesAreWhereTheAttentionViewLooks() throws {
        for precision in KVPrecision.allCases {
            // Two KV heads of 16 key and 32 value elements (two chunks of 16 each); layers 0-1
            // full, 2-3 windowed.
            let layout = KVCacheLayout(windows: [nil, nil, 4, 4], keyDim: 32, valueDim: 64, blockSize: 16, precision: precision)
            XCTAssertEqual(layout.bytesPerBlock, 2 * 16 * (32 + 64) * precision.elementBytes)
            let storage = try KVBlockStorage(layout: layout, blockCount: 6)
            // Each group of layers has its own block table: position p lives in block table[p / 16].
            let tables: [[Int32]] = [[4, 1], [2, 5]]
            // Distinct small integers (and halves) below 1024: exact in f16 too, so f16 must give
            // them back unchanged.
            let positions = [0, 5, 15, 16, 31]
            // Every (layer, position, dimension) gets its own key and its own value.
            func tag(_ layer: Int, _ position: Int) -> Int { layer * positions.count + positions.firstIndex(of: position)! }
            func key(_ layer: Int, _ position: Int) -> [Float] { (0..<32).map { Float(tag(layer, position) * 32 + $0) } }
            func value(_ layer: Int, _ position: Int) -> [Float] { (0..<64).map { -Float(tag(layer, position) * 64 + $0) / 2 } }
            func withTable(_ layer: Int, _ body: (UnsafePointer<Int32>) -> Void) {
                tables[layout.locations[layer].group].withUnsafeBufferPointer { body($0.baseAddress!) }
            }
            func element(_ pointer: UnsafeRawPointer, _ index: Int) -> Float {
                switch precision {
                case .f32: return pointer.load(fromByteOffset: index * 4, as: Float.self)
                case .f16: return Float(pointer.load(fromByteOffset: index * 2, as: Float16.self))
                case .bf16: return BFloat16Bits.widened(pointer.load(fromByteOffset: index * 2, as: UInt16.self))
                }
            }
            // What the format keeps of a value: bf16 keeps 8 significant bits (integers to 256).
            func stored(_ values: [Float]) -> [Float] {
                precision == .bf16 ? values.map { BFloat16Bits.widened(BFloat16Bits.rounded($0)) } : values
            }
            for layer in 0..<4 {
                withTable(layer) { blockTable in
                    for position in positions {
                        storage.store(layer: layer, position: position, blockTable: blockTable, key: key(layer, position),
                                      value: value(layer, position))
                    }
                }
            }
            for layer in 0..<4 {
                withTable(layer) { blockTable in
                    for position in positions {
                        var k = [Float](repeating: 0, count: 32), v = [Float](repeating: 0, count: 64)
                        storage.load(layer: layer, position: position, blockTable: blockTable, key: &k, value: &v)
                        XCTAssertEqual(k, stored(key(layer, position)), "\(precision)")
                        XCTAssertEqual(v, stored(value(layer, position)), "\(precision)")
                        if precision == .bf16 && key(layer, position).contains(where: { $0 > 256 }) {
                            XCTAssertNotEqual(k, key(layer, position), "bf16 rounds integers above 256")
                        }
                        for head in 0..<2 {
                            let view = storage.attentionView(layer: layer, kvHead: head, keyLength: 16, valueLength: 32)
                            XCTAssertEqual(view.precision, precision)
                            let key = view.key(blockTable, position)
                            for d in 0..<16 {
                                // bf16: pairs of dimensions, a block's positions two elements apart.
                                let index = precision == .bf16 ? d / 2 * 2 * view.blockSize + d % 2 : d * view.blockSize
                                XCTAssertEqual(element(key, index), k[head * 16 + d],
                                               "\(precision) layer \(layer) head \(head) dim \(d)")
                            }
                            // Dimension d of the head: chunk d / 16, 16 elements per position;
                            // bf16: the pair of positions holding this one, interleaved.
                            let values = view.value(blockTable, position)
                            XCTAssertEqual((0..<32).map {
                                element(values, $0 / 16 * view.valueChunkStride
                                            + (precision == .bf16 ? $0 % 16 * 2 + position % 2 : $0 % 16))
                            }, Array(v[head * 32..<head * 32 + 32]), "\(precision)")
                        }
                    }
                }
            }
        }
    }

    /// f16 storage rounds each element to the nearest f16 (ties to even) once, and `load` gives
    /// exactly that value back: the round trip is Float(Float16(x)) for every element, including
    /// values that overflow f16 (±∞) and ones below its normal range.
    func testHalfPrecisionRoundTripIsOneRoundingToNearest() throws {
        let layout = KVCacheLayout(windows: [nil], keyDim: 48, valueDim: 40, blockSize: 16, precision: .f16)
        let storage = try KVBlockStorage(layout: layout, blockCount: 2)
        let table: [Int32] = [1, 0]
        var state: UInt64 = 99
        func random() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Float(state >> 40) / Float(1 << 24)
            return (unit * 2 - 1) * [1, 30, 1e-5, 70_000][Int(state >> 20) % 4]
        }
        for position in [0, 7, 16, 31] {
            let key = (0..<48).map { _ in random() }, value = (0..<40).map { _ in random() }
            var k = [Float](repeating: 0, count: 48), v = [Float](repeating: 0, count: 40)
            table.withUnsafeBufferPointer { t in
                storage.store(layer: 0, position: position, blockTable: t.baseAddress!, key: key, value: value)
                storage.load(layer: 0, position: position, blockTable: t.baseAddress!, key: &k, value: &v)
            }
            XCTAssertEqual(k.map(\.bitPattern), key.map { Float(Float16($0)).bitPattern })
            XCTAssertEqual(v.map(\.bitPattern), value.map { Float(Float16($0)).bitPattern })
            XCTAssertNotEqual(k, key, "values were really rounded")
        }
    }

    /// bf16 storage rounds each element once as `BFloat16Bits.rounded` (nearest even, subnormals
    /// to zero), and `load` gives exactly that value back; neighbouring positions of a pair and
    /// neighbouring dimensions of a key pair keep their own values.
    func testBFloat16RoundTripIsOneRoundingToNearest() throws {
        let layout = KVCacheLayout(windows: [nil], keyDim: 48, valueDim: 40, blockSize: 16, precision: .bf16)
        let storage = try KVBlockStorage(layout: layout, blockCount: 2)
        let table: [Int32] = [1, 0]
        var state: UInt64 = 7
        func random() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Float(state >> 40) / Float(1 << 24)
            return (unit * 2 - 1) * [1, 30, 1e-39, 3e38][Int(state >> 20) % 4]
        }
        let positions = [0, 1, 6, 7, 16, 17, 31]
        let keys = positions.map { _ in (0..<48).map { _ in random() } }, values = positions.map { _ in (0..<40).map { _ in random() } }
        table.withUnsafeBufferPointer { t in
            for (n, position) in positions.enumerated() {
                storage.store(layer: 0, position: position, blockTable: t.baseAddress!, key: keys[n], value: values[n])
            }
            for (n, position) in positions.enumerated() {
                var k = [Float](repeating: 0, count: 48), v = [Float](repeating: 0, count: 40)
                storage.load(layer: 0, position: position, blockTable: t.baseAddress!, key: &k, value: &v)
                XCTAssertEqual(k.map(\.bitPattern), keys[n].map { BFloat16Bits.widened(BFloat16Bits.rounded($0)).bitPattern })
                XCTAssertEqual(v.map(\.bitPattern), values[n].map { BFloat16Bits.widened(BFloat16Bits.rounded($0)).bitPattern })
                XCTAssertNotEqual(k, keys[n], "values were really rounded")
            }
        }
    }

    /// The pool is resident as soon as it is reserved (written through in parallel, in chunks
    /// of `populateChunkBytes`), so no step of a batch pays the first-write page faults:
    /// `mincore` reports every page of a pool of 2.5 chunks resident before anything is stored,
    /// in both number formats. With `.onFirstWrite` (jobs generate) pages wait for their writes.
    func testThePoolIsResidentOnceReservedUnlessAskedToWaitForWrites() throws {
        func residentPages(_ storage: KVBlockStorage) -> (resident: Int, pages: Int) {
            let bytes = storage.blockCount * storage.layout.bytesPerBlock
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            var vector = [UInt8](repeating: 0, count: (bytes + page - 1) / page)
            XCTAssertEqual(mincore(storage.base, bytes, &vector), 0)
            return (vector.filter { $0 & 1 == 1 }.count, vector.count)
        }
        for precision in KVPrecision.allCases {
            let layout = KVCacheLayout(windows: [nil, 8], keyDim: 256, valueDim: 256, blockSize: 16, precision: precision)
            let bytes = KVBlockStorage.populateChunkBytes * 5 / 2
            let storage = try KVBlockStorage(layout: layout, memoryBytes: bytes)
            let (resident, pages) = residentPages(storage)
            XCTAssertEqual(resident, pages, "\(precision): pages not resident")
            XCTAssertGreaterThan(pages, 2 * KVBlockStorage.populateChunkBytes / 4096)
            let lazy = try KVBlockStorage(layout: layout, memoryBytes: bytes, residency: .onFirstWrite)
            XCTAssertLessThan(residentPages(lazy).resident, residentPages(lazy).pages / 100, "\(precision)")
        }
    }

    /// A pool larger than the memory available is refused before anything is mapped, with a
    /// message naming both sizes and the option: made resident, it would have woken the OOM
    /// killer instead. A pool that waits for its writes is not checked (jobs generate's, sized
    /// for the longest answer).
    func testAPoolLargerThanTheAvailableMemoryIsRefused() throws {
        let layout = KVCacheLayout(windows: [nil], keyDim: 256, valueDim: 256, blockSize: 16, precision: .f32)
        func limit(_ bytes: Int) -> AvailableMemory.Limit { .init(bytes: bytes, source: .memAvailable) }
        XCTAssertThrowsError(try KVBlockStorage(layout: layout, memoryBytes: 64 << 20, availableMemory: limit((47 << 20) + (1 << 19)))) { error in
            XCTAssertEqual(String(describing: error), "KV memory of 64 MiB and 32 MiB of working memory (activations and "
                + "logits for --max-batch-tokens and --max-seqs, and what the process allocates as it runs) need 96 MiB, "
                + "48.5 MiB more than the 47.5 MiB available (MemAvailable in /proc/meminfo), and the pool is made "
                + "resident as it is reserved; lower --kv-memory, --max-batch-tokens or --max-seqs (jobs doctor "
                + "--kv-memory SIZE --max-batch-tokens N --max-seqs N checks them against free memory)")
        }
        // The pool and the working memory beside it (the process's headroom at least, or what the
        // caller says its forward pass needs) must both fit.
        let overhead = KVBlockStorage.allocationHeadroom
        XCTAssertThrowsError(try KVBlockStorage(layout: layout, memoryBytes: 48 << 20, availableMemory: limit((48 << 20) + overhead - 1)))
        XCTAssertNoThrow(try KVBlockStorage(layout: layout, memoryBytes: 48 << 20, availableMemory: limit((48 << 20) + overhead)))
        XCTAssertThrowsError(try KVBlockStorage(layout: layout, memoryBytes: 48 << 20, availableMemory: limit((48 << 20) + (300 << 20) - 1),
                                                workingMemory: 300 << 20))
        XCTAssertNoThrow(try KVBlockStorage(layout: layout, memoryBytes: 48 << 20, availableMemory: limit((48 << 20) + (300 << 20)),
                                            workingMemory: 300 << 20))
        XCTAssertNoThrow(try KVBlockStorage(layout: layout, memoryBytes: 64 << 20, availableMemory: nil))
        XCTAssertNoThrow(try KVBlockStorage(layout: layout, memoryBytes: 64 << 20, residency: .onFirstWrite, availableMemory: limit(1 << 20)))
    }

    /// Sizes in messages are in binary units, as the command lines write them.
    func testSizesInMessagesAreReadable() {
        let layout = KVCacheLayout(windows: [nil], keyDim: 256, valueDim: 256, blockSize: 16, precision: .f32)
        XCTAssertThrowsError(try KVBlockStorage(layout: layout, memoryBytes: 1)) { error in
            XCTAssertEqual(String(describing: error), "KV memory of 1 byte holds no block (one block is 32 KiB); "
                + "raise --kv-memory to at least 32 KiB")
        }
        // Two groups of layers (full and windowed): one token of one sequence takes a block of each.
        let grouped = KVCacheLayout(windows: [nil, 4], keyDim: 256, valueDim: 256, blockSize: 16, precision: .f32)
        XCTAssertEqual(grouped.minimumBlockCount, 2)
        XCTAssertThrowsError(try KVBlockStorage(layout: grouped, memoryBytes: 40 << 10)) { error in
            XCTAssertEqual(String(describing: error), "KV memory of 40 KiB holds 1 of the 2 blocks of 32 KiB one sequence "
                + "needs (one for each group of the model's layers); raise --kv-memory to at least 64 KiB")
        }
        XCTAssertNoThrow(try KVBlockStorage(layout: grouped, memoryBytes: 64 << 10, residency: .onFirstWrite))
        XCTAssertEqual(grouped.tokens(inPoolOf: (64 << 10) + 100), 16, "whole blocks: one of each group, 16 tokens of every layer")
        let cgroup = AvailableMemory.Limit(bytes: 23_402 << 20, source: .cgroup(path: "/system.slice/jobsd.service"))
        XCTAssertTrue(KVBlockStorage.AllocationError.moreThanAvailable(bytes: 100 << 40, workingMemory: 1_234 << 20,
                                                                       available: cgroup).description
            .hasPrefix("KV memory of 100 TiB and 1.2 GiB of working memory (activations and logits for --max-batch-tokens "
                + "and --max-seqs, and what the process allocates as it runs) need 100.0 TiB, 100.0 TiB more than the 22.9 GiB "
                + "available (the memory limit of cgroup /system.slice/jobsd.service)"))
        // Near the boundary, rounded sizes alone would read as if they fit; the shortfall says it.
        let close = AvailableMemory.Limit(bytes: (2_340 << 20) - (40 << 20), source: .memAvailable)
        XCTAssertTrue(KVBlockStorage.AllocationError.moreThanAvailable(bytes: 1_024 << 20, workingMemory: 1_316 << 20,
                                                                       available: close).description
            .contains("need 2.3 GiB, 40 MiB more than the 2.2 GiB available"))
        XCTAssertEqual(KVBlockStorage.AllocationError.size(1023), "1023 bytes")
        XCTAssertEqual(KVBlockStorage.AllocationError.size(1536), "1.5 KiB")
    }

    /// A stop request while the pool is made resident ends the populate between chunks.
    func testAStopRequestInterruptsThePopulate() throws {
        let layout = KVCacheLayout(windows: [nil], keyDim: 256, valueDim: 256, blockSize: 16, precision: .f32)
        XCTAssertThrowsError(try KVBlockStorage(layout: layout, memoryBytes: 4 * KVBlockStorage.populateChunkBytes,
                                                stopRequested: { true })) { error in
            guard case KVBlockStorage.AllocationError.interrupted = error else { return XCTFail("\(error)") }
        }
        XCTAssertNoThrow(try KVBlockStorage(layout: layout, memoryBytes: 16 << 20, stopRequested: { false }))
    }

    func testAvailableMemoryIsMemAvailableInKibibytes() {
        XCTAssertEqual(AvailableMemory.bytes(meminfo: "MemTotal:       32000000 kB\nMemAvailable:    1048576 kB\n"), 1 << 30)
        XCTAssertNil(AvailableMemory.bytes(meminfo: "MemTotal:       32000000 kB\nMemFree:    1048576 kB\n"))
        XCTAssertNil(AvailableMemory.bytes(meminfo: "MemAvailable: lots kB\n"))
        XCTAssertNotNil(AvailableMemory.now(), "this test machine has /proc/meminfo")
    }

    /// Under a cgroup memory limit (systemd's MemoryMax=, a container's), the room left under the
    /// tightest limit on the way to the root counts, when it is less than MemAvailable: v2's
    /// memory.max − memory.current ("max": none), v1's limit_in_bytes − usage_in_bytes (near
    /// 2^63: none).
    func testACgroupMemoryLimitTighterThanMemAvailableIsTheLimit() {
        let meminfo = "MemTotal:       32000000 kB\nMemAvailable:   20971520 kB\n"   // 20 GiB
        let v2: [String: String] = [
            "/proc/meminfo": meminfo,
            "/proc/self/cgroup": "0::/system.slice/jobsd.service\n",
            "/sys/fs/cgroup/system.slice/jobsd.service/memory.max": "max\n",
            "/sys/fs/cgroup/system.slice/jobsd.service/memory.current": "1073741824\n",
            "/sys/fs/cgroup/system.slice/memory.max": "4294967296\n",        // 4 GiB
            "/sys/fs/cgroup/system.slice/memory.current": "1073741824\n",    // 1 GiB used
        ]
        XCTAssertEqual(AvailableMemory.now { v2[$0] },
                       .init(bytes: 3 << 30, source: .cgroup(path: "/system.slice")))
        let v1: [String: String] = [
            "/proc/meminfo": meminfo,
            "/proc/self/cgroup": "9:name=systemd:/\n4:memory:/process_api/abc\n0::/\n",
            "/sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": "2147483648\n",
            "/sys/fs/cgroup/memory/process_api/abc/memory.usage_in_bytes": "536870912\n",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        ]
        XCTAssertEqual(AvailableMemory.now { v1[$0] },
                       .init(bytes: 3 << 29, source: .cgroup(path: "/process_api/abc")))
        // The page cache charged to the cgroup (the model file read there) is not counted as used:
        // 1 GiB used of which 768 MiB are file pages leaves 3.75 GiB under the 4 GiB limit.
        let cached = v2.merging(["/sys/fs/cgroup/system.slice/memory.stat":
                                    "anon 268435456\nfile 805306368\nactive_file 268435456\ninactive_file 536870912\n"]) { $1 }
        XCTAssertEqual(AvailableMemory.now { cached[$0] }?.bytes, (4 << 30) - (256 << 20))
        let cachedV1 = v1.merging(["/sys/fs/cgroup/memory/process_api/abc/memory.stat":
                                      "cache 402653184\nrss 134217728\ntotal_active_file 134217728\ntotal_inactive_file 268435456\n"]) { $1 }
        XCTAssertEqual(AvailableMemory.now { cachedV1[$0] }?.bytes, (2 << 30) - (128 << 20))
        // No limit set, or none readable: MemAvailable.
        let open: [String: String] = ["/proc/meminfo": meminfo, "/proc/self/cgroup": "0::/user.slice\n",
                                      "/sys/fs/cgroup/user.slice/memory.max": "max\n"]
        XCTAssertEqual(AvailableMemory.now { open[$0] }, .init(bytes: 20 << 30, source: .memAvailable))
        // A limit looser than MemAvailable leaves MemAvailable the tighter.
        let loose = v2.merging(["/sys/fs/cgroup/system.slice/memory.max": "\(64 << 30)\n"]) { $1 }
        XCTAssertEqual(AvailableMemory.now { loose[$0] }?.source, .memAvailable)
        // How messages name the two sources.
        XCTAssertEqual("\(AvailableMemory.Source.memAvailable)", "MemAvailable in /proc/meminfo")
        XCTAssertEqual("\(AvailableMemory.Source.cgroup(path: "/t2"))", "the memory limit of cgroup /t2")
    }
}
