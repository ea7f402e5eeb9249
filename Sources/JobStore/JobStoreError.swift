/// Everything that can go wrong in the store, with messages that say what to do.
public enum JobStoreError: Error, CustomStringConvertible, Sendable {
    case sqlite(SQLiteError)
    case cannotCreateDatabase(path: String, reason: String)
    case databaseMissing(path: String)
    /// Opened to write, but the file, its folder or its file system allows reading only.
    case readOnlyDatabase(path: String)
    /// The file records a migration this build does not know: it was written by a newer `jobs`.
    case schemaTooNew(path: String, databaseVersion: Int, newestKnownVersion: Int)
    /// A recorded migration differs from this build's file of the same number.
    case migrationMismatch(path: String, version: Int, recorded: String, expected: String)
    /// The file needs migrations before this build can read it, and cannot be written.
    case upgradeNeedsWriting(path: String, databaseVersion: Int, newestKnownVersion: Int)
    /// A migration left rows referring to rows that do not exist; it was rolled back.
    case migrationBrokeForeignKeys(path: String, migration: String, rows: [DanglingReference])
    /// `differingInCase`: `BATCH/ID` references to batches whose names differ only by case.
    case unknownJob(reference: String, differingInCase: [String] = [])
    case ambiguousJob(reference: String, candidates: [String])
    case unknownBatch(name: String, known: [String], differingInCase: [String])
    case batchNameTaken(name: String)
    case invalidBatchName(name: String)
    case emptySubmission
    case cannotCancel(jobID: Int64, state: JobState)
    case cannotRetry(jobID: Int64, state: JobState)
    case corruptRequest(problem: String)

    public var description: String {
        switch self {
        case .sqlite(let error):
            return error.description
        case .cannotCreateDatabase(let path, let reason):
            return "cannot create database \(path): \(reason); check that its folder exists and is writable"
        case .readOnlyDatabase(let path):
            return "database \(path) is read-only (its file, folder or file system does not allow writing); "
                + "make them writable for the user that runs jobs and jobsd (SQLite also writes \(path)-wal and \(path)-shm beside it). "
                + "Commands that only read (list, show, stats, results, report) work as it is"
        case .databaseMissing(let path):
            return "no database at \(path); submit jobs first (jobs submit FILE), or point --db or JOBS_DB at an existing database"
        case .schemaTooNew(let path, let databaseVersion, let newestKnownVersion):
            return "database \(path) has schema version \(databaseVersion), but this jobs knows versions up to \(newestKnownVersion): it was written by a newer jobs; upgrade jobs to use it"
        case .migrationMismatch(let path, let version, let recorded, let expected):
            return "database \(path) records migration \(version) as \(recorded), but this jobs has \(expected) under that number; this database belongs to a different build of jobs"
        case .upgradeNeedsWriting(let path, let databaseVersion, let newestKnownVersion):
            return "database \(path) has schema version \(databaseVersion), and this jobs reads version \(newestKnownVersion) "
                + "only: it upgrades a file once, on an open that can write it, and this file, its folder or its file system "
                + "is read-only. Make them writable for one run of any jobs command (jobs stats), or read the file with the "
                + "jobs that wrote it"
        case .migrationBrokeForeignKeys(let path, let migration, let rows):
            let listed = rows.prefix(3).map(\.description).joined(separator: ", ") + (rows.count > 3 ? ", …" : "")
            return "database \(path) was not upgraded: after migration \(migration), \(rows.count) "
                + "row\(rows.count == 1 ? "" : "s") referred to missing rows (\(listed)), so it was rolled back and "
                + "the database is unchanged. If jobs doctor lists them too (references), they were dangling before "
                + "(was the database edited by hand?), and it says how to remove them; otherwise please report it"
        case .unknownJob(let reference, let differingInCase) where !differingInCase.isEmpty:
            return "no job \(reference); batch names are case-sensitive: did you mean \(differingInCase.joined(separator: " or "))?"
        case .unknownJob(let reference, _):
            return "no job \(reference); use a job number (jobs list), BATCH/CUSTOM_ID, or a custom id"
        case .ambiguousJob(let reference, let candidates):
            return "custom id \(reference) is used in several batches; name one of: \(candidates.joined(separator: ", "))"
        case .unknownBatch(let name, let known, let differingInCase):
            if !differingInCase.isEmpty {
                return "no batch named \"\(name)\"; batch names are case-sensitive: did you mean "
                    + differingInCase.joined(separator: " or ") + "?"
            }
            let hint = known.isEmpty ? "there are no batches yet"
                : "known batches: \(known.prefix(10).joined(separator: ", "))\(known.count > 10 ? ", …" : "")"
            return "no batch named \"\(name)\"; \(hint)"
        case .batchNameTaken(let name):
            return "a batch named \(name) already exists; choose another name with --batch"
        case .invalidBatchName(let name):
            return "invalid batch name \(name.isEmpty ? "(empty)" : "\"\(name)\""): use 1 to \(BatchName.maximumLength) letters, digits, '.', '_' or '-', starting with a letter or digit"
        case .emptySubmission:
            return "nothing to submit: the file has no valid jobs"
        case .cannotCancel(let jobID, let state):
            return "job \(jobID) has already \(state.pastTense); only queued or running jobs can be cancelled"
        case .cannotRetry(let jobID, let state):
            switch state {
            case .queued, .running:
                return "job \(jobID) is \(state.rawValue) already; only failed or cancelled jobs can be retried"
            default:
                return "job \(jobID) \(state.pastTense); only failed or cancelled jobs can be retried"
            }
        case .corruptRequest(let problem):
            return "stored request is damaged (\(problem)); was the database edited by hand?"
        }
    }
}
