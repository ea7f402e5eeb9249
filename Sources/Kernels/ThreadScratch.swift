import Foundation

/// A per-thread scratch buffer that lives as long as its thread, for kernels that need a few
/// hundred KB of working memory on every call (allocating it per call would page-fault).
public enum ThreadScratch {
    private final class Storage {
        var pointer: UnsafeMutableRawPointer?
        var bytes = 0
        deinit { pointer?.deallocate() }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        }
        return key
    }()

    /// At least `bytes` bytes, 64-byte aligned, owned by the calling thread. Contents are
    /// undefined; the pointer stays valid until the next call on this thread.
    public static func buffer(bytes: Int) -> UnsafeMutableRawPointer {
        let storage: Storage
        if let raw = pthread_getspecific(key) {
            storage = Unmanaged<Storage>.fromOpaque(raw).takeUnretainedValue()
        } else {
            storage = Storage()
            pthread_setspecific(key, Unmanaged.passRetained(storage).toOpaque())
        }
        if storage.bytes < bytes {
            storage.pointer?.deallocate()
            storage.pointer = .allocate(byteCount: bytes, alignment: 64)
            storage.bytes = bytes
        }
        return storage.pointer!
    }
}
