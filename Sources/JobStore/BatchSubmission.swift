import Foundation

/// A validated batch file, ready to insert: all of it goes in one transaction, or none.
public struct BatchSubmission: Sendable {
    /// The requested name; nil derives one from `source` (`prompts.jsonl` → `prompts`,
    /// then `prompts-2`, ... when taken).
    public var name: String?
    /// The submitted path, or `-` for standard input.
    public var source: String
    /// SHA-256 (hex) of the file's bytes: the same content is not inserted again under the same
    /// name, or when no name is given (`JobStore.earlierSubmission`).
    public var sha256: String
    public var priority: Int
    public var maxAttempts: Int
    public var jobs: [SubmittedJob]
    /// Invalid lines left out (`--skip-invalid`), recorded on the batch.
    public var skippedLineCount: Int

    public static let defaultMaxAttempts = 3

    public init(name: String?, source: String, sha256: String, priority: Int = 0,
                maxAttempts: Int = BatchSubmission.defaultMaxAttempts, jobs: [SubmittedJob],
                skippedLineCount: Int = 0) {
        precondition(maxAttempts > 0, "maxAttempts must be positive")
        self.name = name
        self.source = source
        self.sha256 = sha256
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.jobs = jobs
        self.skippedLineCount = skippedLineCount
    }

    /// SHA-256 (hex) of a file's bytes, as `sha256` expects.
    public static func digest(of bytes: UnsafeBufferPointer<UInt8>) -> String {
        SHA256.hex(bytes)
    }
}

public enum SubmitOutcome: Sendable, Equatable {
    case inserted(BatchInfo)
    /// The submission repeats this batch (`JobStore.earlierSubmission`); nothing was inserted.
    case alreadySubmitted(BatchInfo)
}

/// A submitted file as recorded.
public struct BatchInfo: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var source: String
    public var sha256: String
    public var createdAt: Date
    public var jobCount: Int
    public var skippedCount: Int

    init(id: Int64, name: String, source: String, sha256: String, createdAt: Date, jobCount: Int,
         skippedCount: Int) {
        self.id = id
        self.name = name
        self.source = source
        self.sha256 = sha256
        self.createdAt = createdAt
        self.jobCount = jobCount
        self.skippedCount = skippedCount
    }

    static let selectColumns = "b.id, b.name, b.source, b.sha256, b.created_at, b.job_count, b.skipped_count"

    init(row: Statement, from column: Int32 = 0) {
        id = row.int64(column)
        name = row.string(column + 1)
        source = row.string(column + 2)
        sha256 = row.string(column + 3)
        createdAt = Date(timeIntervalSince1970: row.double(column + 4))
        jobCount = row.int(column + 5)
        skippedCount = row.int(column + 6)
    }
}
