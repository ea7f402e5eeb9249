import Dispatch
import Synchronization

/// How a stop reaches the daemon's loop from another thread (a signal handler, a test): the
/// number of requests so far, and a wake-up for the loop's idle wait.
///
/// First request: stop claiming, let in-flight jobs finish within the grace period, then
/// release the rest. Second request: release at once.
public final class ShutdownRequest: Sendable {
    private let requests = Atomic<Int>(0)
    private let wake = DispatchSemaphore(value: 0)

    public init() {}

    public func request() {
        requests.add(1, ordering: .sequentiallyConsistent)
        wake.signal()
    }

    public var count: Int { requests.load(ordering: .sequentiallyConsistent) }

    /// Sleeps up to `seconds`, returning early on a request.
    func wait(seconds: Double) {
        guard seconds > 0 else { return }
        _ = wake.wait(timeout: .now() + .nanoseconds(Int(seconds * 1e9)))
    }
}
