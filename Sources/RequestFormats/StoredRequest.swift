import JobStore

// The queue stores a request as the text `JobRequest.canonicalJSON` gives and never reads it;
// these are the two directions between that text and `JobRequest`, next to the format that
// defines it.

extension ParsedJob {
    /// The job as the queue stores it.
    public var submittedJob: SubmittedJob {
        SubmittedJob(line: line, customID: customID, kind: request.kind, request: request.canonicalJSON)
    }
}

extension BatchSubmission {
    /// A submission of parsed lines (see the memberwise initializer for the other fields).
    public init(name: String?, source: String, sha256: String, priority: Int = 0,
                maxAttempts: Int = BatchSubmission.defaultMaxAttempts, jobs: [ParsedJob],
                skippedLineCount: Int = 0) {
        self.init(name: name, source: source, sha256: sha256, priority: priority, maxAttempts: maxAttempts,
                  jobs: jobs.map(\.submittedJob), skippedLineCount: skippedLineCount)
    }
}

extension ClaimedJob {
    /// The stored request read back. Fails with `JobStoreError.corruptRequest` only when the
    /// database was edited by hand.
    public func decodedRequest() throws -> JobRequest {
        try JobRequest(canonicalJSON: request)
    }
}

extension JobRecord {
    /// The stored request read back. Fails with `JobStoreError.corruptRequest` only when the
    /// database was edited by hand.
    public func decodedRequest() throws -> JobRequest {
        try JobRequest(canonicalJSON: request)
    }
}
