/// Which generation a job asks for, as the `jobs.kind` column records it: the queue counts and
/// filters by it without reading the request.
public enum JobKind: String, Sendable, CaseIterable {
    /// Continue a prompt as plain text (`/v1/completions`).
    case completion
    /// Answer a conversation through the model's chat template (`/v1/chat/completions`,
    /// `/v1/responses`).
    case chat
}
