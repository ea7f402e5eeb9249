import Foundation
import XCTest

/// Locates the real model file for tests that need it.
///
/// The path is `$JOBS_MODEL`, or `/work/models/gemma-3-270m-q4_k_m.gguf`. When the file is
/// absent the test is skipped, unless `JOBS_REQUIRE_MODEL=1`, which turns the skip into a
/// failure (for CI runs that must exercise the real model).
public enum RealModel {
    public static let defaultPath = "/work/models/gemma-3-270m-q4_k_m.gguf"

    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String {
            "JOBS_REQUIRE_MODEL=1 but the model file \(path) does not exist; install it or set JOBS_MODEL"
        }
    }

    public static func path() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["JOBS_MODEL"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPath
        if FileManager.default.fileExists(atPath: path) { return path }
        if environment["JOBS_REQUIRE_MODEL"] == "1" { throw Missing(path: path) }
        throw XCTSkip("model file \(path) is absent (set JOBS_MODEL, or JOBS_REQUIRE_MODEL=1 to fail)")
    }
}
