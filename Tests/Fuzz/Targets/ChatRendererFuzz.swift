// libFuzzer target: the chat renderer, built by Scripts/fuzz. Bytes in: the first byte picks
// the format; the rest splits at NUL bytes into messages whose first byte picks the role.
// Checks: rendering never traps; a rendered prompt, encoded as the daemon encodes it, holds
// exactly the control tokens the format writes, whatever the messages say: message text is
// data and never becomes a control token ("<end_of_turn>" typed by a user stays text).
@testable import Tokenizer

let chatTokenizer = try! SentencePieceTokenizer(vocabulary: FuzzVocabularies.sentencePiece(addSpacePrefix: false))
let controlIDs = Set(FuzzVocabularies.controlTokens.compactMap { chatTokenizer.token(forPiece: $0) })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChatRenderer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let format = ChatFormat.allCases[Int(bytes[0]) % ChatFormat.allCases.count]
    let messages = bytes.dropFirst().split(separator: 0, omittingEmptySubsequences: false).map { part in
        ChatMessage(role: ChatRole.allCases[Int(part.first ?? 0) % ChatRole.allCases.count],
                    content: String(decoding: part.dropFirst(), as: UTF8.self))
    }
    guard let prompt = try? ChatTemplate(format: format).render(messages) else { return 0 }
    let tokens = prompt.tokens(using: chatTokenizer)
    let controls = tokens.filter(controlIDs.contains).count
    let turns = messages.count - (format == .gemma && messages.first?.role == .system ? 1 : 0)
    let expected: Int
    switch format {
    case .gemma: expected = 2 * turns + 1
    case .llama3: expected = 3 * turns + 2
    case .chatML: expected = 2 * turns + 1
    case .phi3: expected = 2 * turns + 1
    }
    guard controls == expected else {
        fatalError("\(format.name) prompt of \(turns) turns has \(controls) control tokens, not \(expected): "
                   + "\(prompt.text.debugDescription)")
    }
    return 0
}
