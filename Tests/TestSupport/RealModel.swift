import Foundation
import CommandLineKit
import XCTest

/// Locates the real model files for tests that need them.
///
/// The default model is `$JOBS_MODEL`, or the default model's install location
/// (`DefaultModel.path()`, where `Scripts/install-model` puts it). The instruct model, Qwen2.5
/// Coder 0.5B Instruct, is `$JOBS_QWEN_MODEL`, or where `Scripts/install-model --qwen` puts it.
/// When a file is absent the test is skipped, unless `JOBS_REQUIRE_MODEL=1`, which turns the skip
/// into a failure (for CI runs that must exercise the real models; `Scripts/test` installs both).
public enum RealModel {
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public let install: String
        public var description: String {
            "JOBS_REQUIRE_MODEL=1 but the model file \(path) does not exist; \(install)"
        }
    }

    /// The file name `Scripts/install-model --qwen` installs under the models folder.
    public static let qwenFileName = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"

    /// The default model (Gemma 3 270M).
    public static func path() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        return try require(DefaultModel.path(environment: environment),
                           install: "install it with Scripts/install-model or set JOBS_MODEL")
    }

    /// Qwen2.5 Coder 0.5B Instruct (Q4_K_M), the instruct model the figures are for.
    public static func qwenPath() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["JOBS_QWEN_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? DefaultModel.modelsDirectory(environment: environment) + "/" + qwenFileName
        return try require(path, install: "install it with Scripts/install-model --qwen or set JOBS_QWEN_MODEL")
    }

    private static func require(_ path: String, install: String) throws -> String {
        if FileManager.default.fileExists(atPath: path) { return path }
        if ProcessInfo.processInfo.environment["JOBS_REQUIRE_MODEL"] == "1" { throw Missing(path: path, install: install) }
        throw XCTSkip("model file \(path) is absent (\(install), or JOBS_REQUIRE_MODEL=1 to fail)")
    }
}
