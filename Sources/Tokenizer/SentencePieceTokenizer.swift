/// The SentencePiece-style tokenizer of GGUF files with `tokenizer.ggml.model = llama`
/// (Gemma, Llama 2), with the semantics of llama.cpp's `llm_tokenizer_spm`:
///
/// 1. special tokens are cut out of the text (`SpecialTokenSplitter`);
/// 2. each remaining fragment gets a leading space if `addSpacePrefix` and it starts the text
///    or follows a special token, and every ' ' becomes '▁' (U+2581);
/// 3. the fragment is split into UTF-8 characters, and adjacent pairs whose concatenation is a
///    vocabulary piece are merged, highest score first (ties: leftmost first);
/// 4. each final symbol becomes its token, or its bytes as `<0xNN>` tokens when it is not a piece.
///
/// Not a full SentencePiece (no normalisation, no unigram model): GGUF files carry what this needs.
public struct SentencePieceTokenizer: Tokenizer {
    public let vocabularySize: Int
    public let bosToken: Int32?
    public let eosToken: Int32?
    public let unknownToken: Int32?
    public let endOfGenerationTokens: Set<Int32>
    public let addsBOS: Bool
    public let addsEOS: Bool
    public let addsSpacePrefix: Bool

    private let lookup: PieceLookup
    private let scores: [Float]
    private let splitter: SpecialTokenSplitter
    private let pieces: PrintedPieces
    /// Token for each byte value when a symbol is not a piece: `<0xNN>`, else the one-byte piece,
    /// else the unknown token, else -1 (the byte is dropped).
    private let byteTokens: [Int32]

