/// A small DEFLATE (RFC 1951) and zlib (RFC 1950) decoder, so the report rendering test can
/// read the PNG Chromium writes: Foundation on Linux has no image decoder and no zlib API.
///
/// Huffman codes are decoded canonically, one bit at a time: the codes of each length are
/// consecutive integers, so knowing how many codes each length has is enough. That is slow
/// next to a table decoder, but a screenshot is mostly long runs of one colour.
enum Inflate {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The data inside a zlib stream, its Adler-32 checksum verified.
    static func zlib(_ bytes: [UInt8]) throws -> [UInt8] {
        guard bytes.count >= 6 else { throw Failure(description: "zlib stream of \(bytes.count) bytes is too short") }
        guard bytes[0] & 0x0f == 8, (UInt16(bytes[0]) << 8 | UInt16(bytes[1])) % 31 == 0 else {
            throw Failure(description: "not a zlib stream (header \(bytes[0]) \(bytes[1]))")
        }
        guard bytes[1] & 0x20 == 0 else { throw Failure(description: "zlib preset dictionaries are not supported") }
        var reader = BitReader(bytes: bytes, position: 2)
        let output = try deflate(&reader)
        let trailer = reader.alignedPosition
        guard trailer + 4 <= bytes.count else { throw Failure(description: "zlib stream lacks its checksum") }
        let expected = bytes[trailer..<trailer + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard adler32(output) == expected else { throw Failure(description: "zlib checksum mismatch") }
        return output
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var index = 0
        while index < bytes.count {
            // 5552 bytes is the most that cannot overflow 32 bits before the modulo.
            let end = min(index + 5552, bytes.count)
            while index < end {
                a += UInt32(bytes[index])
                b += a
                index += 1
            }
            a %= 65521
            b %= 65521
        }
        return b << 16 | a
    }

    static func deflate(_ reader: inout BitReader) throws -> [UInt8] {
        var output: [UInt8] = []
        var isLast = false
        while !isLast {
            isLast = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0:
                try stored(&reader, into: &output)
            case 1:
                try compressed(&reader, literals: fixedLiterals, distances: fixedDistances, into: &output)
            case 2:
                let (literals, distances) = try dynamicCodes(&reader)
                try compressed(&reader, literals: literals, distances: distances, into: &output)
            default:
                throw Failure(description: "invalid DEFLATE block type 3")
            }
        }
        return output
    }

    /// A canonical Huffman code: how many codes have each length, and the symbols in code order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) {
            for length in lengths { counts[length] += 1 }
            counts[0] = 0
            for length in 1...15 {
                for (symbol, symbolLength) in lengths.enumerated() where symbolLength == length { symbols.append(symbol) }
            }
        }

        func decode(_ reader: inout BitReader) throws -> Int {
            // `code` is the bits read so far; `first` the first code of the current length;
            // `index` where that length's symbols start.
            var code = 0, first = 0, index = 0
            for length in 1...15 {
                code |= try reader.bits(1)
                let count = counts[length]
                if code - first < count { return symbols[index + code - first] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw Failure(description: "invalid Huffman code")
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                             131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
                                13, 13]
    /// The order code-length code lengths are sent in (RFC 1951, 3.2.7).
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    static let fixedLiterals = Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
    static let fixedDistances = Huffman(lengths: Array(repeating: 5, count: 30))

    private static func stored(_ reader: inout BitReader, into output: inout [UInt8]) throws {
        var position = reader.alignedPosition
        guard position + 4 <= reader.bytes.count else { throw Failure(description: "truncated stored block") }
        let length = Int(reader.bytes[position]) | Int(reader.bytes[position + 1]) << 8
        let check = Int(reader.bytes[position + 2]) | Int(reader.bytes[position + 3]) << 8
        guard length == ~check & 0xffff else { throw Failure(description: "stored block length check failed") }
        position += 4
        guard position + length <= reader.bytes.count else { throw Failure(description: "truncated stored block") }
        output += reader.bytes[position..<position + length]
        reader = BitReader(bytes: reader.bytes, position: position + length)
    }

    private static func dynamicCodes(_ reader: inout BitReader) throws -> (Huffman, Huffman) {
        let literalCount = try reader.bits(5) + 257
        let distanceCount = try reader.bits(5) + 1
        let codeLengthCount = try reader.bits(4) + 4
        var codeLengthLengths = [Int](repeating: 0, count: 19)
        for index in 0..<codeLengthCount { codeLengthLengths[codeLengthOrder[index]] = try reader.bits(3) }
        let codeLengths = Huffman(lengths: codeLengthLengths)
        var lengths: [Int] = []
        while lengths.count < literalCount + distanceCount {
            let symbol = try codeLengths.decode(&reader)
            switch symbol {
            case 0...15:
                lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw Failure(description: "repeat with no previous length") }
                lengths += Array(repeating: previous, count: 3 + (try reader.bits(2)))
            case 17:
                lengths += Array(repeating: 0, count: 3 + (try reader.bits(3)))
            default:
                lengths += Array(repeating: 0, count: 11 + (try reader.bits(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount else { throw Failure(description: "code lengths overrun") }
        return (Huffman(lengths: Array(lengths[..<literalCount])), Huffman(lengths: Array(lengths[literalCount...])))
    }

    private static func compressed(_ reader: inout BitReader, literals: Huffman, distances: Huffman,
                                   into output: inout [UInt8]) throws {
        while true {
            let symbol = try literals.decode(&reader)
            if symbol < 256 {
                output.append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let lengthIndex = symbol - 257
            guard lengthIndex < lengthBase.count else { throw Failure(description: "invalid length symbol \(symbol)") }
            let length = lengthBase[lengthIndex] + (try reader.bits(lengthExtra[lengthIndex]))
            let distanceIndex = try distances.decode(&reader)
            guard distanceIndex < distanceBase.count else { throw Failure(description: "invalid distance symbol") }
            let distance = distanceBase[distanceIndex] + (try reader.bits(distanceExtra[distanceIndex]))
            guard distance <= output.count else { throw Failure(description: "distance \(distance) before the start") }
            // Byte by byte: a match may overlap the bytes it produces (a run).
            let start = output.count - distance
            for offset in 0..<length { output.append(output[start + offset]) }
        }
    }

    /// Reads bits least significant first, as DEFLATE packs them.
    struct BitReader {
        let bytes: [UInt8]
        private(set) var position: Int
        private var bitBuffer = 0
        private var bitCount = 0

        init(bytes: [UInt8], position: Int) {
            self.bytes = bytes
            self.position = position
        }

        mutating func bits(_ count: Int) throws -> Int {
            while bitCount < count {
                guard position < bytes.count else { throw Failure(description: "DEFLATE stream ends early") }
                bitBuffer |= Int(bytes[position]) << bitCount
                position += 1
                bitCount += 8
            }
            let value = bitBuffer & ((1 << count) - 1)
            bitBuffer >>= count
            bitCount -= count
            return value
        }

        /// The next whole byte, dropping the bits left in the current one.
        var alignedPosition: Int { position - bitCount / 8 }
    }
}
