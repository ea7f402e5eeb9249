import Engine
import Tokenizer

// The engine's and the tokenizer's halves of the aliases in StoreNames.swift.

/// `Engine.FinishReason`: why a sequence stopped.
typealias EngineFinishReason = FinishReason
/// `Tokenizer.ChatMessage`: one message as a chat template renders it.
typealias TemplateChatMessage = ChatMessage
