import CSQLite

/// A prepared statement: bind values by 1-based index, step through rows, read columns by
/// 0-based index. Finalized in `deinit`. Text is bound and read with explicit byte lengths, so
/// strings holding NUL characters survive the round trip.
final class Statement {
    let sql: String
    private let handle: OpaquePointer
    private unowned let connection: Connection

    init(_ handle: OpaquePointer, sql: String, connection: Connection) {
        self.handle = handle
        self.sql = sql
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding

    /// Binds `values` to parameters 1, 2, ... after clearing earlier bindings and resetting.
    @discardableResult
    func bind(_ values: SQLValue...) throws -> Statement {
        try bind(values)
    }

    @discardableResult
    func bind(_ values: [SQLValue]) throws -> Statement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
        return self
    }

    func bind(_ value: SQLValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null:
            rc = sqlite3_bind_null(handle, index)
        case .integer(let v):
            rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v):
            rc = sqlite3_bind_double(handle, index, v)
        case .blob(let v):
            // A NULL pointer would bind SQL NULL rather than an empty blob.
            rc = v.isEmpty ? sqlite3_bind_zeroblob(handle, index, 0)
                : v.withUnsafeBytes { bytes in
                    sqlite3_bind_blob64(handle, index, bytes.baseAddress, sqlite3_uint64(bytes.count), Statement.transient)
                }
        case .text(let v) where v.isEmpty:
            // A NULL pointer would bind SQL NULL rather than an empty string.
            rc = sqlite3_bind_text(handle, index, "", 0, nil)
        case .text(let v):
            var v = v
            rc = v.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    sqlite3_bind_text64(handle, index, chars.baseAddress, sqlite3_uint64(chars.count),
                                        Statement.transient, UInt8(SQLITE_UTF8))
                }
            }
        }
        guard rc == SQLITE_OK else { throw connection.error(code: rc, sql: sql) }
    }

    /// Binds a value to a named parameter such as `:owner`.
    func bind(_ value: SQLValue, name: String) throws {
        let index = sqlite3_bind_parameter_index(handle, name)
        precondition(index > 0, "no parameter \(name) in \(sql)")
        try bind(value, at: index)
    }

    // MARK: Stepping

    /// Advances to the next row; false when the statement is done.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(code: rc, sql: sql)
        }
    }

    /// Runs a statement that returns no rows (or whose rows are not wanted).
    func run() throws {
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Calls `body` for each row.
    func forEachRow(_ body: (Statement) throws -> Void) throws {
        while try step() { try body(self) }
        sqlite3_reset(handle)
    }

    /// The rows mapped by `transform`.
    func rows<T>(_ transform: (Statement) throws -> T) throws -> [T] {
        var result: [T] = []
        try forEachRow { result.append(try transform($0)) }
        return result
    }

    /// The first row mapped by `transform`, or nil when there is none.
    func firstRow<T>(_ transform: (Statement) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        return try step() ? transform(self) : nil
    }

    // MARK: Columns (0-based)

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }

    func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }

    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// Tells SQLite to copy bound text, since Swift's buffer only lives during the call.
    private static var transient: sqlite3_destructor_type {
        unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    }
}

/// A value bound to a statement parameter.
enum SQLValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    static func int(_ value: Int) -> SQLValue { .integer(Int64(value)) }

    static func optional(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }

    static func optional(_ value: Double?) -> SQLValue { value.map(SQLValue.real) ?? .null }

    static func optional(_ value: Int64?) -> SQLValue { value.map(SQLValue.integer) ?? .null }
}
