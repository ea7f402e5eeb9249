import Dispatch
import Foundation
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

/// Turns SIGTERM and SIGINT into shutdown requests. The signals' default action (exit at once)
/// is replaced, so the daemon can release its jobs; keep the returned value alive.
public final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    public init(_ shutdown: ShutdownRequest, onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) {
        let queue = DispatchQueue(label: "jobsd.signals")
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                // Signals arriving together are coalesced into one event; `data` counts them.
                // (The handler holds its source until `deinit` cancels it.)
                for _ in 0..<max(1, Int(source.data)) {
                    onSignal(number)
                    shutdown.request()
                }
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
