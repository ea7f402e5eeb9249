/// Every GGUF metadata key string this project reads, in one place (as llama.cpp keeps them in
/// `LLM_KV_NAMES`). Keys scoped to an architecture are functions of its name, which is the
/// value of `general.architecture` (`"gemma3"` → `"gemma3.context_length"`).
///
/// Spellings follow gguf-py's `constants.py`, including its historical ones
/// (`seperator_token_id`, `attn_logit_softcapping`).
public enum GGUFKey {
    // MARK: general.*

    public static let architecture = "general.architecture"
    public static let quantizationVersion = "general.quantization_version"
    /// Alignment of the tensor data section and of every tensor in it; 32 when absent.
    public static let alignment = "general.alignment"
    public static let name = "general.name"
    public static let type = "general.type"
    public static let basename = "general.basename"
    public static let sizeLabel = "general.size_label"
    public static let license = "general.license"
    public static let tags = "general.tags"
    /// llama.cpp's `llama_ftype` (15 = MOSTLY_Q4_K_M).
    public static let fileType = "general.file_type"

    // MARK: <arch>.* model shape

    public static func vocabularySize(_ arch: String) -> String { "\(arch).vocab_size" }
    public static func contextLength(_ arch: String) -> String { "\(arch).context_length" }
    public static func embeddingLength(_ arch: String) -> String { "\(arch).embedding_length" }
    public static func blockCount(_ arch: String) -> String { "\(arch).block_count" }
    public static func feedForwardLength(_ arch: String) -> String { "\(arch).feed_forward_length" }
    public static func finalLogitSoftcapping(_ arch: String) -> String { "\(arch).final_logit_softcapping" }
    /// Gemma 2's attention-score soft cap (`<arch>.attn_logit_softcapping`, not under
    /// `attention.`).
    public static func attentionLogitSoftcapping(_ arch: String) -> String { "\(arch).attn_logit_softcapping" }

    // MARK: <arch>.attention.*

    public static func headCount(_ arch: String) -> String { "\(arch).attention.head_count" }
    public static func headCountKV(_ arch: String) -> String { "\(arch).attention.head_count_kv" }
    public static func keyLength(_ arch: String) -> String { "\(arch).attention.key_length" }
    public static func valueLength(_ arch: String) -> String { "\(arch).attention.value_length" }
    public static func layerNormRMSEpsilon(_ arch: String) -> String {
        "\(arch).attention.layer_norm_rms_epsilon"
    }
    public static func layerNormEpsilon(_ arch: String) -> String { "\(arch).attention.layer_norm_epsilon" }
    public static func slidingWindow(_ arch: String) -> String { "\(arch).attention.sliding_window" }
    public static func slidingWindowPattern(_ arch: String) -> String {
        "\(arch).attention.sliding_window_pattern"
    }
    public static func attentionScale(_ arch: String) -> String { "\(arch).attention.scale" }

    // MARK: <arch>.rope.*

    public static func ropeDimensionCount(_ arch: String) -> String { "\(arch).rope.dimension_count" }
    public static func ropeFreqBase(_ arch: String) -> String { "\(arch).rope.freq_base" }
    public static func ropeFreqBaseSWA(_ arch: String) -> String { "\(arch).rope.freq_base_swa" }
    public static func ropeScalingType(_ arch: String) -> String { "\(arch).rope.scaling.type" }
    public static func ropeScalingFactor(_ arch: String) -> String { "\(arch).rope.scaling.factor" }
    /// LongRoPE's (Phi-3) multiplier of the rotated queries and keys.
    public static func ropeScalingAttentionFactor(_ arch: String) -> String { "\(arch).rope.scaling.attn_factor" }
    public static func ropeScalingOriginalContextLength(_ arch: String) -> String {
        "\(arch).rope.scaling.original_context_length"
    }

    // MARK: tokenizer.*

    /// `llama` (SentencePiece-style), `gpt2` (byte-level BPE), ...
    public static let tokenizerModel = "tokenizer.ggml.model"
    /// Pre-tokenizer name for BPE vocabularies (`llama-bpe`, `qwen2`, `default`).
    public static let tokenizerPre = "tokenizer.ggml.pre"
    public static let tokens = "tokenizer.ggml.tokens"
    public static let tokenScores = "tokenizer.ggml.scores"
    public static let tokenTypes = "tokenizer.ggml.token_type"
    public static let tokenTypeCount = "tokenizer.ggml.token_type_count"
    /// BPE merges, `"left right"`; a merge's rank is its index.
    public static let merges = "tokenizer.ggml.merges"
    public static let bosTokenID = "tokenizer.ggml.bos_token_id"
    public static let eosTokenID = "tokenizer.ggml.eos_token_id"
    public static let eotTokenID = "tokenizer.ggml.eot_token_id"
    public static let eomTokenID = "tokenizer.ggml.eom_token_id"
    public static let unknownTokenID = "tokenizer.ggml.unknown_token_id"
    public static let separatorTokenID = "tokenizer.ggml.seperator_token_id"
    public static let paddingTokenID = "tokenizer.ggml.padding_token_id"
    public static let maskTokenID = "tokenizer.ggml.mask_token_id"
    public static let addBOSToken = "tokenizer.ggml.add_bos_token"
    public static let addEOSToken = "tokenizer.ggml.add_eos_token"
    public static let addSEPToken = "tokenizer.ggml.add_sep_token"
    public static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    public static let removeExtraWhitespaces = "tokenizer.ggml.remove_extra_whitespaces"
    public static let precompiledCharsmap = "tokenizer.ggml.precompiled_charsmap"
    public static let fimPrefixTokenID = "tokenizer.ggml.fim_pre_token_id"
    public static let fimSuffixTokenID = "tokenizer.ggml.fim_suf_token_id"
    public static let fimMiddleTokenID = "tokenizer.ggml.fim_mid_token_id"
    public static let fimPadTokenID = "tokenizer.ggml.fim_pad_token_id"
    public static let fimRepoTokenID = "tokenizer.ggml.fim_rep_token_id"
    public static let fimSeparatorTokenID = "tokenizer.ggml.fim_sep_token_id"
    /// The default Jinja chat template.
    public static let chatTemplate = "tokenizer.chat_template"
    /// A named extra chat template (`tool_use`, `rag`).
    public static func chatTemplate(named name: String) -> String { "tokenizer.chat_template.\(name)" }
}
