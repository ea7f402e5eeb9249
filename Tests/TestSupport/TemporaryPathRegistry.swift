import Foundation
import Synchronization

/// Test directories not removed yet, removed when the test process exits.
///
/// XCTest keeps every test case object until the process ends, so a directory held by a test
/// case's property never reaches its `deinit`; without this registry each `swift test` left
/// dozens of directories (tiny models and databases) in the temporary folder.
enum TemporaryPathRegistry {
    private static let paths = Mutex<Set<String>>([])
    private static let exitHook: Void = { atexit { TemporaryPathRegistry.removeAll() } }()

    /// Removes `path` (and everything in it) when the process exits, unless `remove` did first.
    static func register(_ path: String) {
        _ = exitHook
        paths.withLock { _ = $0.insert(path) }
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        paths.withLock { _ = $0.remove(path) }
    }

    private static func removeAll() {
        let all = paths.withLock { paths in
            defer { paths = [] }
            return paths
        }
        for path in all { try? FileManager.default.removeItem(atPath: path) }
    }
}
