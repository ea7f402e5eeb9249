import Dispatch
import Foundation

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
