import Tokenizer

/// One row of the family registry (`ArchitectureRegistry.table`): what the rest of the program,
/// and a reader, asks about a model family, declared in the family's own file beside its forward
/// pass. The README's model-family table is these rows.
struct FamilyFacts: Sendable {
    /// `general.architecture` values the family handles.
    let names: [String]
    /// Models released under these names, for messages and the README.
    let models: String
    /// The chat format for a file that has no `tokenizer.chat_template`, given its vocabulary;
    /// nil when chat jobs need a template.
    let chatFormat: @Sendable (any Tokenizer) -> ChatFormat?
    /// The attention block, feed-forward, rotary embedding and output head, in a few words.
    let attention: String
    let feedForward: String
    let rope: String
    let outputHead: String
}
