/// What a vocabulary entry is, as stored in `tokenizer.ggml.token_type` (llama.cpp's
/// `llama_token_type` numbering). The type decides how a token is matched in text and printed.
public enum TokenType: Int32, Sendable, CaseIterable {
    case undefined = 0
    /// An ordinary piece produced by merging.
    case normal = 1
    /// `<unk>`: printed only when special tokens are requested.
    case unknown = 2
    /// Control tokens (`<bos>`, `<start_of_turn>`): matched in text only with `parseSpecial`,
    /// printed only when special tokens are requested.
    case control = 3
    /// Added pieces (Gemma's newline and space runs, HTML tags): always split out of the text
    /// before merging and always printed as written.
    case userDefined = 4
    case unused = 5
    /// `<0xNN>` byte-fallback tokens of SentencePiece vocabularies.
    case byte = 6

    /// Values outside the known range are treated as `undefined`, as llama.cpp does.
    public init(gguf value: Int32) {
        self = TokenType(rawValue: value) ?? .undefined
    }

    /// Special tokens are cut out of the text before the merge algorithm runs.
    var isSplitOutOfText: Bool {
        self == .control || self == .userDefined || self == .unknown
    }

    /// Matched only when the caller asks for control tokens written in the text.
    var needsParseSpecial: Bool {
        self == .control || self == .unknown
    }
}
