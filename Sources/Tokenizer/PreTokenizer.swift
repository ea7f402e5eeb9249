/// The pre-tokenizers of byte-level BPE vocabularies, chosen by `tokenizer.ggml.pre`: they cut
/// text into words before merging, so merges never cross word boundaries.
///
/// A pre-tokenizer is a list of split expressions (`SplitRule`) applied in order: the first cuts
/// the text into words, each later one cuts every word further. Within a word, an expression
/// is searched left to right and text it does not match becomes a word of its own, as in
/// llama.cpp and Hugging Face tokenizers ("isolated" splits). The names and their expressions
/// are llama.cpp's (`src/llama-vocab.cpp`); each is checked against the reference tokenizer's
/// vectors where there are some (`shared/testdata/tokenizers`).
struct PreTokenizer: Sendable, Equatable {
    let rules: [SplitRule]
    /// A word that is itself a piece is emitted whole, without merging (`ignore_merges`).
    let ignoresMerges: Bool
    /// BOS is added unless `tokenizer.ggml.add_bos_token` says otherwise.
    let addsBOSByDefault: Bool

    init(rules: [SplitRule], ignoresMerges: Bool = false, addsBOSByDefault: Bool = false) {
        self.rules = rules
        self.ignoresMerges = ignoresMerges
        self.addsBOSByDefault = addsBOSByDefault
    }

    static let gpt2 = PreTokenizer(rules: [.gpt2])
    /// llama.cpp's pre-tokenizer for `default` (and for files without the key).
    static let fallback = PreTokenizer(rules: [.falconPunctuation, .gpt2, .digitRun, .asciiDigitTriple])
    static let llama3 = PreTokenizer(rules: [.llama3(maxDigits: 3)], ignoresMerges: true, addsBOSByDefault: true)
    /// The Llama 3 expression without Llama 3's merge and BOS rules (DBRX, Smaug, GLM-4).
    static let llama3Expression = PreTokenizer(rules: [.llama3(maxDigits: 3)])
    static let qwen2 = PreTokenizer(rules: [.llama3(maxDigits: 1)])
    static let starCoder = PreTokenizer(rules: [.eachDigit, .gpt2])
    static let falcon = PreTokenizer(rules: [.falconPunctuation, .gpt2, .asciiDigitTriple])
    static let deepSeekCoder = PreTokenizer(rules: [.newline, .spaceAndLetters, .spaceAndPunctuation, .cjkRun, .eachDigit])
    static let deepSeekLLM = PreTokenizer(rules: [.newline, .spaceAndCasedLetters, .spaceAndDeepSeekPunctuation,
                                                  .trailingWhitespace, .cjkRun, .digitRun])
    static let tekken = PreTokenizer(rules: [.caseSplit(maxDigits: 1, contractions: false)],
                                     ignoresMerges: true, addsBOSByDefault: true)
    static let gpt4o = PreTokenizer(rules: [.caseSplit(maxDigits: 3, contractions: true)])

    /// Every `tokenizer.ggml.pre` name we accept, with its pre-tokenizer, grouped as llama.cpp
    /// maps them.
    static let byName: [(names: [String], preTokenizer: PreTokenizer)] = [
        (["default"], fallback),
        (["gpt-2", "phi-2", "mpt", "olmo", "jais", "exaone4", "mellum", "a.x-4.0", "trillion",
          "granite-docling"], gpt2),
        (["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"], llama3),
        (["dbrx", "smaug-bpe", "chatglm-bpe", "glm4"], llama3Expression),
        (["qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "hunyuan", "kormo", "f2llmv2", "solar-open"], qwen2),
        (["starcoder", "refact", "smollm", "command-r", "codeshell", "exaone", "minerva-7b", "mellum2"], starCoder),
        (["falcon"], falcon),
        (["deepseek-coder"], deepSeekCoder),
        (["deepseek-llm"], deepSeekLLM),
        (["tekken"], tekken),
        (["gpt-4o", "llama4", "kanana2", "minimax-m2"], gpt4o),
    ]

    static var supportedNames: [String] { byName.flatMap(\.names) }

    init?(name: String) {
        guard let entry = Self.byName.first(where: { $0.names.contains(name) }) else { return nil }
        self = entry.preTokenizer
    }

    /// Word boundaries as ranges of indices into `scalars`, in order, covering every scalar.
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(ScalarClass.init)
        var words = scalars.isEmpty ? [] : [0..<scalars.count]
        for rule in rules {
            var next: [Range<Int>] = []
            next.reserveCapacity(words.count * 2)
            for word in words { Self.search(rule, scalars, classes, in: word, into: &next) }
            words = next
        }
        return words
    }

    /// Cuts `word` at every match of `rule`, searched left to right; the text between matches
    /// becomes words too.
    private static func search(_ rule: SplitRule, _ scalars: [Unicode.Scalar], _ classes: [ScalarClass],
                               in word: Range<Int>, into words: inout [Range<Int>]) {
        var gapStart = word.lowerBound
        var p = word.lowerBound
        while p < word.upperBound {
            if let end = rule.match(scalars, classes, at: p, end: word.upperBound), end > p {
                if gapStart < p { words.append(gapStart..<p) }
                words.append(p..<end)
                p = end
                gapStart = end
            } else {
                p += 1
            }
        }
        if gapStart < word.upperBound { words.append(gapStart..<word.upperBound) }
    }
}
