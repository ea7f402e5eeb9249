import Foundation

/// Where the database lives: `--db PATH`, else `$JOBS_DB`, else `$XDG_DATA_HOME/jobs/jobs.db`,
/// else `~/.local/share/jobs/jobs.db`. The default folder is created (mode 0700) on first use.
public enum DatabaseLocation {
    public static func resolve(option: String?, environment: [String: String]) throws -> (path: String, isDefault: Bool) {
        if let option {
            guard !option.isEmpty else { throw CLIError.usage(command: nil, message: "--db needs a path") }
            return (option, false)
        }
        if let path = environment["JOBS_DB"], !path.isEmpty { return (path, false) }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return (data + "/jobs/jobs.db", true)
        }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw CLIError.user("cannot choose a database location: HOME is not set; use --db PATH or set JOBS_DB")
        }
        return (home + "/.local/share/jobs/jobs.db", true)
    }

    /// Creates the default database's folder, readable by its owner only.
    public static func createFolder(for path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIError.user("cannot create folder \(folder) for the database: \(error.localizedDescription); use --db PATH")
        }
    }
}
