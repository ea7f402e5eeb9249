// Small vocabularies for the tokenizer and chat renderer fuzz targets (Scripts/fuzz compiles
// this file into each of them).
@testable import Tokenizer

enum FuzzVocabularies {
    /// Control tokens of the chat formats.
    static let controlTokens = ["<start_of_turn>", "<end_of_turn>", "<|start_header_id|>", "<|end_header_id|>",
                                "<|eot_id|>", "<|im_start|>", "<|im_end|>", "<|system|>", "<|user|>", "<|assistant|>",
                                "<|end|>"]

    /// SentencePiece: `<unk>`, `<s>`, `</s>`, the control tokens, the 256 byte-fallback
    /// tokens, then pieces that merge in several ways (scores decide).
    static func sentencePiece(addSpacePrefix: Bool) -> Vocabulary {
        var tokens = ["<unk>", "<s>", "</s>"] + controlTokens
        var types: [TokenType] = [.unknown, .control, .control] + controlTokens.map { _ in .control }
        for byte in 0..<256 {
            tokens.append("<0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) + ">")
            types.append(.byte)
        }
        var scores = [Float](repeating: 0, count: tokens.count)
        let pieces = ["▁", "▁t", "▁th", "▁the", "th", "he", "e", "t", "h", "a", "an", "▁a", "▁an", "n", "d", "nd",
                      "▁and", "é", "▁é", "日", "本", "日本", "<", ">", "|", "_", "<|", "|>", "start", "end", "turn",
                      "▁▁", "▁▁▁▁", "\n", "\n\n", "<br>"]
        for (index, piece) in pieces.enumerated() {
            tokens.append(piece)
            types.append(piece == "<br>" ? .userDefined : .normal)
            scores.append(-Float(index % 7) - Float(piece.count) * 0.1)
        }
        return Vocabulary(source: "fuzz-spm", tokens: tokens, scores: scores, tokenTypes: types,
                          bosToken: 1, eosToken: 2, unknownToken: 0, addBOS: true, addEOS: false,
                          addSpacePrefix: addSpacePrefix)
    }

    /// Byte-level BPE: the 256 bytes in GPT-2's alphabet, merges, then the control tokens.
    static func bytePair(preTokenizer: String) -> Vocabulary {
        var tokens = ByteLevelAlphabet.scalarForByte.map { String($0) }
        let merges = [("t", "h"), ("th", "e"), (" ", "t"), (" t", "he"), ("a", "n"), ("an", "d"), (" ", "a"),
                      (" a", "nd"), ("1", "2"), ("12", "3"), ("\n", "\n"), (" ", " "), ("  ", "  "), ("<", "|"),
                      ("e", "r"), ("i", "n"), ("o", "n"), ("é", "t")]
        var lines: [String] = []
        for (left, right) in merges {
            let l = alphabet(left), r = alphabet(right)
            if !tokens.contains(l) { tokens.append(l) }
            if !tokens.contains(r) { tokens.append(r) }
            if !tokens.contains(l + r) { tokens.append(l + r) }
            lines.append(l + " " + r)
        }
        var types = [TokenType](repeating: .normal, count: tokens.count)
        let endOfText = Int32(tokens.count)
        tokens += ["<|endoftext|>"] + controlTokens
        types += [TokenType](repeating: .control, count: controlTokens.count + 1)
        return Vocabulary(source: "fuzz-bpe", tokens: tokens, tokenTypes: types, merges: lines,
                          bosToken: endOfText, eosToken: endOfText, addBOS: false, preTokenizer: preTokenizer)
    }

    /// Text in GPT-2's byte alphabet (`" a"` → `"Ġa"`).
    static func alphabet(_ text: String) -> String {
        String(String.UnicodeScalarView(text.utf8.map { ByteLevelAlphabet.scalarForByte[Int($0)] }))
    }
}
