import CommandLineKit
import Engine
import Foundation
import Glibc
import JobStore

/// `jobs doctor`'s database checks: the file (or the folder it will be created in), its schema
/// version against this build's migrations, WAL, and SQLite's quick integrity check. Nothing is
/// created or migrated; opening the file turns on WAL, as every `jobs` command does.
enum DatabaseChecks {
    struct Outcome {
        var findings: [DoctorFinding]
        /// The file's size; 0 when it does not exist yet.
        var databaseBytes: Int
    }

    /// `source` says where the path came from, for the finding: `--db`, `JOBS_DB`, `default`.
    static func run(path: String, isDefault: Bool, source: String) -> Outcome {
        let folder = folder(of: path)
        guard FileManager.default.fileExists(atPath: path) else {
            return Outcome(findings: [missing(path: path, source: source, folder: folder, isDefault: isDefault)],
                           databaseBytes: 0)
        }
        var findings: [DoctorFinding] = []
        if access(folder, W_OK) != 0 {
            findings.append(.fail("database", "folder \(folder) is not writable, and SQLite creates \(path)-wal and "
                + "\(path)-shm beside the database", fix: "make \(folder) writable for the user that runs jobs and jobsd"))
        }
        let health: DatabaseHealth
        do {
            health = try JobStore.inspect(path: path)
        } catch {
            findings.append(.fail("database", "cannot use \(path) (\(source)): \(error)",
                                  fix: "point --db or JOBS_DB at a jobs database, or restore this one from a backup"))
            return Outcome(findings: findings, databaseBytes: 0)
        }
        if let problem = health.writeProblem {
            findings.append(.fail("database", "\(path) (\(source)) cannot be written: \(problem)",
                                  fix: "make the file and its folder writable for the user that runs jobs and jobsd, "
                                      + "or stop the process holding the lock"))
        } else {
            findings.append(.ok("database", "\(path) (\(source)), \(ByteCount.format(health.databaseBytes)), writable"))
        }
        findings.append(schema(health))
        if health.journalMode.lowercased() == "wal" {
            findings.append(.ok("journal", "WAL: readers never block the daemon's writes"))
        } else {
            findings.append(.fail("journal", "journal mode is \(health.journalMode), not WAL: the file system refused WAL",
                                  fix: "keep the database on a local file system (WAL needs shared memory, which network "
                                      + "file systems such as NFS do not provide)"))
        }
        if health.isIntact {
            findings.append(.ok("integrity", "SQLite quick_check found no problems"))
        } else {
            let shown = health.quickCheck.prefix(3).joined(separator: "; ")
            findings.append(.fail("integrity", "SQLite quick_check found \(health.quickCheck.count) problem(s): \(shown)",
                                  fix: "stop jobsd, copy the file, then rebuild it with "
                                      + "'sqlite3 \(path) .recover | sqlite3 recovered.db', or restore a backup"))
        }
        findings.append(references(health.danglingReferences, path: path))
        return Outcome(findings: findings, databaseBytes: health.databaseBytes)
    }

    /// Rows referring to missing rows: left only by editing the file with foreign keys off, and
    /// they stop a migration that rebuilds a table. The fix deletes exactly those rows, with
    /// foreign keys on so that a deleted job takes its result and checkpoint along.
    private static func references(_ dangling: [DanglingReference], path: String) -> DoctorFinding {
        guard !dangling.isEmpty else { return .ok("references", "every job, result and checkpoint refers to a row that exists") }
        let shown = dangling.prefix(3).map(\.description).joined(separator: ", ")
            + (dangling.count > 3 ? ", …" : "")
        var byTable: [String: [Int64]] = [:]
        for row in dangling { byTable[row.table, default: []].append(row.rowID) }
        let deletes = byTable.keys.sorted().map { table in
            "DELETE FROM \(table) WHERE rowid IN (\(byTable[table]!.map(String.init).joined(separator: ", ")));"
        }.joined(separator: " ")
        return .fail("references", "\(dangling.count) row\(dangling.count == 1 ? "" : "s") refer to rows that do not exist "
                         + "(\(shown)); was the file edited by hand?",
                     fix: "stop jobsd, copy the file, then delete them: sqlite3 \(path) 'PRAGMA foreign_keys = ON; \(deletes)'")
    }

    private static func schema(_ health: DatabaseHealth) -> DoctorFinding {
        if let mismatch = health.migrationMismatch {
            return .fail("schema", mismatch, fix: "this database belongs to a different build of jobs: use that build, "
                + "or start a new database with --db")
        }
        if health.isSchemaTooNew {
            return .fail("schema", "version \(health.schemaVersion), but this jobs knows versions up to "
                + "\(health.newestKnownVersion): a newer jobs wrote it",
                fix: "upgrade jobs and jobsd to the version that wrote this database (or newer)")
        }
        if health.schemaVersion < health.newestKnownVersion {
            return .ok("schema", "version \(health.schemaVersion); jobs upgrades it to \(health.newestKnownVersion) "
                + "the next time it opens it")
        }
        return .ok("schema", "version \(health.schemaVersion), the newest this jobs knows")
    }

    /// A database that does not exist yet is fine when `jobs submit` will be able to create it.
    private static func missing(path: String, source: String, folder: String, isDefault: Bool) -> DoctorFinding {
        let existing = nearestExisting(folder)
        let creates = existing == folder ? "'jobs submit' creates it" : "'jobs submit' creates it and its folder"
        guard existing == folder || isDefault else {
            return .fail("database", "\(path) (\(source)) cannot be created: folder \(folder) does not exist",
                         fix: "create the folder (mkdir -p \(folder)), or point --db or JOBS_DB elsewhere")
        }
        guard access(existing, W_OK) == 0 else {
            return .fail("database", "\(path) (\(source)) cannot be created: \(existing) is not writable",
                         fix: "choose a writable location with --db PATH or JOBS_DB, or make \(existing) writable")
        }
        return .ok("database", "\(path) (\(source)) does not exist yet; \(creates)")
    }

    /// The folder holding `path` (`.` for a bare file name).
    static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// `folder`, or the nearest folder above it that exists (`/` or `.` at the top).
    static func nearestExisting(_ folder: String) -> String {
        var existing = folder
        while !FileManager.default.fileExists(atPath: existing), existing != "/", existing != "." {
            existing = self.folder(of: existing)
        }
        return existing
    }
}
