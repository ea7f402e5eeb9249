import Foundation

/// A fresh directory under the system temporary directory, removed with everything in it when
/// this object goes away or, at the latest, when the test process exits. Keep it alive (a
/// test-local `let`) while its files are in use.
public final class TemporaryDirectory {
    public let path: String

    public init(prefix: String = "jobs-tests") throws {
        let parent = FileManager.default.temporaryDirectory.path
        var template = Array("\(parent)/\(prefix).XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSLocalizedDescriptionKey: "cannot create a temporary directory under \(parent)",
            ])
        }
        path = String(cString: created)
        TemporaryPathRegistry.register(path)
    }

    /// The path of `name` inside the directory (the file is not created).
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { TemporaryPathRegistry.remove(path) }
}