    public init(vocabulary: Vocabulary) throws(TokenizerError) {
        try vocabulary.validate()
        for (id, piece) in vocabulary.tokens.enumerated() where vocabulary.type(of: Int32(id)) == .byte {
            if byteTokenValue(piece) == nil {
                throw .badByteToken(source: vocabulary.source, id: Int32(id), piece: piece)
            }
        }
        let lookup = try PieceLookup(pieces: vocabulary.tokens, source: vocabulary.source)
        self.lookup = lookup
        vocabularySize = vocabulary.count
        bosToken = vocabulary.bosToken
        eosToken = vocabulary.eosToken
        unknownToken = vocabulary.unknownToken
        endOfGenerationTokens = vocabulary.endOfGenerationTokens(lookup: lookup)
        addsBOS = vocabulary.addBOS
        addsEOS = vocabulary.addEOS
        addsSpacePrefix = vocabulary.addSpacePrefix
        scores = vocabulary.scores.isEmpty ? [Float](repeating: 0, count: vocabulary.count) : vocabulary.scores
        splitter = SpecialTokenSplitter(vocabulary: vocabulary)
        byteTokens = (0..<256).map { value in
            let hex = String(value, radix: 16, uppercase: true)
            if let id = lookup.id(of: "<0x" + (value < 16 ? "0" : "") + hex + ">") { return id }
            if value < 0x80, let id = lookup.id(of: [UInt8(value)]) { return id }
            return vocabulary.unknownToken ?? -1
        }
        pieces = PrintedPieces(vocabulary: vocabulary) { bytes, _, type, piece in
            if type == .byte {
                bytes.append(byteTokenValue(piece)!)
                return
            }
            var piece = piece
            piece.withUTF8 { utf8 in
                var index = 0
                while index < utf8.count {
                    if utf8[index] == 0xE2 && index + 2 < utf8.count && utf8[index + 1] == 0x96 && utf8[index + 2] == 0x81 {
                        bytes.append(UInt8(ascii: " "))
                        index += 3
                    } else {
                        bytes.append(utf8[index])
                        index += 1
                    }
                }
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
            var previousWasSpecial = true
            var fragmentBytes: [UInt8] = []
            for fragment in splitter.split(utf8, parseSpecial: parseSpecial) {
                switch fragment {
                case .token(let id):
                    output.append(id)
                    previousWasSpecial = true
                case .text(let range):
                    fragmentBytes.removeAll(keepingCapacity: true)
                    if addsSpacePrefix && previousWasSpecial { fragmentBytes.append(contentsOf: spaceMarker) }
                    for byte in utf8[range] {
                        if byte == UInt8(ascii: " ") {
                            fragmentBytes.append(contentsOf: spaceMarker)
                        } else {
                            fragmentBytes.append(byte)
                        }
                    }
                    fragmentBytes.withUnsafeBufferPointer { mergeFragment($0, into: &output) }
                    previousWasSpecial = false
                }
            }
        }
        if addSpecial && addsEOS, let eosToken { output.append(eosToken) }
        return output
    }

    /// One symbol of the merge loop: a byte range of the fragment, linked to its live neighbours.
    /// A symbol merged into its left neighbour has `length == 0`.
    private struct Symbol {
        var start: Int32
        var length: Int32
        var previous: Int32
        var next: Int32
    }

    /// A candidate merge of two adjacent symbols. `size` is their combined byte length when the
    /// candidate was made: if either side has changed since, the candidate is stale.
    private struct Bigram: Comparable {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32

        /// "Merges first": higher score, then the leftmost pair.
        static func < (a: Bigram, b: Bigram) -> Bool {
            a.score > b.score || (a.score == b.score && a.left < b.left)
        }
    }

    private func mergeFragment(_ text: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if text.isEmpty { return }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(text.count)
        var offset = 0
        while offset < text.count {
            let length = min(utf8SequenceLength(text[offset]), text.count - offset)
            let index = Int32(symbols.count)
            symbols.append(Symbol(start: Int32(offset), length: Int32(length), previous: index - 1,
                                  next: offset + length == text.count ? -1 : index + 1))
            offset += length
        }

        var queue = BinaryHeap<Bigram>()
        symbols.withUnsafeMutableBufferPointer { symbols in
            func tryAddBigram(_ left: Int32, _ right: Int32) {
                if left < 0 || right < 0 { return }
                let start = Int(symbols[Int(left)].start)
                let size = Int(symbols[Int(left)].length + symbols[Int(right)].length)
                guard let id = lookup.id(of: UnsafeBufferPointer(rebasing: text[start..<start + size])) else { return }
                queue.push(Bigram(score: scores[Int(id)], left: left, right: right, size: Int32(size)))
            }

            for right in 1..<Int32(symbols.count) { tryAddBigram(right - 1, right) }

            while let bigram = queue.pop() {
                let left = Int(bigram.left), right = Int(bigram.right)
                if symbols[left].length == 0 || symbols[right].length == 0
                    || symbols[left].length + symbols[right].length != bigram.size {
                    continue
                }
                symbols[left].length += symbols[right].length
                symbols[right].length = 0
                symbols[left].next = symbols[right].next
                if symbols[right].next >= 0 { symbols[Int(symbols[right].next)].previous = bigram.left }
                tryAddBigram(symbols[left].previous, bigram.left)
                tryAddBigram(bigram.left, symbols[left].next)
            }

            var index: Int32 = 0
            while index >= 0 {
                let symbol = symbols[Int(index)]
                let range = Int(symbol.start)..<Int(symbol.start + symbol.length)
                if let id = lookup.id(of: UnsafeBufferPointer(rebasing: text[range])) {
                    output.append(id)
                } else {
                    for byte in text[range] where byteTokens[Int(byte)] >= 0 {
                        output.append(byteTokens[Int(byte)])
                    }
                }
                index = symbol.next
            }
        }
    }
}

/// "▁" (U+2581), SentencePiece's visible space.
let spaceMarker: [UInt8] = [0xE2, 0x96, 0x81]

/// Length of the UTF-8 sequence a byte starts; stray continuation bytes count as one.
@inline(__always)
func utf8SequenceLength(_ lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: return 2
    case 0xE: return 3
    case 0xF: return 4
    default: return 1
    }
}
