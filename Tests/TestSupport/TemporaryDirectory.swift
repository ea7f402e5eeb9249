import Foundation

/// A fresh directory under the system's temporary folder for one test (`<prefix>.XXXXXX`),
/// removed with everything in it when this object goes away or, at the latest, when the test
/// process exits (`TemporaryPathRegistry`: XCTest keeps every test case object, and so any
/// directory a test case property holds, until the process ends). Keep it alive (a test-local
/// `let` or a property) while its files are in use. `Scripts/test` fails if a directory whose
/// prefix starts with `jobs-`, `gguf-` or `tokenizer-` is left behind.
public final class TemporaryDirectory {
    public let path: String

    public init(prefix: String = "jobs-tests") {
        let parent = FileManager.default.temporaryDirectory.path
        var template = Array("\(parent)/\(prefix).XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            preconditionFailure("cannot create a temporary directory under \(parent): errno \(errno)")
        }
        path = String(cString: created)
        TemporaryPathRegistry.register(path)
    }

    /// The path of `name` inside the directory (the file is not created).
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `text` to a file in the directory and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let path = file(name)
        precondition(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)),
                     "cannot write \(path)")
        return path
    }

    deinit { TemporaryPathRegistry.remove(path) }
}
