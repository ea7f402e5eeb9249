import Foundation
import Model
import XCTest

/// Locates the real model file for tests that need it.
///
/// The path is `$JOBS_MODEL`, or the default model's install location (`DefaultModel.path()`,
/// where `Scripts/install-model` puts it). When the file is
/// absent the test is skipped, unless `JOBS_REQUIRE_MODEL=1`, which turns the skip into a
/// failure (for CI runs that must exercise the real model).
public enum RealModel {
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String {
            "JOBS_REQUIRE_MODEL=1 but the model file \(path) does not exist; install it or set JOBS_MODEL"
        }
    }

    public static func path() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let path = DefaultModel.path(environment: environment)
        if FileManager.default.fileExists(atPath: path) { return path }
        if environment["JOBS_REQUIRE_MODEL"] == "1" { throw Missing(path: path) }
        throw XCTSkip("model file \(path) is absent (set JOBS_MODEL, or JOBS_REQUIRE_MODEL=1 to fail)")
    }
}
