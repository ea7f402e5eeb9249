import Foundation
import StructuredOutput

/// Compiled output formats by schema (`OutputFormat.cacheKey`): a nightly file repeats one
/// schema thousands of times, and one compiled format keeps its grammar states and token masks
/// for every job that uses it. At most `capacity` formats are kept; the oldest goes first.
public final class OutputFormatCache: @unchecked Sendable {
    public static let capacity = 16
    private let lock = NSLock()
    private var formats: [String: CompiledOutputFormat] = [:]
    private var order: [String] = []

    public init() {}

    public func compiled(_ format: OutputFormat) throws(SchemaError) -> CompiledOutputFormat {
        let key = format.cacheKey
        if let known = lock.withLock({ formats[key] }) { return known }
        let compiled = try format.compile()
        lock.withLock {
            if formats[key] == nil {
                if order.count >= Self.capacity { formats[order.removeFirst()] = nil }
                formats[key] = compiled
                order.append(key)
            }
        }
        return lock.withLock { formats[key]! }
    }
}
