import GGUF

/// A model's vocabulary as its GGUF file describes it (`tokenizer.ggml.*`), before any lookup
/// tables are built. Plain data: the loader fills it from a file, tests build small ones by hand.
///
/// Invariant checked by `validate()`: `scores` and `tokenTypes` are empty or have one entry per
/// token, and every special id is inside the vocabulary.
public struct Vocabulary: Sendable, Equatable {
    /// Names the origin (a model file) in error messages.
    public var source: String
    /// Token pieces, indexed by id. SentencePiece pieces use `▁` (U+2581) for space; byte-level
    /// BPE pieces use GPT-2's printable byte alphabet (`Ġ` for space).
    public var tokens: [String]
    /// SentencePiece merge priorities (higher merges first). Empty when the file has none.
    public var scores: [Float]
    /// Empty when the file has none: every token is then `.normal`.
    public var tokenTypes: [TokenType]
    /// BPE merges `"left right"`, rank = index (lower merges first). Empty for SentencePiece.
    public var merges: [String]

    public var bosToken: Int32?
    public var eosToken: Int32?
    public var unknownToken: Int32?
    /// `tokenizer.ggml.eot_token_id`: an explicit end-of-turn token.
    public var endOfTurnToken: Int32?

    /// Whether `encode(addSpecial: true)` prepends BOS / appends EOS.
    public var addBOS: Bool
    public var addEOS: Bool
    /// SentencePiece only: prepend a space to text that starts a fragment (Llama 2 does,
    /// Gemma does not).
    public var addSpacePrefix: Bool
    /// `tokenizer.ggml.pre`, the BPE pre-tokenizer name; ignored by SentencePiece.
    public var preTokenizer: String?

    public init(source: String, tokens: [String], scores: [Float] = [], tokenTypes: [TokenType] = [],
                merges: [String] = [], bosToken: Int32? = nil, eosToken: Int32? = nil,
                unknownToken: Int32? = nil, endOfTurnToken: Int32? = nil,
                addBOS: Bool = false, addEOS: Bool = false, addSpacePrefix: Bool = false,
                preTokenizer: String? = nil) {
        self.source = source
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.unknownToken = unknownToken
        self.endOfTurnToken = endOfTurnToken
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.preTokenizer = preTokenizer
    }

    public var count: Int { tokens.count }

    public func type(of token: Int32) -> TokenType {
        tokenTypes.isEmpty ? .normal : tokenTypes[Int(token)]
    }

    /// Checks the invariants the tokenizers rely on; the error names the offending key.
    public func validate() throws(TokenizerError) {
        if tokens.isEmpty { throw .emptyVocabulary(source: source) }
        if !scores.isEmpty && scores.count != tokens.count {
            throw .lengthMismatch(source: source, key: GGUFKey.tokenScores,
                                  expected: tokens.count, found: scores.count)
        }
        if !tokenTypes.isEmpty && tokenTypes.count != tokens.count {
            throw .lengthMismatch(source: source, key: GGUFKey.tokenTypes,
                                  expected: tokens.count, found: tokenTypes.count)
        }
        let specials: [(String, Int32?)] = [
            (GGUFKey.bosTokenID, bosToken), (GGUFKey.eosTokenID, eosToken),
            (GGUFKey.unknownTokenID, unknownToken), (GGUFKey.eotTokenID, endOfTurnToken),
        ]
        for (key, id) in specials {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw .specialTokenOutOfRange(source: source, key: key, id: Int64(id), vocabularySize: tokens.count)
            }
        }
        if addBOS && bosToken == nil {
            throw .missingSpecialToken(source: source, flagKey: GGUFKey.addBOSToken, idKey: GGUFKey.bosTokenID)
        }
        if addEOS && eosToken == nil {
            throw .missingSpecialToken(source: source, flagKey: GGUFKey.addEOSToken, idKey: GGUFKey.eosTokenID)
        }
    }

    /// Pieces that end generation when sampled, besides EOS and the explicit end-of-turn id.
    /// Matched by text, as llama.cpp does, because converters rarely record them as metadata.
    static let endOfGenerationPieces = [
        "<end_of_turn>", "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<|end_of_text|>", "<|endoftext|>",
    ]

    /// EOS, the explicit end-of-turn token, and every token whose piece names an end of turn.
    func endOfGenerationTokens(lookup: PieceLookup) -> Set<Int32> {
        var result = Set(Self.endOfGenerationPieces.compactMap { lookup.id(of: $0) })
        if let eosToken { result.insert(eosToken) }
        if let endOfTurnToken { result.insert(endOfTurnToken) }
        return result
    }
}
