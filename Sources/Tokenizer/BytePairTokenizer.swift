/// The byte-level BPE tokenizer of GGUF files with `tokenizer.ggml.model = gpt2` (Llama 3,
/// Qwen2, GPT-2), with the semantics of llama.cpp's `llm_tokenizer_bpe`:
///
/// 1. special tokens are cut out of the text (`SpecialTokenSplitter`);
/// 2. each remaining fragment is cut into words by the pre-tokenizer `tokenizer.ggml.pre` names;
/// 3. a word's bytes become symbols in GPT-2's byte alphabet (`ByteLevelAlphabet`); with
///    `ignore_merges` (Llama 3) a word that is itself a piece is emitted whole;
/// 4. adjacent symbols merge by the lowest merge rank, leftmost first, until no pair merges.
///
/// There is no space prefix and no `<0xNN>` byte fallback: every byte is a piece of its own.
public struct BytePairTokenizer: Tokenizer {
    public let vocabularySize: Int
    public let bosToken: Int32?
    public let eosToken: Int32?
    public let unknownToken: Int32?
    public let endOfGenerationTokens: Set<Int32>
    public let addsBOS: Bool
    public let addsEOS: Bool

    private let preTokenizer: PreTokenizer
    private let lookup: PieceLookup
    private let merges: MergeTable
    private let splitter: SpecialTokenSplitter
    private let pieces: PrintedPieces
    /// The piece standing for each single byte value, or -1 if the vocabulary lacks it.
    private let byteTokens: [Int32]
    /// UTF-8 of each byte's alphabet character, for whole-word lookups (`ignore_merges`).
    private let byteCharacters: [[UInt8]]

    /// `vocabulary.addBOS` must already reflect the pre-tokenizer's default when the file has no
    /// `tokenizer.ggml.add_bos_token` key (`TokenizerLoader` does this).
    public init(vocabulary: Vocabulary) throws(TokenizerError) {
        try vocabulary.validate()
        let name = vocabulary.preTokenizer ?? "default"
        guard let preTokenizer = PreTokenizer(name: name) else {
            throw .unknownPreTokenizer(source: vocabulary.source, name: name)
        }
        for (id, piece) in vocabulary.tokens.enumerated() where vocabulary.type(of: Int32(id)) == .byte {
            if byteTokenValue(piece) == nil {
                throw .badByteToken(source: vocabulary.source, id: Int32(id), piece: piece)
            }
        }
        self.preTokenizer = preTokenizer
        let lookup = try PieceLookup(pieces: vocabulary.tokens, source: vocabulary.source)
        self.lookup = lookup
        merges = try MergeTable(merges: vocabulary.merges, lookup: lookup, source: vocabulary.source)
        vocabularySize = vocabulary.count
        bosToken = vocabulary.bosToken
        eosToken = vocabulary.eosToken
        unknownToken = vocabulary.unknownToken
        endOfGenerationTokens = vocabulary.endOfGenerationTokens(lookup: lookup)
        addsBOS = vocabulary.addBOS
        addsEOS = vocabulary.addEOS
        splitter = SpecialTokenSplitter(vocabulary: vocabulary)
        byteCharacters = ByteLevelAlphabet.scalarForByte.map { Array(String($0).utf8) }
        byteTokens = byteCharacters.map { lookup.id(of: $0) ?? -1 }
        pieces = PrintedPieces(vocabulary: vocabulary) { bytes, _, type, piece in
            if type == .byte {
                bytes.append(byteTokenValue(piece)!)
            } else {
                ByteLevelAlphabet.decode(piece, into: &bytes)
            }
        }
    }

    public func token(forPiece piece: String) -> Int32? {
        lookup.id(of: piece)
    }

    public func pieceBytes(_ token: Int32, special: Bool) -> [UInt8] {
        pieces.bytes(of: token, special: special)
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var output: [Int32] = []
        if addSpecial && addsBOS, let bosToken { output.append(bosToken) }
        var text = text
        text.withUTF8 { utf8 in
            for fragment in splitter.split(utf8, parseSpecial: parseSpecial) {
                switch fragment {
                case .token(let id):
                    output.append(id)
                case .text(let range):
                    encodeFragment(UnsafeBufferPointer(rebasing: utf8[range]), into: &output)
                }
            }
        }
        if addSpecial && addsEOS, let eosToken { output.append(eosToken) }
        return output
    }

