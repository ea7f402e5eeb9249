import CommandLineKit
import Glibc

/// An output file (`jobs results -o`, `--errors`, `jobs report -o`) written beside its target
/// (`PATH.partial`) and renamed over it only once complete and synced, so a failure never leaves
/// a half-written file under the final name and a reader never sees half a file.
///
/// Errors are `CLIError.user` naming the path and the system's reason (`strerror`): a missing
/// folder, no permission, a full disk, or a target that is a directory (checked before anything
/// is written).
final class ReplacedFile {
    let path: String
    let partial: String
    private let descriptor: Int32
    let output: FileDescriptorOutput

    init(path: String) throws {
        var status = stat()
        if stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            throw CLIError.user("cannot write \(path): it is a directory, not a file")
        }
        self.path = path
        partial = path + ".partial"
        descriptor = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw CLIError.user("cannot write \(partial): \(String(cString: strerror(errno)))")
        }
        output = FileDescriptorOutput(descriptor: descriptor, closesDescriptor: true)
    }

    func commit() throws {
        try output.flushReportingErrors()
        guard fsync(descriptor) == 0 else {
            throw CLIError.user("cannot write \(partial): \(String(cString: strerror(errno)))")
        }
        guard rename(partial, path) == 0 else {
            throw CLIError.user("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }

    func abandon() { unlink(partial) }
}
