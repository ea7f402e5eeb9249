import Foundation

/// Per-thread scratch buffers that live as long as their thread, for kernels that need a few
/// hundred KB of working memory on every call (allocating it per call would page-fault).
public enum ThreadScratch {
    /// Independent buffers of one thread, so a caller's buffer survives the kernels it calls.
    public enum Slot: Int, CaseIterable, Sendable {
        /// Kernels' own working memory (decoded weight panels, attention scores).
        case kernel
        /// Operands a caller prepares for the threads of a parallel kernel (quantized activations).
        case operands
    }

    private final class Storage {
        var pointers = [UnsafeMutableRawPointer?](repeating: nil, count: Slot.allCases.count)
        var bytes = [Int](repeating: 0, count: Slot.allCases.count)
        deinit { for pointer in pointers { pointer?.deallocate() } }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        }
        return key
    }()

    /// At least `bytes` bytes, 64-byte aligned, owned by the calling thread. Contents are
    /// undefined; the pointer stays valid until the next call for the same slot on this thread.
    public static func buffer(bytes: Int, slot: Slot = .kernel) -> UnsafeMutableRawPointer {
        let storage: Storage
        if let raw = pthread_getspecific(key) {
            storage = Unmanaged<Storage>.fromOpaque(raw).takeUnretainedValue()
        } else {
            storage = Storage()
            pthread_setspecific(key, Unmanaged.passRetained(storage).toOpaque())
        }
        let index = slot.rawValue
        if storage.bytes[index] < bytes {
            storage.pointers[index]?.deallocate()
            storage.pointers[index] = .allocate(byteCount: bytes, alignment: 64)
            storage.bytes[index] = bytes
        }
        return storage.pointers[index]!
    }
}
