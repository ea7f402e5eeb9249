/// What one `jobs doctor` check found: a status, one line saying what was found, and, when
/// something is wrong, one line saying how to fix it.
struct DoctorFinding: Equatable {
    enum Status: String {
        case ok
        /// Works, but worth knowing or fixing (slower, fragile, or a feature unavailable).
        case warn
        /// Will not work: `jobs doctor` exits 1.
        case fail

        /// `ok`, `warn`, `FAIL`: failures stand out in a column of statuses.
        var label: String { self == .fail ? "FAIL" : rawValue }
    }

    /// Short name of what was checked: `database`, `schema`, `model`, `memory`, ...
    var check: String
    var status: Status
    var finding: String
    /// What to do; nil when the status is ok.
    var fix: String?

    static func ok(_ check: String, _ finding: String) -> DoctorFinding {
        DoctorFinding(check: check, status: .ok, finding: finding, fix: nil)
    }

    static func warn(_ check: String, _ finding: String, fix: String) -> DoctorFinding {
        DoctorFinding(check: check, status: .warn, finding: finding, fix: fix)
    }

    static func fail(_ check: String, _ finding: String, fix: String) -> DoctorFinding {
        DoctorFinding(check: check, status: .fail, finding: finding, fix: fix)
    }
}
