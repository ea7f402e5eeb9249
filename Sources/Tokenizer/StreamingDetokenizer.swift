/// Turns generated tokens into text one token at a time without ever emitting half a character.
///
/// A token's bytes need not be valid UTF-8 on their own: an emoji may arrive as four `<0xNN>`
/// byte tokens, or a BPE piece may end inside a character. `append` returns the text completed so
/// far and holds back a trailing incomplete (but so far valid) UTF-8 sequence until the next
/// token completes it. Bytes that can never become valid UTF-8 are emitted at once as U+FFFD;
/// `flush()` ends the stream, turning anything still held back into U+FFFD.
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: any Tokenizer
    private let special: Bool
    /// Bytes received but not yet emitted: at most one incomplete UTF-8 sequence (≤ 3 bytes).
    private var pending: [UInt8] = []

    /// `special` prints control tokens (`<end_of_turn>`) instead of dropping them.
    public init(tokenizer: any Tokenizer, special: Bool = false) {
        self.tokenizer = tokenizer
        self.special = special
    }

    /// The text this token completes (possibly empty).
    public mutating func append(_ token: Int32) -> String {
        pending.append(contentsOf: tokenizer.pieceBytes(token, special: special))
        let cut = incompleteTailStart(pending)
        if cut == 0 { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Whatever is still held back, with incomplete sequences as U+FFFD; resets the stream.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }
}

/// Where a trailing UTF-8 sequence that is incomplete but could still become valid begins, or
/// `bytes.count` if the bytes do not end in one.
func incompleteTailStart(_ bytes: [UInt8]) -> Int {
    // A sequence is at most 4 bytes, so its lead byte is among the last 3 if it is incomplete.
    var lead = bytes.count - 1
    while lead >= 0 && lead >= bytes.count - 3 && bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
    guard lead >= 0, lead >= bytes.count - 3 else { return bytes.count }
    let first = bytes[lead]
    let needed: Int
    var secondRange: ClosedRange<UInt8> = 0x80...0xBF
    switch first {
    case 0xC2...0xDF: needed = 2
    case 0xE0: needed = 3; secondRange = 0xA0...0xBF  // no overlong forms
    case 0xED: needed = 3; secondRange = 0x80...0x9F  // no surrogates
    case 0xE1...0xEC, 0xEE...0xEF: needed = 3
    case 0xF0: needed = 4; secondRange = 0x90...0xBF
    case 0xF1...0xF3: needed = 4
    case 0xF4: needed = 4; secondRange = 0x80...0x8F  // nothing above U+10FFFF
    default: return bytes.count  // ASCII or a byte that never starts a sequence
    }
    let have = bytes.count - lead
    if have >= needed { return bytes.count }
    if have >= 2 && !secondRange.contains(bytes[lead + 1]) { return bytes.count }
    return lead
}
