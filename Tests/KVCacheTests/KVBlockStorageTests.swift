import KernelInterface
import KVCache
import XCTest

/// `KVBlockStorage` is the one owner of where a token's key and value live: what `store` writes,
/// `load` reads back and `attentionView` shows attention, for every layer and KV head.
final class KVBlockStorageTests: XCTestCase {
    func testStoredKeysAndValuesAreWhereTheAttentionViewLooks() throws {
        // Two KV heads of 16 key and 8 value floats; layers 0-1 full, 2-3 windowed.
        let layout = KVCacheLayout(windows: [nil, nil, 4, 4], keyDim: 32, valueDim: 16, blockSize: 16)
        let storage = try KVBlockStorage(layout: layout, blockCount: 6)
        // Each group of layers has its own block table: position p lives in block table[p / 16].
        let tables: [[Int32]] = [[4, 1], [2, 5]]
        func key(_ layer: Int, _ position: Int) -> [Float] { (0..<32).map { Float(layer * 10_000 + position * 100 + $0) } }
        func value(_ layer: Int, _ position: Int) -> [Float] { (0..<16).map { -Float(layer * 10_000 + position * 100 + $0) } }
        func withTable(_ layer: Int, _ body: (UnsafePointer<Int32>) -> Void) {
            tables[layout.locations[layer].group].withUnsafeBufferPointer { body($0.baseAddress!) }
        }
        for layer in 0..<4 {
            withTable(layer) { blockTable in
                for position in [0, 5, 15, 16, 31] {
                    storage.store(layer: layer, position: position, blockTable: blockTable, key: key(layer, position),
                                  value: value(layer, position))
                }
            }
        }
        for layer in 0..<4 {
            withTable(layer) { blockTable in
                for position in [0, 5, 15, 16, 31] {
                    var k = [Float](repeating: 0, count: 32), v = [Float](repeating: 0, count: 16)
                    storage.load(layer: layer, position: position, blockTable: blockTable, key: &k, value: &v)
                    XCTAssertEqual(k, key(layer, position))
                    XCTAssertEqual(v, value(layer, position))
                    for head in 0..<2 {
                        let view = storage.attentionView(layer: layer, kvHead: head, keyLength: 16, valueLength: 8)
                        let keys = view.keys(blockTable, position) + position % 16
                        for d in 0..<16 {
                            XCTAssertEqual(keys[d * view.blockSize], k[head * 16 + d], "layer \(layer) head \(head) dim \(d)")
                        }
                        let values = view.value(blockTable, position)
                        XCTAssertEqual(Array(UnsafeBufferPointer(start: values, count: 8)), Array(v[head * 8..<head * 8 + 8]))
                    }
                }
            }
        }
    }
}
