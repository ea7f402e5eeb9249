import Foundation
import JobStore

/// Opens the daemon's database (creating it when missing), waiting as long as it takes while
/// another process holds the lock: a new file's migrations need the write lock, and a daemon
/// started while `jobs submit` writes a large batch must not exit for it. Other problems (a
/// damaged file, a file from a newer `jobs`, a missing folder) are thrown at once.
public enum StoreOpener {
    /// Returns nil when a shutdown was requested while waiting. `busyTimeout` is each
    /// attempt's wait for the lock (seconds); between attempts the daemon sleeps 0.25 s,
    /// doubling to 5 s, and logs `store_error` (the first time and every 30 s).
    public static func open(path: String, busyTimeout: TimeInterval, logger: Logger,
                            shutdown: ShutdownRequest) throws -> JobStore? {
        var retry = StoreRetry(initial: 0.25, maximum: 5)
        let action = "open the database"
        while shutdown.count == 0 {
            let now = MonotonicClock.now()
            do {
                let store = try JobStore(path: path, createIfMissing: true, busyTimeout: busyTimeout)
                if let waited = retry.succeeded(at: now) {
                    logger.info("store_recovered", ("action", action), ("waited_seconds", waited))
                }
                return store
            } catch let error as JobStoreError {
                guard case .sqlite(let sqlite) = error, sqlite.isBusy else { throw error }
                if retry.failed(at: now) {
                    logger.warn("store_error", ("action", action), ("error", "\(error)"),
                                ("waited_seconds", retry.waited(now)), ("retry_in", retry.delay))
                }
                shutdown.wait(seconds: retry.delay)
            }
        }
        return nil
    }
}