    private func encodeFragment(_ utf8: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        // Scalars and the byte offset each starts at (plus the end), so words map back to bytes.
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int] = []
        scalars.reserveCapacity(utf8.count)
        offsets.reserveCapacity(utf8.count + 1)
        var offset = 0
        var iterator = utf8.makeIterator()
        var decoder = UTF8()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
                offsets.append(offset)
                offset += UTF8.width(scalar)
            case .emptyInput:
                break decoding
            case .error:
                preconditionFailure("String.withUTF8 yields valid UTF-8")
            }
        }
        offsets.append(offset)
        var symbols: [Symbol] = []
        var queue = BinaryHeap<Bigram>()
        for word in preTokenizer.split(scalars) {
            let bytes = UnsafeBufferPointer(rebasing: utf8[offsets[word.lowerBound]..<offsets[word.upperBound]])
            mergeWord(bytes, symbols: &symbols, queue: &queue, into: &output)
        }
    }

    /// A symbol of the merge loop: the token it currently is, linked to its live neighbours.
    /// A symbol merged into its left neighbour is dead (`token == dead`).
    private struct Symbol {
        var token: Int32
        var previous: Int32
        var next: Int32
    }

    private static let dead: Int32 = -2

    /// A candidate merge; stale if either side is no longer the token it was when queued.
    private struct Bigram: Comparable {
        var rank: Int32
        var left: Int32
        var right: Int32
        var leftToken: Int32
        var rightToken: Int32
        var result: Int32

        /// "Merges first": lower rank, then the leftmost pair.
        static func < (a: Bigram, b: Bigram) -> Bool {
            a.rank < b.rank || (a.rank == b.rank && a.left < b.left)
        }
    }

    private func mergeWord(_ bytes: UnsafeBufferPointer<UInt8>, symbols: inout [Symbol],
                           queue: inout BinaryHeap<Bigram>, into output: inout [Int32]) {
        if preTokenizer.ignoresMerges {
            var characters: [UInt8] = []
            for byte in bytes { characters.append(contentsOf: byteCharacters[Int(byte)]) }
            if let whole = lookup.id(of: characters) {
                output.append(whole)
                return
            }
        }
        symbols.removeAll(keepingCapacity: true)
        for (index, byte) in bytes.enumerated() {
            symbols.append(Symbol(token: byteTokens[Int(byte)], previous: Int32(index) - 1,
                                  next: index + 1 == bytes.count ? -1 : Int32(index) + 1))
        }
        queue.removeAll()
        func tryAddBigram(_ left: Int32, _ right: Int32) {
            if left < 0 || right < 0 { return }
            let leftToken = symbols[Int(left)].token, rightToken = symbols[Int(right)].token
            if leftToken < 0 || rightToken < 0 { return }
            guard let merge = merges.merge(leftToken, rightToken) else { return }
            queue.push(Bigram(rank: merge.rank, left: left, right: right, leftToken: leftToken,
                              rightToken: rightToken, result: merge.result))
        }
        for right in symbols.indices.dropFirst() { tryAddBigram(Int32(right) - 1, Int32(right)) }

        while let bigram = queue.pop() {
            let left = Int(bigram.left), right = Int(bigram.right)
            if symbols[left].token != bigram.leftToken || symbols[right].token != bigram.rightToken
                || symbols[left].next != bigram.right {
                continue
            }
            symbols[left].token = bigram.result
            symbols[right].token = Self.dead
            symbols[left].next = symbols[right].next
            if symbols[right].next >= 0 { symbols[Int(symbols[right].next)].previous = bigram.left }
            tryAddBigram(symbols[left].previous, bigram.left)
            tryAddBigram(bigram.left, symbols[left].next)
        }

        var index: Int32 = 0
        while index >= 0 {
            let token = symbols[Int(index)].token
            if token >= 0 {
                output.append(token)
            } else if let unknownToken {
                output.append(unknownToken)
            }
            index = symbols[Int(index)].next
        }
    }
}
