/// One job of a `BatchSubmission`, as the queue stores it. The queue does not read `request`:
/// the request format that produced it reads it back when the job runs or is shown, so a
/// second store backend stores the same text.
public struct SubmittedJob: Sendable, Equatable {
    /// Line of the submitted file, from 1.
    public var line: Int
    public var customID: String
    public var kind: JobKind
    /// The validated request in its stored form (the request format's canonical JSON). Its
    /// SHA-256 is the job's `requestHash`.
    public var request: String

    public init(line: Int, customID: String, kind: JobKind, request: String) {
        self.line = line
        self.customID = customID
        self.kind = kind
        self.request = request
    }
}
