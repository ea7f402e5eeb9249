import Foundation
import KVCache
import Model

/// A stand-in for the transformer that goes through the paged KV cache for real, so a wrong
/// block table, a block released too early or a block shared by mistake breaks its output or
/// makes it throw.
///
/// Each token writes, into every layer's slot of its block, a key [token, position, chain hash
/// (two 16-bit halves)] and a value [layer, position, token, 0]. The chain hash of position p
/// mixes the hash stored at p − 1 (read back from the cache) with the token, so it stands for
/// the whole history. For every token, "attention" reads every key its layers may see — all positions for full-attention groups, (p − window, p] for window groups —
/// checks each one (position, layer, consistent chain); for a token whose logits are wanted it
/// hands the history read back from the cache to `script`, which writes the logits. The logits are therefore a deterministic
/// function of the sequence's history only, whatever the batch looks like.
final class FakeLanguageModel: LanguageModel, @unchecked Sendable {
    typealias Script = @Sendable (_ history: [Int32], _ logits: UnsafeMutableBufferPointer<Float>) -> Void

    struct CorruptCache: Error, CustomStringConvertible {
        var description: String
    }

    /// One forward pass as the model saw it.
    struct BatchRecord {
        var tokens: [Int32]
        var positions: [Int32]
        var sequenceOfToken: [Int32]
        var logitTokens: [Int32]
        var sequenceCount: Int
    }

    let vocabularySize: Int
    let contextLength: Int
    let kvLayout: KVCacheLayout
    private let script: Script
    private let lock = NSLock()
    private var records: [BatchRecord] = []
    private var logits: UnsafeMutablePointer<Float>
    private var logitsCapacity = 0
    private var failuresToInject = 0
    private let extraWorkingMemory: Int

    /// - Parameters:
    ///   - windows: one entry per layer (nil: full attention); layer 0 must be full.
    ///   - extraWorkingMemory: bytes `workingMemoryBytes` claims besides the logit rows.
    init(vocabularySize: Int = 64, contextLength: Int = 4096, windows: [Int?] = [nil, nil],
         blockSize: Int = 4, extraWorkingMemory: Int = 0, script: @escaping Script = FakeLanguageModel.hashedLogits) {
        precondition(windows.first! == nil, "the fake reads histories from a full-attention group")
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.kvLayout = KVCacheLayout(windows: windows, keyDim: 4, valueDim: 4, blockSize: blockSize)
        self.script = script
        self.extraWorkingMemory = extraWorkingMemory
        self.logits = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    }

    deinit { logits.deallocate() }

    var batches: [BatchRecord] { lock.withLock { records } }

    /// Makes the next `count` forward passes throw before touching the cache.
    func injectFailures(_ count: Int) { lock.withLock { failuresToInject = count } }

    /// Its logit rows (4 bytes a logit) and `extraWorkingMemory`.
    func workingMemoryBytes(tokens: Int, rows: Int) -> Int { 4 * rows * vocabularySize + extraWorkingMemory }

    /// Logit rows allocated so far.
    var logitRowCapacity: Int { lock.withLock { logitsCapacity / vocabularySize } }

    /// Grows the logit rows to `rows` (forward grows them too, when a batch needs more).
    func reserveWorkingMemory(tokens: Int, rows: Int) {
        lock.withLock { growLogits(rows: rows) }
    }

    /// Called with the lock held.
    private func growLogits(rows: Int) {
        if rows * vocabularySize > logitsCapacity {
            logits.deallocate()
            logitsCapacity = rows * vocabularySize
            logits = .allocate(capacity: logitsCapacity)
        }
    }

    func forward(_ batch: ForwardBatch, cache: KVBlockStorage) throws -> Logits {
        try lock.withLock {
            if failuresToInject > 0 {
                failuresToInject -= 1
                throw CorruptCache(description: "injected failure")
            }
            records.append(BatchRecord(tokens: batch.tokens, positions: batch.positions,
                                       sequenceOfToken: batch.sequenceOfToken, logitTokens: batch.logitTokens,
                                       sequenceCount: batch.sequences.count))
            let rows = batch.logitTokens.count
            growLogits(rows: rows)
            let wanted = Dictionary(uniqueKeysWithValues: batch.logitTokens.enumerated().map { (Int($1), $0) })
            for i in 0..<batch.tokenCount {
                let sequence = batch.sequences[Int(batch.sequenceOfToken[i])]
                guard sequence.blockTables.count == cache.layout.groups.count else {
                    throw CorruptCache(description: "\(sequence.blockTables.count) block tables for \(cache.layout.groups.count) groups")
                }
                let position = Int(batch.positions[i])
                try write(token: batch.tokens[i], position: position, tables: sequence.blockTables, cache: cache)
                // Every token attends (as in a real model), so a key missing for any query throws.
                let history = try attend(position: position, tables: sequence.blockTables, cache: cache)
                if let row = wanted[i] {
                    script(history, UnsafeMutableBufferPointer(start: logits + row * vocabularySize, count: vocabularySize))
                }
            }
            return Logits(base: logits, rowCount: rows, vocabularySize: vocabularySize)
        }
    }

