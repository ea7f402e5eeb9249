@testable import Tokenizer

/// Small hand-made vocabularies for the tokenizer tests.
enum TestVocabularies {
    /// A SentencePiece vocabulary: 0 `<unk>`, 1 `<s>`, 2 `</s>` (control), 3 `<start_of_turn>`
    /// (control), 4 `<br>` (user-defined), then the 256 byte tokens `<0x00>`… at 5…260 (when
    /// `byteTokens`), then `pieces` in order with their scores.
    static func sentencePiece(_ pieces: [(String, Float)], byteTokens: Bool = true,
                              addSpacePrefix: Bool = false, addBOS: Bool = true,
                              addEOS: Bool = false) -> Vocabulary {
        var tokens = ["<unk>", "<s>", "</s>", "<start_of_turn>", "<br>"]
        var types: [TokenType] = [.unknown, .control, .control, .control, .userDefined]
        if byteTokens {
            for byte in 0..<256 {
                tokens.append("<0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) + ">")
                types.append(.byte)
            }
        }
        var scores = [Float](repeating: 0, count: tokens.count)
        for (piece, score) in pieces {
            tokens.append(piece)
            types.append(.normal)
            scores.append(score)
        }
        return Vocabulary(source: "test-spm", tokens: tokens, scores: scores, tokenTypes: types,
                          bosToken: 1, eosToken: 2, unknownToken: 0, addBOS: addBOS, addEOS: addEOS,
                          addSpacePrefix: addSpacePrefix)
    }

    static func sentencePieceTokenizer(_ pieces: [(String, Float)], byteTokens: Bool = true,
                                       addSpacePrefix: Bool = false) throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(vocabulary: sentencePiece(pieces, byteTokens: byteTokens,
                                                             addSpacePrefix: addSpacePrefix))
    }

    /// A byte-level BPE vocabulary: ids 0…255 are the single bytes in GPT-2's alphabet (byte
    /// order), then the results of `merges` in order, then `<|endoftext|>` (control) and
    /// `<|im_end|>` (control).
    static func bytePair(merges: [(String, String)], pre: String = "gpt-2", addBOS: Bool = false) -> Vocabulary {
        var tokens = ByteLevelAlphabet.scalarForByte.map { String($0) }
        var lines: [String] = []
        for (left, right) in merges {
            tokens.append(alphabet(left) + alphabet(right))
            lines.append(alphabet(left) + " " + alphabet(right))
        }
        let endOfText = Int32(tokens.count)
        tokens += ["<|endoftext|>", "<|im_end|>"]
        var types = [TokenType](repeating: .normal, count: tokens.count)
        types[types.count - 2] = .control
        types[types.count - 1] = .control
        return Vocabulary(source: "test-bpe", tokens: tokens, tokenTypes: types, merges: lines,
                          bosToken: endOfText, eosToken: endOfText, addBOS: addBOS, preTokenizer: pre)
    }

    /// Raw text written in GPT-2's byte alphabet (`" a"` → `"Ġa"`).
    static func alphabet(_ text: String) -> String {
        String(String.UnicodeScalarView(text.utf8.map { ByteLevelAlphabet.scalarForByte[Int($0)] }))
    }

    /// Id of a piece in a test vocabulary (precondition: present).
    static func id(_ piece: String, in vocabulary: Vocabulary) -> Int32 {
        Int32(vocabulary.tokens.firstIndex(of: piece)!)
    }
}
