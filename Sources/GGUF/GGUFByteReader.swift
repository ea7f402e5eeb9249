/// A little-endian cursor over a GGUF file's bytes that checks every read against the end of
/// the file and every count against what the file can hold, so that a damaged file
/// produces a `GGUFError` naming the part being read, never a trap or a huge allocation.
struct GGUFByteReader {
    let base: UnsafeRawPointer
    let size: Int
    let path: String
    /// Bytes consumed so far; always `<= size`.
    private(set) var offset = 0
    /// What is being read, for error messages; set by the parser as it goes.
    var part = GGUFFilePart.header

    init(base: UnsafeRawPointer, size: Int, path: String) {
        self.base = base
        self.size = size
        self.path = path
    }

    var remaining: Int { size - offset }

    /// Moves the cursor to `target`, which must not lie past the end of the file.
    mutating func seek(to target: Int) {
        precondition(target >= 0 && target <= size, "seek outside the file")
        offset = target
    }

    mutating func uint8() throws(GGUFError) -> UInt8 { try integer() }
    mutating func uint16() throws(GGUFError) -> UInt16 { try integer() }
    mutating func uint32() throws(GGUFError) -> UInt32 { try integer() }
    mutating func uint64() throws(GGUFError) -> UInt64 { try integer() }

    /// One little-endian integer of `T`'s width.
    private mutating func integer<T: FixedWidthInteger>() throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size)
        let value = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    /// A GGUF string: a u64 byte length, then UTF-8 without a terminator. Invalid UTF-8 is
    /// repaired with U+FFFD rather than rejected, as llama.cpp does not validate it either.
    mutating func string() throws(GGUFError) -> String {
        let length = try uint64()
        guard length <= UInt64(size) else {
            throw .absurdCount(path: path, part: part, what: "a string length of", count: length,
                               limit: UInt64(size))
        }
        let count = Int(length)
        try need(count)
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: count)
        offset += count
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads a u64 element count and checks that a file of this size could hold that many
    /// elements of at least `minimumElementSize` bytes. (A count the whole file cannot hold is
    /// corrupt; one that merely runs past the end is reported as truncation when the elements
    /// are read.) Memory for the elements is therefore bounded by a small multiple of the size.
    mutating func count(of what: String, minimumElementSize: Int) throws(GGUFError) -> Int {
        let count = try uint64()
        let limit = UInt64(size / minimumElementSize)
        guard count <= limit else {
            throw .absurdCount(path: path, part: part, what: what, count: count, limit: limit)
        }
        return Int(count)
    }

    /// `count` values of a fixed-width type copied out of the file in one go.
    mutating func array<T: BitwiseCopyable>(of type: T.Type, count: Int) throws(GGUFError) -> [T] {
        let byteCount = count * MemoryLayout<T>.stride  // count was checked against the file size
        try need(byteCount)
        let source = base + offset
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if byteCount > 0 {
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: source, byteCount: byteCount)
            }
            initialized = count
        }
        offset += byteCount
        return values
    }

    private func need(_ byteCount: Int) throws(GGUFError) {
        guard byteCount <= remaining else {
            throw .truncated(path: path, part: part, offset: offset, needed: byteCount, fileSize: size)
        }
    }
}

#if _endian(big)
#error("The GGUF reader copies little-endian arrays straight out of the file; port array(of:count:) first.")
#endif
