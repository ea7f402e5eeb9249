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
    public var kind: JobKind
    /// The request as submitted (`SubmittedJob.request`), for the request format to read.
    public var request: String
    /// SHA-256 of `request`, for `JobStore.findReusableResult`.
    public var requestHash: String
    public var leaseExpiresAt: Date

    public init(id: Int64, batchID: Int64, batchName: String, customID: String, priority: Int, attempt: Int,
                maxAttempts: Int, kind: JobKind, request: String, requestHash: String, leaseExpiresAt: Date) {
        self.id = id
        self.batchID = batchID
        self.batchName = batchName
        self.customID = customID
        self.priority = priority
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.kind = kind
        self.request = request
        self.requestHash = requestHash
        self.leaseExpiresAt = leaseExpiresAt
    }
}
