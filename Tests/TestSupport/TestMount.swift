import Foundation
import Glibc
import XCTest

/// A real file system mounted for one test, unmounted (and its mount point removed) when
/// released: a small `tmpfs` to fill up (a full disk), or a read-only bind mount of a folder.
/// Mounting needs root (CI runs the tests as root); elsewhere the test is skipped with the
/// reason.
public final class TestMount {
    /// The mount point.
    public let path: String
    private let parent: TemporaryDirectory

    private init(parent: TemporaryDirectory) {
        self.parent = parent
        path = parent.file("mnt")
    }

    /// A `tmpfs` of `bytes` (rounded up to pages by the kernel).
    public static func tmpfs(bytes: Int) throws -> TestMount {
        let mount = TestMount(parent: TemporaryDirectory(prefix: "jobs-tmpfs"))
        try mount.makeMountPoint()
        try mount.call("mount a \(bytes)-byte tmpfs") {
            Glibc.mount("tmpfs", mount.path, "tmpfs", 0, "size=\(bytes),mode=0700")
        }
        return mount
    }

    /// `folder` again at a new path, read-only: the file system refuses every write there,
    /// to root too.
    public static func readOnlyView(of folder: String) throws -> TestMount {
        let mount = TestMount(parent: TemporaryDirectory(prefix: "jobs-readonly"))
        try mount.makeMountPoint()
        try mount.call("bind-mount \(folder)") { Glibc.mount(folder, mount.path, nil, UInt(MS_BIND), nil) }
        try mount.call("make the bind mount read-only") {
            Glibc.mount(nil, mount.path, nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil)
        }
        return mount
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Fills the file system up with a file named `filler`: afterwards no byte more fits.
    public func fill() throws {
        let fd = open(file("filler"), O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file("filler")]) }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xA5, count: 1 << 16)
        for size in [1 << 16, 4096, 512, 1] {
            while true {
                let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
                if written > 0 { continue }  // a short write near the end: try again
                if written < 0, errno == EINTR { continue }
                guard written < 0, errno == ENOSPC else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file("filler"), "errno": errno])
                }
                break
            }
        }
    }

    /// Removes the filler: the space is back.
    public func free() {
        unlink(file("filler"))
    }

    private func makeMountPoint() throws {
        guard Glibc.mkdir(path, 0o700) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    private var isMounted = false

    private func call(_ what: String, _ body: () -> Int32) throws {
        guard body() == 0 else {
            let reason = String(cString: strerror(errno))
            if isMounted { umount2(path, Int32(MNT_DETACH)) }
            isMounted = false
            throw XCTSkip("cannot \(what) at \(path) (\(reason)); this test needs a real file system mounted "
                          + "for it: run the tests as root, as CI does")
        }
        isMounted = true
    }

    deinit {
        if isMounted { umount2(path, Int32(MNT_DETACH)) }
        rmdir(path)
    }
}
