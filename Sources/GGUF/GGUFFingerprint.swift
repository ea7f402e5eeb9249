/// A short digest that tells model files apart, for state saved by one process and used by
/// another (a resume checkpoint must come from the same weights and vocabulary).
///
/// FNV-1a (64-bit, Fowler–Noll–Vo) over the whole header — metadata, vocabulary and tensor
/// directory — and over 64 evenly spaced 4 KiB samples of the tensor data, with the file size:
/// a few MB read instead of the whole file, so it costs milliseconds at start-up. Two files
/// with the same header and size that differ only between the samples get the same digest;
/// re-quantizing, fine-tuning or converting a model changes its scales and quants everywhere,
/// so the samples see it. Not a cryptographic hash: it guards against mistakes, not attacks.
extension GGUFFile {
    public var fingerprint: String {
        var hash = GGUFFingerprint()
        hash.add(UnsafeRawBufferPointer(start: base, count: dataOffset))
        let dataSize = fileSize - dataOffset
        let sample = 4096, samples = 64
        if dataSize <= sample * samples {
            hash.add(UnsafeRawBufferPointer(start: base + dataOffset, count: dataSize))
        } else {
            for i in 0..<samples {
                let offset = dataOffset + (dataSize - sample) / (samples - 1) * i
                hash.add(UnsafeRawBufferPointer(start: base + offset, count: sample))
            }
        }
        withUnsafeBytes(of: UInt64(fileSize).littleEndian) { hash.add($0) }
        return hash.hex
    }
}

/// FNV-1a, 64-bit: offset basis 0xcbf29ce484222325, prime 0x100000001b3 (IETF draft
/// draft-eastlake-fnv).
struct GGUFFingerprint {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        value = h
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
