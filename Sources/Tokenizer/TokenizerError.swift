import GGUF

/// Everything that can go wrong while building a tokenizer from a vocabulary or rendering a chat
/// prompt. `source` names the model file (or the test vocabulary) so messages say where to look.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedModel(source: String, name: String)
    case unknownPreTokenizer(source: String, name: String)
    case emptyVocabulary(source: String)
    case lengthMismatch(source: String, key: String, expected: Int, found: Int)
    case duplicateToken(source: String, piece: String, firstID: Int32, secondID: Int32)
    case badMerge(source: String, index: Int, line: String)
    case badByteToken(source: String, id: Int32, piece: String)
    case specialTokenOutOfRange(source: String, key: String, id: Int64, vocabularySize: Int)
    case missingSpecialToken(source: String, flagKey: String, idKey: String)
    case unknownChatTemplate(source: String, firstLine: String)
    case noChatTemplate(source: String, architecture: String)
    case emptyConversation
    case systemMessageNotFirst(index: Int)
    case rolesMustAlternate(index: Int, expected: ChatRole, found: ChatRole)

    public var description: String {
        switch self {
        case .unsupportedModel(let source, let name):
            return "\(source): \(GGUFKey.tokenizerModel) '\(name)' is not supported; supported: "
                + "llama (SentencePiece-style), gpt2 (byte-level BPE)"
        case .unknownPreTokenizer(let source, let name):
            return "\(source): pre-tokenizer (\(GGUFKey.tokenizerPre)) '\(name)' is not supported; supported: "
                + PreTokenizer.supportedNames.joined(separator: ", ")
        case .emptyVocabulary(let source):
            return "\(source): the vocabulary (\(GGUFKey.tokens)) is empty"
        case .lengthMismatch(let source, let key, let expected, let found):
            return "\(source): '\(key)' has \(found) entries but the vocabulary has \(expected) tokens; "
                + "the file's tokenizer arrays must have one entry per token"
        case .duplicateToken(let source, let piece, let firstID, let secondID):
            return "\(source): token '\(piece)' appears twice in the vocabulary (ids \(firstID) and \(secondID))"
        case .badMerge(let source, let index, let line):
            return "\(source): \(GGUFKey.merges)[\(index)] = '\(line)' is not two pieces separated by a space"
        case .badByteToken(let source, let id, let piece):
            return "\(source): token \(id) '\(piece)' has type BYTE but is not of the form <0xNN>"
        case .specialTokenOutOfRange(let source, let key, let id, let vocabularySize):
            return "\(source): \(key) = \(id) is outside the vocabulary (\(vocabularySize) tokens)"
        case .missingSpecialToken(let source, let flagKey, let idKey):
            return "\(source): \(flagKey) is true but \(idKey) is not set"
        case .unknownChatTemplate(let source, let firstLine):
            return "\(source): chat template not recognised (first line: \(firstLine)); "
                + "supported: " + ChatFormat.allCases.map(\.name).joined(separator: ", ")
        case .noChatTemplate(let source, let architecture):
            return "\(source): no chat template in the file and no known turn format for architecture "
                + "'\(architecture)'; use a model with \(GGUFKey.chatTemplate), or plain completion jobs"
        case .emptyConversation:
            return "chat job has no messages"
        case .systemMessageNotFirst(let index):
            return "messages[\(index)] is a system message; only the first message may be a system message"
        case .rolesMustAlternate(let index, let expected, let found):
            return "messages[\(index)] has role '\(found.rawValue)' but '\(expected.rawValue)' was expected; "
                + "after an optional system message, roles must alternate user/assistant/user/..."
        }
    }
}
