/// Text ↔ token ids for one model's vocabulary.
///
/// Two implementations, chosen by the GGUF key `tokenizer.ggml.model`: the SentencePiece-style
/// tokenizer (`llama`: Gemma, Llama 2) and the byte-level BPE one (`gpt2`: Llama 3, Qwen2).
public protocol Tokenizer: Sendable {
    var vocabularySize: Int { get }
    var bosToken: Int32? { get }
    var eosToken: Int32? { get }
    /// Tokens that end generation: EOS plus end-of-turn tokens such as `<end_of_turn>`,
    /// `<|eot_id|>` or `<|im_end|>`.
    var endOfGenerationTokens: Set<Int32> { get }

    /// Text to token ids. `addSpecial` adds BOS (and EOS) where the vocabulary asks for them;
    /// `parseSpecial` lets control tokens written in the text (`<start_of_turn>`) match.
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32]

    /// The bytes a token prints as: byte-fallback tokens give their byte, `▁`/`Ġ` become spaces,
    /// control tokens give nothing unless `special` is true. Not always valid UTF-8 on its own.
    func pieceBytes(_ token: Int32, special: Bool) -> [UInt8]
}
