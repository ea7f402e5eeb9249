import JobStore

// JobStore, Engine and Tokenizer each define a `FinishReason` or a `ChatMessage`, and a module
// name cannot qualify them (the modules `JobStore` and `Engine` also have a type of that
// name). The daemon translates between the two sides, so it names the store's types through
// these aliases, declared where only the store is imported.

/// `JobStore.FinishReason`: how a stored result ended.
typealias StoredFinishReason = FinishReason
/// `JobStore.ChatMessage`: one message of a chat job as submitted.
typealias StoredChatMessage = ChatMessage
