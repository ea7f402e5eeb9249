import GGUF

/// Builds the tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata.
///
/// ```swift
/// let file = try GGUFFile(path: "/work/models/gemma-3-270m-q4_k_m.gguf")
/// let tokenizer = try TokenizerLoader.load(from: file)
/// let ids = tokenizer.encode("Hello world", addSpecial: true, parseSpecial: false)
/// ```
///
/// Absent keys get llama.cpp's defaults: SentencePiece vocabularies add BOS and a space prefix
/// and use ids 1/2/0 for BOS/EOS/unknown; byte-level BPE adds BOS only for the Llama 3
/// pre-tokenizer. Metadata of the wrong type throws `GGUFError`, an inconsistent vocabulary
/// `TokenizerError`.
public enum TokenizerLoader {
    public static let supportedModels = ["llama", "gpt2"]

    public static func load(from file: GGUFFile) throws -> any Tokenizer {
        let model = try file.metadata.requireString(GGUFKey.tokenizerModel)
        switch model {
        case "llama": return try SentencePieceTokenizer(vocabulary: vocabulary(from: file))
        case "gpt2": return try BytePairTokenizer(vocabulary: vocabulary(from: file))
        default: throw TokenizerError.unsupportedModel(source: file.path, name: model)
        }
    }

    /// The file's vocabulary with defaults filled in, not yet validated.
    public static func vocabulary(from file: GGUFFile) throws -> Vocabulary {
        let metadata = file.metadata
        let model = try metadata.requireString(GGUFKey.tokenizerModel)
        guard supportedModels.contains(model) else {
            throw TokenizerError.unsupportedModel(source: file.path, name: model)
        }
        let isSentencePiece = model == "llama"
        let tokens = try metadata.requireStringArray(GGUFKey.tokens)
        let preTokenizerName = try metadata[GGUFKey.tokenizerPre].map { _ in
            try metadata.requireString(GGUFKey.tokenizerPre)
        }

        var vocabulary = Vocabulary(source: file.path, tokens: tokens)
        vocabulary.scores = try scores(metadata)
        if metadata.contains(GGUFKey.tokenTypes) {
            vocabulary.tokenTypes = try metadata.requireIntArray(GGUFKey.tokenTypes).map {
                TokenType(gguf: Int32(clamping: $0))
            }
        }
        if !isSentencePiece {
            vocabulary.merges = try metadata.requireStringArray(GGUFKey.merges)
        }

        func tokenID(_ key: String, default fallback: Int32?) throws -> Int32? {
            guard metadata.contains(key) else {
                // A default outside the vocabulary is dropped, as llama.cpp does.
                return fallback.flatMap { $0 < tokens.count ? $0 : nil }
            }
            let value = try metadata.requireInt(key)
            guard value >= 0 && value < tokens.count else {
                throw TokenizerError.specialTokenOutOfRange(source: file.path, key: key, id: Int64(value),
                                                            vocabularySize: tokens.count)
            }
            return Int32(value)
        }
        vocabulary.bosToken = try tokenID(GGUFKey.bosTokenID, default: isSentencePiece ? 1 : nil)
        vocabulary.eosToken = try tokenID(GGUFKey.eosTokenID, default: isSentencePiece ? 2 : nil)
        vocabulary.unknownToken = try tokenID(GGUFKey.unknownTokenID, default: isSentencePiece ? 0 : nil)
        vocabulary.endOfTurnToken = try tokenID(GGUFKey.eotTokenID, default: nil)

        vocabulary.preTokenizer = preTokenizerName
        let bosByDefault = isSentencePiece
            || PreTokenizer(name: preTokenizerName ?? "default")?.addsBOSByDefault == true
        vocabulary.addBOS = try metadata.bool(GGUFKey.addBOSToken, default: bosByDefault)
        vocabulary.addEOS = try metadata.bool(GGUFKey.addEOSToken, default: false)
        let addSpacePrefix = try metadata.bool(GGUFKey.addSpacePrefix, default: true)
        vocabulary.addSpacePrefix = isSentencePiece && addSpacePrefix
        return vocabulary
    }

    /// `tokenizer.ggml.scores` as floats (some converters write INT32), or empty when absent.
    private static func scores(_ metadata: GGUFMetadata) throws -> [Float] {
        guard let value = metadata[GGUFKey.tokenScores] else { return [] }
        if let floats = metadata.floatArray(GGUFKey.tokenScores) { return floats }
        if case let .array(array) = value, let ints = array.intValues { return ints.map { Float($0) } }
        throw GGUFError.wrongKeyType(path: metadata.path, key: GGUFKey.tokenScores,
                                     expected: "ARRAY[FLOAT32]", found: value.typeDescription)
    }
}
