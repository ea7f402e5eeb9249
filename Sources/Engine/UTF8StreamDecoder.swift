/// Turns a stream of token bytes into text as soon as the bytes form whole UTF-8 characters.
///
/// A token's bytes are not always valid UTF-8 on their own (byte-fallback tokens split one
/// character over several tokens), so an incomplete character at the end is held back until
/// the rest arrives. Invalid bytes become U+FFFD.
///
/// Stand-in until the Tokenizer module's `StreamingDetokenizer` lands; it knows nothing about
/// the vocabulary, so it cannot undo tokenizer-specific spacing.
struct UTF8StreamDecoder {
    /// Bytes of a character still incomplete (at most 3).
    private var pending: [UInt8] = []

    /// Appends `bytes` and returns the text they complete.
    mutating func decode(_ bytes: [UInt8]) -> String {
        pending.append(contentsOf: bytes)
        let complete = Self.completeLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is left, with an unfinished character replaced by U+FFFD.
    mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the longest prefix that does not end inside a character that could
    /// still be completed by more bytes.
    private static func completeLength(_ bytes: [UInt8]) -> Int {
        // Look back at most 3 bytes for the lead byte of the last character.
        var i = bytes.count - 1
        let stop = Swift.max(0, bytes.count - 4)
        while i >= stop {
            let byte = bytes[i]
            if byte & 0xC0 != 0x80 { // not a continuation byte
                let expected = byte >= 0xF0 && byte <= 0xF4 ? 4 : byte >= 0xE0 && byte < 0xF0 ? 3
                    : byte >= 0xC2 && byte < 0xE0 ? 2 : 1
                return bytes.count - i < expected ? i : bytes.count
            }
            i -= 1
        }
        return bytes.count
    }
}