    // MARK: Cache access

    private func write(token: Int32, position: Int, tables: [[Int32]], cache: KVBlockStorage) throws {
        let chain = position == 0 ? Self.mix(0x5eed, token) : Self.mix(try readChain(position - 1, tables: tables, cache: cache), token)
        for layer in 0..<cache.layout.layerCount {
            let group = cache.layout.locations[layer].group
            _ = try locate(position, group: group, tables: tables, cache: cache)
            let key: [Float] = [Float(token), Float(position), Float(chain & 0xffff), Float(chain >> 16 & 0xffff)]
            let value: [Float] = [Float(layer), Float(position), Float(token), 0]
            tables[group].withUnsafeBufferPointer { table in
                cache.store(layer: layer, position: position, blockTable: table.baseAddress!, key: key, value: value)
            }
        }
    }

    /// Reads and checks every key the query at `position` sees; returns the token history
    /// [0, position] from the first (full-attention) group.
    private func attend(position: Int, tables: [[Int32]], cache: KVBlockStorage) throws -> [Int32] {
        var history: [Int32] = []
        var chains: [UInt32] = []
        var chain: UInt32 = 0x5eed
        for p in 0...position {
            let (token, stored) = try readKey(p, layer: 0, tables: tables, cache: cache)
            chain = Self.mix(chain, token)
            guard stored == chain else {
                throw CorruptCache(description: "position \(p) holds another sequence's keys (chain mismatch)")
            }
            history.append(token)
            chains.append(chain)
        }
        for layer in 1..<max(cache.layout.layerCount, 1) {
            let window = cache.layout.groups[cache.layout.locations[layer].group].window
            let first = window.map { max(0, position - $0 + 1) } ?? 0
            for p in first...position {
                let (token, stored) = try readKey(p, layer: layer, tables: tables, cache: cache)
                guard token == history[p], stored == chains[p] else {
                    throw CorruptCache(description: "layer \(layer) position \(p) disagrees with layer 0")
                }
            }
        }
        return history
    }

    private func readChain(_ position: Int, tables: [[Int32]], cache: KVBlockStorage) throws -> UInt32 {
        try readKey(position, layer: 0, tables: tables, cache: cache).chain
    }

    private func readKey(_ position: Int, layer: Int, tables: [[Int32]], cache: KVBlockStorage) throws
        -> (token: Int32, chain: UInt32) {
        let group = cache.layout.locations[layer].group
        let (block, _) = try locate(position, group: group, tables: tables, cache: cache)
        var key = [Float](repeating: 0, count: 4), value = key
        tables[group].withUnsafeBufferPointer { table in
            cache.load(layer: layer, position: position, blockTable: table.baseAddress!, key: &key, value: &value)
        }
        guard key[1] == Float(position), value[0] == Float(layer), value[1] == Float(position), value[2] == key[0] else {
            throw CorruptCache(description: "layer \(layer) position \(position): block \(block) holds position \(key[1]) of layer \(value[0])")
        }
        return (Int32(key[0]), UInt32(key[2]) | UInt32(key[3]) << 16)
    }

    private func locate(_ position: Int, group: Int, tables: [[Int32]], cache: KVBlockStorage) throws -> (Int32, Int) {
        let size = cache.layout.blockSize
        let table = tables[group]
        guard position / size < table.count else {
            throw CorruptCache(description: "group \(group) has no block for position \(position)")
        }
        let block = table[position / size]
        guard block >= 0, Int(block) < cache.blockCount else {
            throw CorruptCache(description: "group \(group) position \(position) is in released block \(block)")
        }
        return (block, position % size)
    }

    // MARK: Logits

    static func mix(_ chain: UInt32, _ token: Int32) -> UInt32 {
        var z = UInt64(chain) << 32 | UInt64(UInt32(bitPattern: token))
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return UInt32(truncatingIfNeeded: z ^ (z >> 31))
    }

    /// Pseudo-random logits in [−4, 4) seeded by the whole history; tokens 0–3 (control
    /// tokens of `FakeTokenizer`) get −8 so sequences rarely end on their own.
    static let hashedLogits: Script = { history, logits in
        var state = UInt64(history.count)
        for token in history { state = state &* 0x100_0000_01b3 ^ UInt64(UInt32(bitPattern: token)) }
        for v in logits.indices {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            z ^= z >> 31
            logits[v] = Float(z >> 40) / Float(1 << 24) * 8 - 4
        }
        for v in 0..<min(4, logits.count) { logits[v] = -8 }
    }

    /// A script that makes `tokens` the greedy continuation after a prompt of `promptLength`
    /// tokens (then EOS, token 1).
    static func scripted(_ tokens: [Int32], promptLength: Int) -> Script {
        { history, logits in
            for v in logits.indices { logits[v] = 0 }
            let generated = history.count - promptLength
            let next = generated < tokens.count ? tokens[generated] : 1
            logits[Int(next)] = 10
        }
    }
}
