import Foundation
import XCTest
@testable import JobStore

/// `Sources/JobStore/EmbeddedMigrations.swift` is generated from `Migrations/*.sql`. These tests
/// fail whenever the two differ; `JOBS_UPDATE_EMBEDDED_MIGRATIONS=1` rewrites the Swift file.
final class EmbeddedMigrationsTests: XCTestCase {
    private static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private static let migrationsFolder = packageRoot.appendingPathComponent("Migrations")
    private static let generatedFile = packageRoot
        .appendingPathComponent("Sources/JobStore/EmbeddedMigrations.swift")

    private func migrationFiles() throws -> [(name: String, sql: String)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.migrationsFolder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        return try names.map { name in
            (name, try String(contentsOf: Self.migrationsFolder.appendingPathComponent(name),
                              encoding: .utf8))
        }
    }

    func testEmbeddedMigrationsEqualTheMigrationsFolder() throws {
        let files = try migrationFiles()
        XCTAssertFalse(files.isEmpty, "no .sql files in \(Self.migrationsFolder.path)")
        let expectedSource = try Self.render(files)
        if ProcessInfo.processInfo.environment["JOBS_UPDATE_EMBEDDED_MIGRATIONS"] == "1" {
            try expectedSource.write(to: Self.generatedFile, atomically: true, encoding: .utf8)
            return
        }
        let hint = "run JOBS_UPDATE_EMBEDDED_MIGRATIONS=1 swift test --filter EmbeddedMigrationsTests"
        XCTAssertEqual(try String(contentsOf: Self.generatedFile, encoding: .utf8), expectedSource,
                       "EmbeddedMigrations.swift is out of date; \(hint)")
        XCTAssertEqual(Migration.embedded.map(\.fileName), files.map(\.name), hint)
        for (embedded, file) in zip(Migration.embedded, files) {
            XCTAssertEqual(embedded.sql, file.sql, "\(file.name) differs from its embedded copy; \(hint)")
        }
    }

    func testMigrationFilesAreNumberedWithoutGaps() throws {
        let versions = try migrationFiles().map { Migration(fileName: $0.name, sql: $0.sql).version }
        XCTAssertEqual(versions, Array(1...versions.count))
    }

    /// The generated Swift source: one raw multi-line string literal per file. The literal's
    /// content is the file followed by one newline, which the closing delimiter's line break
    /// takes back, so the string equals the file byte for byte.
    static func render(_ files: [(name: String, sql: String)]) throws -> String {
        var source = """
            // Generated from Migrations/*.sql; do not edit. After changing Migrations/, regenerate with
            //   JOBS_UPDATE_EMBEDDED_MIGRATIONS=1 swift test --filter EmbeddedMigrationsTests
            // (that test fails whenever this file and Migrations/ differ).

            extension Migration {
                /// Every migration in `Migrations/`, in order.
                static let embedded: [Migration] = [

            """
        for file in files {
            guard !file.sql.contains("\r") else {
                throw XCTSkip("\(file.name) has carriage returns; save it with Unix line endings")
            }
            var hashes = "#"
            while file.sql.contains("\"" + hashes) || file.sql.contains("\\" + hashes) { hashes += "#" }
            source += "        Migration(fileName: \"\(file.name)\", sql: \(hashes)\"\"\"\n"
            source += file.sql + "\n\"\"\"\(hashes)),\n"
        }
        source += "    ]\n}\n"
        return source
    }
}
