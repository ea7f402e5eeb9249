import Foundation
import KVCache
import XCTest
@testable import Engine

/// The scheduler alone, without a model: sequences are "computed" by advancing them by what
/// each plan gave them, and a sampled token is appended when a chunk reaches the end.
final class ContinuousBatchSchedulerTests: XCTestCase {
    private let layout = KVCacheLayout(windows: [nil], keyDim: 1, valueDim: 1, blockSize: 4)
    private var serial = 0

    private func scheduler(blocks: Int = 64, maxSequences: Int = 8, maxBatchTokens: Int = 32,
                           prefixCaching: Bool = true) -> ContinuousBatchScheduler {
        let kv = KVCacheManager(layout: layout, blockCount: blocks, prefixCaching: prefixCaching)
        return ContinuousBatchScheduler(kvCache: kv, maxSequences: maxSequences, maxBatchTokens: maxBatchTokens)
    }

    private func sequence(_ id: Int64, prompt: Int, priority: Int = 0, arrival: TimeInterval = 0,
                          seed: Int = 0, in scheduler: ContinuousBatchScheduler) -> SequenceState {
        serial += 1
        let request = GenerationRequest(id: id, promptTokens: EngineHarness.prompt(prompt, seed: seed == 0 ? Int(id) : seed),
                                        parameters: .greedy(maxTokens: 1000), priority: priority,
                                        arrivalTime: Date(timeIntervalSince1970: arrival))
        return SequenceState(request: request, serial: serial, seed: 0, blocks: scheduler.kvCache.makeBlocks(),
                             tokenizer: FakeTokenizer(), submittedAt: 0)
    }

    /// Applies a plan as the engine would, appending token 7 for each sampled row.
    private func complete(_ plan: StepPlan, in scheduler: ContinuousBatchScheduler) {
        for entry in plan.entries {
            scheduler.advance(entry.sequence, by: entry.count)
            if entry.wantsLogits {
                _ = entry.sequence.append(7, isEndToken: false, contextLength: 1 << 20)
            }
        }
    }

    private func ids(_ plan: StepPlan) -> [Int64] { plan.entries.map(\.sequence.id) }

    func testSchedulerOnlyCountsTokens() {
        let s = scheduler(maxBatchTokens: 10)
        let a = sequence(1, prompt: 7, in: s), b = sequence(2, prompt: 9, in: s)
        s.add(a); s.add(b)
        let first = s.schedule()
        XCTAssertEqual(first.entries.map(\.count), [7, 3], "a whole prompt, then a chunk of the next")
        XCTAssertEqual(first.entries.map(\.wantsLogits), [true, false])
        complete(first, in: s)
        let second = s.schedule()
        XCTAssertEqual(second.entries.map(\.count), [1, 6], "a decode token and the rest of the prompt")
        XCTAssertEqual(second.entries.map(\.start), [7, 3])
        XCTAssertEqual(second.entries.map(\.wantsLogits), [true, true])
    }

    func testAdmissionFollowsPriorityThenArrival() {
        let s = scheduler()
        s.add(sequence(1, prompt: 2, priority: 0, arrival: 10, in: s))
        s.add(sequence(2, prompt: 2, priority: 5, arrival: 30, in: s))
        s.add(sequence(3, prompt: 2, priority: 0, arrival: 5, in: s))
        s.add(sequence(4, prompt: 2, priority: 5, arrival: 20, in: s))
        s.add(sequence(5, prompt: 2, priority: 0, arrival: 10, in: s))
        XCTAssertEqual(ids(s.schedule()), [4, 2, 3, 1, 5])
    }

    func testMaxSequencesLimitsRunning() {
        let s = scheduler(maxSequences: 2)
        for id in 1...3 { s.add(sequence(Int64(id), prompt: 3, in: s)) }
        let plan = s.schedule()
        XCTAssertEqual(ids(plan), [1, 2])
        complete(plan, in: s)
        s.remove(s.running[0])
        XCTAssertEqual(ids(s.schedule()), [2, 3], "a finished sequence's slot is taken in the next step")
    }

    func testPreemptsNewestWhenBlocksRunOut() {
        // 6 blocks of 4 tokens; three prompts of 7 tokens take 2 blocks each.
        let s = scheduler(blocks: 6)
        let a = sequence(1, prompt: 7, in: s), b = sequence(2, prompt: 7, in: s), c = sequence(3, prompt: 7, in: s)
        for x in [a, b, c] { s.add(x) }
        complete(s.schedule(), in: s)
        XCTAssertEqual(s.kvCache.availableBlockCount, 0)
        // Every sequence now needs a third block for position 8.
        complete(s.schedule(), in: s) // position 7 still fits in block 1
        let plan = s.schedule()
        XCTAssertEqual(plan.preempted.map(\.id), [3])
        XCTAssertEqual(ids(plan), [1, 2])
        XCTAssertEqual(c.computedTokens, 0)
        XCTAssertEqual(c.generatedCount, 2, "generated tokens are kept for the recomputation")
        XCTAssertEqual(c.status, .waiting)
        XCTAssertEqual(s.waiting.first?.id, 3)
    }

