import Foundation
import GGUF
import Tokenizer

/// Everything one GGUF file provides for generation: the decoder, its tokenizer and its chat
/// format, loaded from a single open of the file.
public struct LoadedModel: Sendable {
    public let model: TransformerModel
    public let tokenizer: any Tokenizer
    /// How chat jobs are rendered; nil when the file's template is not one we know
    /// (`chatTemplateProblem` says why, and chat jobs fail with that message).
    public let chatTemplate: ChatTemplate?
    public let chatTemplateProblem: String?
    /// `general.name`, else the file name.
    public let name: String
    /// Tells this file's weights and vocabulary apart from any other's (`name`, size and
    /// `GGUFFile.fingerprint`): state saved with one model is only used with the same one.
    public let identity: String

    public init(path: String, activations: MatrixActivations = .default) throws {
        let file = try GGUFFile(path: path)
        model = try TransformerModel(file: file, activations: activations)
        tokenizer = try TokenizerLoader.load(from: file)
        do {
            chatTemplate = try ChatTemplate.detect(
                in: file, fallback: ArchitectureRegistry.defaultChatFormat(architecture: file.architecture, tokenizer: tokenizer))
            chatTemplateProblem = nil
        } catch {
            chatTemplate = nil
            chatTemplateProblem = "\(error)"
        }
        name = model.configuration.name ?? URL(fileURLWithPath: path).lastPathComponent
        identity = "\(name); \(file.fileSize) bytes; fnv1a64 \(file.fingerprint)"
    }
}
