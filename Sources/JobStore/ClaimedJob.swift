import Foundation

/// A job a daemon holds a lease on: everything it needs to run it.
public struct ClaimedJob: Sendable, Equatable {
    public var id: Int64
    public var batchID: Int64
    /// The batch's name, for logs.
    public var batchName: String
    public var customID: String
    public var priority: Int
    /// This attempt's number, from 1.
    public var attempt: Int
    public var maxAttempts: Int
    public var request: JobRequest
    /// SHA-256 of the request's canonical JSON, for `JobStore.findReusableResult`.
    public var requestHash: String
    public var leaseExpiresAt: Date
    /// Where an earlier attempt's generation stood (token-level resume); nil when there is none.
    public var checkpoint: JobCheckpoint?

    public init(id: Int64, batchID: Int64, batchName: String, customID: String, priority: Int, attempt: Int,
                maxAttempts: Int, request: JobRequest, requestHash: String, leaseExpiresAt: Date,
                checkpoint: JobCheckpoint? = nil) {
        self.checkpoint = checkpoint
        self.id = id
        self.batchID = batchID
        self.batchName = batchName
        self.customID = customID
        self.priority = priority
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.request = request
        self.requestHash = requestHash
        self.leaseExpiresAt = leaseExpiresAt
    }
}
