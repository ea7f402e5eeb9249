/// Text ↔ token ids for one model's vocabulary.
///
/// Two implementations, chosen by the GGUF key `tokenizer.ggml.model`: the SentencePiece-style
/// tokenizer (`llama`: Gemma, Llama 2) and the byte-level BPE one (`gpt2`: Llama 3, Qwen2).
public protocol Tokenizer: Sendable {
    var vocabularySize: Int { get }
    var bosToken: Int32? { get }
    var eosToken: Int32? { get }
    /// Whether `encode(addSpecial: true)` starts with BOS: `tokenizer.ggml.add_bos_token`, else
    /// llama.cpp's default for the vocabulary (SentencePiece and the Llama 3 pre-tokenizer add
    /// it; Qwen2, GPT-2 and most byte-level vocabularies do not).
    var addsBOS: Bool { get }
    /// Whether `encode(addSpecial: true)` ends with EOS (`tokenizer.ggml.add_eos_token`).
    var addsEOS: Bool { get }
    /// Tokens that end generation: EOS plus end-of-turn tokens such as `<end_of_turn>`,
    /// `<|eot_id|>` or `<|im_end|>`.
    var endOfGenerationTokens: Set<Int32> { get }

    /// Text to token ids. `addSpecial` adds BOS (and EOS) where the vocabulary asks for them;
    /// `parseSpecial` lets control tokens written in the text (`<start_of_turn>`) match.
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32]

    /// The bytes a token prints as: byte-fallback tokens give their byte, `▁`/`Ġ` become spaces,
    /// control tokens give nothing unless `special` is true. Not always valid UTF-8 on its own.
    func pieceBytes(_ token: Int32, special: Bool) -> [UInt8]

    /// The id of the vocabulary entry whose piece is exactly `piece` as stored in the file
    /// (`"<end_of_turn>"`, `"▁the"`, `"Ġthe"`), if there is one.
    func token(forPiece piece: String) -> Int32?
}

extension Tokenizer {
    /// The token a sequence starts with when the model expects one: BOS if the vocabulary adds
    /// it, else nil. Code that builds token sequences by hand (perplexity windows) uses this,
    /// never `bosToken` alone: a file can name a BOS it does not add (Qwen2.5).
    public var sequenceStartToken: Int32? { addsBOS ? bosToken : nil }

    /// Token ids to text. Bytes that do not form valid UTF-8 become U+FFFD.
    public func decode(_ tokens: [Int32], special: Bool = false) -> String {
        var bytes: [UInt8] = []
        for token in tokens { bytes.append(contentsOf: pieceBytes(token, special: special)) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
