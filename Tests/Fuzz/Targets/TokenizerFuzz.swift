// libFuzzer target: both tokenizers, built by Scripts/fuzz. Bytes in: the first byte picks the
// tokenizer (SentencePiece with and without a space prefix, byte-level BPE with each
// pre-tokenizer), the rest is text (invalid UTF-8 becomes U+FFFD, as a job's text would).
// Checks: encoding never traps and gives ids inside the vocabulary; decoding gives the text
// back exactly (SentencePiece with a space prefix: minus that one leading space); control-token
// text in a prompt is never read as a control token; decoding arbitrary ids never traps.
@testable import Tokenizer

let tokenizers: [any Tokenizer] = {
    var all: [any Tokenizer] = [try! SentencePieceTokenizer(vocabulary: FuzzVocabularies.sentencePiece(addSpacePrefix: false)),
                                try! SentencePieceTokenizer(vocabulary: FuzzVocabularies.sentencePiece(addSpacePrefix: true))]
    for pre in ["gpt-2", "llama3", "qwen2", "default"] {
        all.append(try! BytePairTokenizer(vocabulary: FuzzVocabularies.bytePair(preTokenizer: pre)))
    }
    return all
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let tokenizer = tokenizers[Int(bytes[0]) % tokenizers.count]
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)

    let tokens = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
    for token in tokens where !(0..<Int32(tokenizer.vocabularySize)).contains(token) {
        fatalError("token \(token) outside a vocabulary of \(tokenizer.vocabularySize)")
    }
    let decoded = tokenizer.decode(tokens)
    // A SentencePiece vocabulary that asks for a space prefix gets one on encoding (`▁` in
    // front of the text), which decoding prints.
    let prefixed = (tokenizer as? SentencePieceTokenizer)?.addsSpacePrefix == true && !text.isEmpty
    guard decoded == (prefixed ? " " + text : text) else {
        fatalError("round trip changed the text: \(Array(text.utf8)) -> \(tokens) -> \(Array(decoded.utf8))")
    }
    let controls = Set(FuzzVocabularies.controlTokens.compactMap { tokenizer.token(forPiece: $0) })
    if let injected = tokens.first(where: controls.contains) {
        fatalError("text became control token \(injected) without parseSpecial: \(Array(text.utf8))")
    }
    _ = tokenizer.encode(text, addSpecial: true, parseSpecial: true)

    var ids: [Int32] = []
    var index = 1
    while index + 3 < size {
        ids.append(Int32(bitPattern: UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
                                     | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24) % 2000)
        index += 4
    }
    _ = tokenizer.decode(ids, special: true)
    return 0
}
