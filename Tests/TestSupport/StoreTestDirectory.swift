import Foundation

/// A fresh directory under the system's temporary folder for one test, removed with everything
/// in it when released or, at the latest, when the test process exits. Used by the JobStore and
/// CLI tests for their database files.
public final class StoreTestDirectory {
    public let path: String

    public init(_ label: String = "jobs-store-test") {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("\(label)-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed: errno \(errno)")
        path = String(cString: created!)
        TemporaryPathRegistry.register(path)
    }

    /// A path inside the directory (the file is not created).
    public func file(_ name: String) -> String { path + "/" + name }

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
