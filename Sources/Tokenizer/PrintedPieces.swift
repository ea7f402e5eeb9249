/// The bytes each token prints as, computed once per vocabulary (llama.cpp's token-to-piece
/// cache). Control and unknown tokens are `hidden`: they print only when the caller asks for
/// special tokens. A piece need not be valid UTF-8 on its own (byte tokens, split characters).
struct PrintedPieces: Sendable {
    /// Token `i` prints as `bytes[offsets[i] ..< offsets[i + 1]]`.
    private let bytes: [UInt8]
    private let offsets: [Int32]
    private let hidden: [Bool]

    /// `render` appends the printed bytes of one non-hidden token to the buffer.
    init(vocabulary: Vocabulary, render: (inout [UInt8], Int32, TokenType, String) -> Void) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vocabulary.count * 8)
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(vocabulary.count + 1)
        var hidden = [Bool](repeating: false, count: vocabulary.count)
        for (index, piece) in vocabulary.tokens.enumerated() {
            let id = Int32(index)
            let type = vocabulary.type(of: id)
            switch type {
            case .control, .unknown:
                hidden[index] = true
                bytes.append(contentsOf: piece.utf8)
            case .userDefined:
                bytes.append(contentsOf: piece.utf8)
            case .normal, .byte:
                render(&bytes, id, type, piece)
            case .unused, .undefined:
                break
            }
            offsets.append(Int32(bytes.count))
        }
        self.bytes = bytes
        self.offsets = offsets
        self.hidden = hidden
    }

    /// Empty for ids outside the vocabulary: a model may have more output rows than tokens.
    func bytes(of token: Int32, special: Bool) -> [UInt8] {
        guard token >= 0, Int(token) < hidden.count else { return [] }
        if hidden[Int(token)] && !special { return [] }
        return Array(bytes[Int(offsets[Int(token)])..<Int(offsets[Int(token) + 1])])
    }
}

/// `<0xNN>` → NN, the byte a byte-fallback token stands for.
func byteTokenValue(_ piece: String) -> UInt8? {
    let utf8 = Array(piece.utf8)
    guard utf8.count == 6, utf8[0] == UInt8(ascii: "<"), utf8[1] == UInt8(ascii: "0"),
          utf8[2] == UInt8(ascii: "x"), utf8[5] == UInt8(ascii: ">") else { return nil }
    return UInt8(String(decoding: utf8[3...4], as: UTF8.self), radix: 16)
}
