/// Exact map from a piece's UTF-8 bytes to its token id, over the whole vocabulary.
///
/// Keys are raw bytes, not `String`s: Swift compares strings by canonical equivalence, so two
/// distinct vocabulary pieces such as "é" (U+00E9) and "e\u{301}" would be one dictionary key,
/// and hashing would normalise every non-ASCII piece. This table is one open-addressing array
/// of ids over one contiguous byte buffer, built once per vocabulary (262,144 pieces for Gemma).
struct PieceLookup: Sendable {
    /// All pieces concatenated; piece `i` is `bytes[offsets[i] ..< offsets[i + 1]]`.
    private let bytes: [UInt8]
    /// `count + 1` entries.
    private let offsets: [Int32]
    /// Open addressing with linear probing: `id + 1`, or 0 for an empty slot. Power-of-two size,
    /// at least twice the number of pieces.
    private let slots: [Int32]

    /// Throws on a piece that appears twice: ids would then depend on which copy won.
    init(pieces: [String], source: String) throws(TokenizerError) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pieces.count * 8)
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(pieces.count + 1)
        for piece in pieces {
            bytes.append(contentsOf: piece.utf8)
            offsets.append(Int32(bytes.count))
        }
        var capacity = 16
        while capacity < pieces.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: 0, count: capacity)
        let mask = capacity - 1
        var duplicate: (Int32, Int32)?
        bytes.withUnsafeBufferPointer { all in
            slots.withUnsafeMutableBufferPointer { slots in
                for id in 0..<pieces.count {
                    let start = Int(offsets[id]), end = Int(offsets[id + 1])
                    if start == end { continue }  // an empty piece can never be matched
                    let key = UnsafeBufferPointer(rebasing: all[start..<end])
                    var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
                    while slots[slot] != 0 {
                        let other = Int(slots[slot] - 1)
                        let otherKey = UnsafeBufferPointer(rebasing: all[Int(offsets[other])..<Int(offsets[other + 1])])
                        if otherKey.elementsEqual(key) {
                            duplicate = (Int32(other), Int32(id))
                            return
                        }
                        slot = (slot + 1) & mask
                    }
                    slots[slot] = Int32(id + 1)
                }
            }
        }
        if let (first, second) = duplicate {
            throw .duplicateToken(source: source, piece: pieces[Int(second)], firstID: first, secondID: second)
        }
        self.bytes = bytes
        self.offsets = offsets
        self.slots = slots
    }

    /// The id whose piece is exactly `key`, if any.
    func id(of key: UnsafeBufferPointer<UInt8>) -> Int32? {
        if key.isEmpty { return nil }
        let mask = slots.count - 1
        return bytes.withUnsafeBufferPointer { all in
            offsets.withUnsafeBufferPointer { offsets in
                slots.withUnsafeBufferPointer { slots in
                    var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
                    while true {
                        let entry = slots[slot]
                        if entry == 0 { return nil }
                        let id = Int(entry - 1)
                        let start = Int(offsets[id]), end = Int(offsets[id + 1])
                        if end - start == key.count
                            && memoryEqual(all.baseAddress! + start, key.baseAddress!, key.count) {
                            return Int32(id)
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    func id(of piece: String) -> Int32? {
        var piece = piece
        return piece.withUTF8 { id(of: $0) }
    }

    func id(of piece: [UInt8]) -> Int32? {
        piece.withUnsafeBufferPointer { id(of: $0) }
    }

    /// FNV-1a, 64-bit: cheap for the short keys a vocabulary has.
    @inline(__always)
    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return h ^ (h >> 29)
    }
}

@inline(__always)
private func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for i in 0..<count where a[i] != b[i] { return false }
    return true
}
