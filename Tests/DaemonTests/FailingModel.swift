import KVCache
import Model
import Synchronization

/// The real tiny decoder, except that its next `failures` forward passes throw: a model fault
/// such as a broken weight file page, for the daemon's failure handling.
final class FailingModel: LanguageModel {
    struct InjectedFault: Error, CustomStringConvertible {
        var description: String { "injected fault in the forward pass" }
    }

    let inner: any LanguageModel
    private let failures: Mutex<Int>

    init(_ inner: any LanguageModel, failures: Int) {
        self.inner = inner
        self.failures = Mutex(failures)
    }

    var vocabularySize: Int { inner.vocabularySize }
    var contextLength: Int { inner.contextLength }
    var kvLayout: KVCacheLayout { inner.kvLayout }
    func workingMemoryBytes(tokens: Int, rows: Int) -> Int { inner.workingMemoryBytes(tokens: tokens, rows: rows) }
    func reserveWorkingMemory(tokens: Int, rows: Int) { inner.reserveWorkingMemory(tokens: tokens, rows: rows) }

    func forward(_ batch: ForwardBatch, cache: KVBlockStorage) throws -> Logits {
        let fail = failures.withLock { remaining in
            defer { remaining = max(0, remaining - 1) }
            return remaining > 0
        }
        if fail { throw InjectedFault() }
        return try inner.forward(batch, cache: cache)
    }
}
