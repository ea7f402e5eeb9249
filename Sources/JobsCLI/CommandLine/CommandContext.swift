import CommandLineKit
import Foundation
import JobStore

/// What a running command may use: the console, the environment, the database and the clock.
final class CommandContext {
    let console: Console
    let environment: [String: String]
    let clock: CommandClock
    /// The `--db` option, when given.
    let databaseOption: String?
    /// The `--busy-timeout` option, when given.
    let busyTimeoutOption: String?

    init(console: Console, environment: [String: String], clock: CommandClock, databaseOption: String?,
         busyTimeoutOption: String? = nil) {
        self.console = console
        self.environment = environment
        self.clock = clock
        self.databaseOption = databaseOption
        self.busyTimeoutOption = busyTimeoutOption
    }

    var output: TextOutput { console.output }
    var errors: TextOutput { console.errors }

    func databasePath() throws -> String {
        try DatabaseLocation.resolve(option: databaseOption, environment: environment).path
    }

    /// Opens the database to change it, waiting up to the busy timeout for each lock. Only
    /// commands that add jobs create it; the others report a missing file (usually a wrong
    /// --db or JOBS_DB) rather than silently showing an empty queue.
    func openStore(create: Bool = false) throws -> JobStore {
        let location = try DatabaseLocation.resolve(option: databaseOption, environment: environment)
        if create, location.isDefault { try DatabaseLocation.createFolder(for: location.path) }
        return try JobStore(path: location.path, createIfMissing: create, busyTimeout: busyTimeout())
    }

    /// Opens the database for queries only: a writer holding the lock never stops them, and
    /// they work on a read-only file, folder or mount.
    func openStoreForReading() throws -> JobStore {
        let location = try DatabaseLocation.resolve(option: databaseOption, environment: environment)
        return try JobStore(path: location.path, createIfMissing: false, access: .readOnly,
                            busyTimeout: busyTimeout())
    }

    func busyTimeout() throws -> TimeInterval {
        try BusyTimeout.resolve(option: busyTimeoutOption, environment: environment, command: nil,
                                default: JobStore.defaultBusyTimeout)
    }
}

/// The time source of commands: the system clock, or a scripted one in tests (`jobs wait`).
public struct CommandClock: Sendable {
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (TimeInterval) -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (TimeInterval) -> Void) {
        self.now = now
        self.sleep = sleep
    }

    public static let system = CommandClock(now: { Date() }, sleep: { seconds in
        Thread.sleep(forTimeInterval: seconds)
    })
}
