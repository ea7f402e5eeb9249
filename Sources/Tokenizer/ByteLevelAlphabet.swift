/// GPT-2's reversible map between the 256 byte values and printable Unicode characters, in which
/// byte-level BPE vocabularies are written: printable Latin-1 bytes stand for themselves, the
/// others (controls, space, 0x7F–0xA0, 0xAD) take U+0100 onward in byte order, so space is
/// `Ġ` (U+0120) and newline `Ċ` (U+010A).
enum ByteLevelAlphabet {
    /// The character standing for each byte value.
    static let scalarForByte: [Unicode.Scalar] = {
        var result = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if standsForItself(UInt8(byte)) {
                result[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                result[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return result
    }()

    /// Indexed by scalar value below 324: the byte it stands for, or -1.
    static let byteForScalar: [Int16] = {
        var result = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalarForByte.enumerated() { result[Int(scalar.value)] = Int16(byte) }
        return result
    }()

    private static func standsForItself(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The raw bytes a vocabulary piece stands for. Characters outside the alphabet (which a
    /// well-formed vocabulary never has in normal pieces) are kept as their own UTF-8.
    static func decode(_ piece: String, into bytes: inout [UInt8]) {
        for scalar in piece.unicodeScalars {
            if scalar.value < 324, byteForScalar[Int(scalar.value)] >= 0 {
                bytes.append(UInt8(byteForScalar[Int(scalar.value)]))
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
    }
}
