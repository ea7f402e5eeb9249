import Tokenizer

/// A tiny vocabulary for engine tests.
///
/// 0 `<pad>`, 1 `<eos>`, 2 `<bos>`, 3 `<end_of_turn>` (control tokens: no text);
/// 4–29 the letters a–z, 30–39 the digits, 40 a space, 41 and 42 the two bytes of "é"
/// (0xC3, 0xA9: one character split over two tokens), 43 "STOP", 44 "ST", 45 "OP";
/// every other id prints as "<id>".
struct FakeTokenizer: Tokenizer {
    static let eos: Int32 = 1, bos: Int32 = 2, endOfTurn: Int32 = 3
    static let space: Int32 = 40, stop: Int32 = 43, st: Int32 = 44, op: Int32 = 45

    var vocabularySize: Int = 64
    var bosToken: Int32? { Self.bos }
    var eosToken: Int32? { Self.eos }
    var addsBOS: Bool { true }
    var addsEOS: Bool { false }
    var endOfGenerationTokens: Set<Int32> { [Self.eos, Self.endOfTurn] }

    /// Letters, digits and spaces only; anything else is skipped.
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var tokens: [Int32] = addSpecial ? [Self.bos] : []
        for scalar in text.unicodeScalars {
            switch scalar {
            case "a"..."z": tokens.append(Int32(scalar.value - 97 + 4))
            case "0"..."9": tokens.append(Int32(scalar.value - 48 + 30))
            case " ": tokens.append(Self.space)
            default: continue
            }
        }
        return tokens
    }

    func token(forPiece piece: String) -> Int32? { nil }

    func pieceBytes(_ token: Int32, special: Bool) -> [UInt8] {
        switch token {
        case 0...3: return special ? Array("<\(token)>".utf8) : []
        case 4...29: return [UInt8(token - 4 + 97)]
        case 30...39: return [UInt8(token - 30 + 48)]
        case 40: return [0x20]
        case 41: return [0xC3]
        case 42: return [0xA9]
        case 43: return Array("STOP".utf8)
        case 44: return Array("ST".utf8)
        case 45: return Array("OP".utf8)
        default: return Array("<\(token)>".utf8)
        }
    }
}
