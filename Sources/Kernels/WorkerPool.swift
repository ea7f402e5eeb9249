import Foundation
import Synchronization

/// Fork-join parallel loops over the machine's cores, with the latency a decode step needs.
///
/// A decode step runs a few hundred parallel regions (every matmul, attention, norms); at
/// tens of microseconds each, `DispatchQueue.concurrentPerform` would cost milliseconds per
/// step. Here the calling thread takes part, the helper threads are created once, spin briefly
/// between regions and then sleep on a condition variable.
///
/// Only one region runs at a time: a call made while another is running (nested, or from a
/// second thread) simply runs its parts on the calling thread, so the pool never deadlocks and
/// results never depend on which path ran (parts must not depend on the thread that runs them).
public final class WorkerPool: @unchecked Sendable {
    /// One pool for the process, as wide as the CPUs this process may use.
    public static let shared = WorkerPool(threadCount: WorkerPool.availableCores())

    public let threadCount: Int
    private let state = State()

    public init(threadCount: Int) {
        precondition(threadCount >= 1)
        self.threadCount = threadCount
        for index in 1..<threadCount {
            let state = self.state
            let thread = Thread { state.helperLoop() }
            thread.name = "jobs-worker-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit { state.stop() }

    /// Most parts one `parallelFor` takes (the claim counter has 16 bits).
    public static let maxParts = (1 << 16) - 1

    /// Runs `body(part)` once for every part in `0..<parts`, spread over the pool's threads,
    /// and returns when all have finished.
    public func parallelFor(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 0 { return }
        precondition(parts <= Self.maxParts, "too many parts for one parallel region")
        guard threadCount > 1, parts > 1, state.tryAcquire() else {
            for part in 0..<parts { body(part) }
            return
        }
        withoutActuallyEscaping(body) { state.run(parts: parts, body: $0) }
        state.release()
    }

    /// Splits `0..<count` into about `threadCount · chunksPerThread` contiguous chunks (whole
    /// multiples of `granularity` except the last) and runs `body(range)` on each. More chunks
    /// than threads are claimed as threads come free, so a thread slowed down (by another
    /// process, an interrupt, costlier rows) takes fewer and nobody waits long at the end.
    public func parallelRanges(_ count: Int, granularity: Int = 1, chunksPerThread: Int = 1,
                               _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let units = (count + granularity - 1) / granularity
        let chunks = min(units, threadCount * chunksPerThread)
        parallelFor(chunks) { chunk in
            let start = units * chunk / chunks * granularity
            let end = min(count, units * (chunk + 1) / chunks * granularity)
            if start < end { body(start..<end) }
        }
    }

    /// CPUs this process may use (`JOBS_THREADS` overrides), at least 1.
    public static func availableCores() -> Int {
        if let text = ProcessInfo.processInfo.environment["JOBS_THREADS"], let n = Int(text), n >= 1 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// What the calling thread and the helpers share; helpers keep it alive, not the pool.
    private final class State: @unchecked Sendable {
        private let busy = Mutex<Bool>(false)
        /// The work on offer: generation (bits 32...), part count (bits 16..<32) and the next
        /// part to claim (bits 0..<16) in one word, so a part is only ever claimed together
        /// with the generation it belongs to.
        private let ticket = Atomic<Int>(0)
        private let finishedParts = Atomic<Int>(0)
        private let stopping = Atomic<Bool>(false)
        private var body: ((Int) -> Void)?
        private let sleepLock = NSCondition()
        private var sleepers = 0
        /// Spin iterations before a helper goes to sleep (tens of microseconds).
        private let spinLimit = 20_000

        func tryAcquire() -> Bool {
            busy.withLock { taken in
                if taken { return false }
                taken = true
                return true
            }
        }

        func release() { busy.withLock { $0 = false } }

        func run(parts: Int, body: @escaping (Int) -> Void) {
            self.body = body
            finishedParts.store(0, ordering: .relaxed)
            let generation = (ticket.load(ordering: .relaxed) >> 32) + 1
            ticket.store(generation << 32 | parts << 16, ordering: .releasing)
            wakeSleepers()
            runParts()
            while finishedParts.load(ordering: .acquiring) < parts {}
            self.body = nil
        }

        func stop() {
            stopping.store(true, ordering: .releasing)
            ticket.add(1 << 32, ordering: .releasing)
            wakeSleepers()
        }

        private func runParts() {
            while true {
                let current = ticket.load(ordering: .acquiring)
                let part = current & 0xFFFF
                if part >= (current >> 16) & 0xFFFF { return }
                guard ticket.compareExchange(expected: current, desired: current + 1,
                                             ordering: .acquiringAndReleasing).exchanged else { continue }
                // The region cannot end before this part finishes, so `body` is this region's.
                body.unsafelyUnwrapped(part)
                finishedParts.add(1, ordering: .releasing)
            }
        }

        func helperLoop() {
            var seen = ticket.load(ordering: .acquiring) >> 32
            while !stopping.load(ordering: .acquiring) {
                var spins = 0
                while ticket.load(ordering: .acquiring) >> 32 == seen {
                    spins += 1
                    if spins > spinLimit {
                        sleepLock.lock()
                        sleepers += 1
                        while ticket.load(ordering: .acquiring) >> 32 == seen { sleepLock.wait() }
                        sleepers -= 1
                        sleepLock.unlock()
                    }
                }
                seen = ticket.load(ordering: .acquiring) >> 32
                runParts()
            }
        }

        private func wakeSleepers() {
            sleepLock.lock()
            if sleepers > 0 { sleepLock.broadcast() }
            sleepLock.unlock()
        }
    }
}
