import Foundation
import TestSupport
import XCTest
@testable import JobStore

final class ConnectionTests: XCTestCase {
    private let directory = TemporaryDirectory(prefix: "jobs-store-test")

    private func connection(busyTimeoutMilliseconds: Int = 1000) throws -> Connection {
        try Connection(path: directory.file("c.db"), create: true,
                       busyTimeoutMilliseconds: busyTimeoutMilliseconds)
    }

    func testBindsByIndexAndNameAndKeepsEmptyTextApartFromNull() throws {
        let db = try connection()
        try db.execute("CREATE TABLE t (a TEXT, b TEXT, c INTEGER, d REAL)")
        try db.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").bind(.text(""), .null, .integer(-7), .real(0.5)).run()
        let insert = try db.prepare("INSERT INTO t VALUES (:a, NULL, :c, NULL)")
        try insert.bind(.text("x\u{0}y"), name: ":a")
        try insert.bind(.integer(3), name: ":c")
        try insert.run()
        let rows = try db.prepare("SELECT a, b, c, d FROM t ORDER BY rowid").rows { row in
            "\(row.optionalString(0).map { $0.debugDescription } ?? "nil") \(row.optionalString(1) ?? "nil") \(row.int(2)) \(row.optionalDouble(3).map { String($0) } ?? "nil")"
        }
        XCTAssertEqual(rows, [#""" nil -7 0.5"#, #""x\0y" nil 3 nil"#])
    }

    func testTransactionRollsBackWhenTheBodyThrows() throws {
        let db = try connection()
        try db.execute("CREATE TABLE t (x INTEGER)")
        struct Boom: Error {}
        XCTAssertThrowsError(try db.transaction {
            try db.prepare("INSERT INTO t VALUES (1)").run()
            throw Boom()
        })
        XCTAssertEqual(try db.prepare("SELECT count(*) FROM t").firstRow { $0.int(0) }, 0)
    }

    func testErrorsCarryCodeMessageAndSQL() throws {
        let db = try connection()
        XCTAssertThrowsError(try db.prepare("SELECT * FROM missing_table")) { error in
            let sqlite = error as! SQLiteError
            XCTAssertEqual(sqlite.primaryCode, 1)  // SQLITE_ERROR
            XCTAssertEqual(sqlite.sql, "SELECT * FROM missing_table")
            XCTAssertTrue(sqlite.description.contains("no such table: missing_table"), sqlite.description)
        }
    }

    func testLockHeldByAnotherConnectionGivesAnActionableError() throws {
        let holder = try connection()
        try Migrator.migrate(holder)
        let store = try JobStore(path: directory.file("c.db"), busyTimeout: 0.05)
        try holder.execute("BEGIN IMMEDIATE")
        defer { try? holder.execute("ROLLBACK") }
        XCTAssertThrowsError(try store.claim(limit: 1, owner: "d", lease: 10)) { error in
            XCTAssertEqual("\(error)", "database \(directory.file("c.db")) is locked by another process (database is locked; waited 50 ms for it); retry later, or wait longer with --busy-timeout SECONDS or JOBS_BUSY_TIMEOUT")
        }
    }
}