    func testPreemptedSequenceGoesToFrontOfQueue() {
        let s = scheduler(blocks: 4, maxBatchTokens: 64)
        let a = sequence(1, prompt: 7, in: s), b = sequence(2, prompt: 7, in: s)
        s.add(a); s.add(b)
        complete(s.schedule(), in: s)
        complete(s.schedule(), in: s)
        // A high-priority newcomer waits behind the preempted sequence.
        s.add(sequence(9, prompt: 3, priority: 100, in: s))
        let plan = s.schedule()
        XCTAssertEqual(plan.preempted.map(\.id), [2])
        XCTAssertEqual(s.waiting.map(\.id), [2, 9])
        XCTAssertEqual(ids(plan), [1], "no admission in a step that preempted")
    }

    func testPreemptedSequenceResumesFromCachedPrefix() {
        // 5 blocks: two prompts of 8 tokens fill 4; the next tokens need one more block each.
        let s = scheduler(blocks: 5, maxBatchTokens: 64)
        let a = sequence(1, prompt: 8, in: s), b = sequence(2, prompt: 8, in: s)
        s.add(a); s.add(b)
        complete(s.schedule(), in: s)
        let second = s.schedule()
        XCTAssertEqual(second.preempted.map(\.id), [2])
        complete(second, in: s)
        s.remove(a)
        let plan = s.schedule()
        XCTAssertEqual(ids(plan), [2])
        XCTAssertEqual(plan.entries[0].start, 8, "its two full blocks were still cached")
        XCTAssertEqual(plan.entries[0].count, 1, "only the sampled token is computed again")
        XCTAssertEqual(b.prefixTokensReused, 0, "reuse counts the first admission only")
    }

    func testSequenceThatCannotFitAloneFails() {
        let s = scheduler(blocks: 2, maxBatchTokens: 64)
        let big = sequence(1, prompt: 12, in: s)
        s.add(big)
        let plan = s.schedule()
        XCTAssertTrue(plan.entries.isEmpty)
        XCTAssertEqual(plan.failed.map(\.sequence.id), [1])
        XCTAssertEqual(plan.failed.first?.error,
                       .exceedsKVCache(tokens: 12, promptTokens: 12, blocksNeeded: 3, blockCount: 2, blockBytes: layout.bytesPerBlock))
        XCTAssertTrue(s.waiting.isEmpty)
        XCTAssertTrue(plan.failed[0].error.description.hasPrefix("the prompt of 12 tokens needs 3 KV blocks but the whole cache holds 2"),
                      plan.failed[0].error.description)
    }

    /// A prompt longer than a step's token budget fails at its first chunk; the error names the
    /// prompt's length, not the chunk's.
    func testPromptWhoseFirstChunkCannotFitNamesThePromptLength() {
        let s = scheduler(blocks: 1, maxBatchTokens: 8)
        s.add(sequence(1, prompt: 30, in: s))
        let plan = s.schedule()
        XCTAssertEqual(plan.failed.first?.error,
                       .exceedsKVCache(tokens: 8, promptTokens: 30, blocksNeeded: 2, blockCount: 1, blockBytes: layout.bytesPerBlock))
        XCTAssertTrue(plan.failed.first?.error.description.hasPrefix("the prompt has 30 tokens and its first 8 already need 2 KV blocks") == true,
                      String(describing: plan.failed.first?.error.description))
    }

    func testRunningSequenceOutgrowingCacheFailsOnlyWhenAlone() {
        let s = scheduler(blocks: 2, maxBatchTokens: 64)
        let a = sequence(1, prompt: 7, in: s)
        s.add(a)
        complete(s.schedule(), in: s)
        complete(s.schedule(), in: s)
        let plan = s.schedule() // position 8 needs a third block
        XCTAssertEqual(plan.failed.map(\.sequence.id), [1])
        XCTAssertTrue(s.running.isEmpty)
        XCTAssertEqual(s.kvCache.availableBlockCount, 2)
    }

    func testSharedPrefixIsComputedOnce() {
        let s = scheduler(maxBatchTokens: 64)
        let a = sequence(1, prompt: 14, seed: 3, in: s)
        s.add(a)
        complete(s.schedule(), in: s)
        let b = sequence(2, prompt: 14, seed: 3, in: s)
        s.add(b)
        let plan = s.schedule()
        XCTAssertEqual(plan.entries.map(\.count), [1, 2], "b starts after the 12 cached tokens")
        XCTAssertEqual(b.prefixTokensReused, 12)
    }
}
