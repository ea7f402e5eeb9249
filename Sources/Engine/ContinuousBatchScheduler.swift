import KVCache

/// Decides, one step at a time, which tokens of which sequences go into the next forward pass.
///
/// It only counts tokens: each sequence has `tokens.count − computedTokens` tokens to go, and a
/// step gives each as many as the token budget allows. There is no prefill or decode mode;
/// chunked prefill falls out of the budget. Order:
/// 1. Running sequences, oldest first, each with all its remaining tokens (one, in decode) up
///    to the budget. When the KV cache has no blocks for one, the newest running sequence is
///    preempted (blocks freed, `computedTokens` reset, put at the front of the waiting queue)
///    and the allocation retried — possibly preempting the sequence itself.
/// 2. Only if nothing was preempted: waiting sequences in priority, then arrival order, while
///    budget, sequence slots and blocks last. A newly admitted sequence starts from its longest
///    cached prefix. Admission stops at the first sequence that does not fit (no overtaking).
/// A sequence that does not fit even with nothing else running fails instead of waiting
/// forever.
final class ContinuousBatchScheduler {
    let kvCache: KVCacheManager
    let maxSequences: Int
    let maxBatchTokens: Int
    /// Waiting sequences in admission order: preempted ones first, then by priority and arrival.
    private(set) var waiting: [SequenceState] = []
    /// Running sequences, oldest admission first.
    private(set) var running: [SequenceState] = []

    init(kvCache: KVCacheManager, maxSequences: Int, maxBatchTokens: Int) {
        precondition(maxSequences >= 1 && maxBatchTokens >= 1)
        self.kvCache = kvCache
        self.maxSequences = maxSequences
        self.maxBatchTokens = maxBatchTokens
    }

    /// Queues a new sequence after the preempted ones and after every waiting sequence of
    /// higher priority, or of equal priority that arrived no later.
    func add(_ sequence: SequenceState) {
        precondition(sequence.status == .waiting && sequence.computedTokens == 0)
        let firstAfter = waiting.firstIndex { $0.preemptions == 0 && queuedBefore(sequence, $0) } ?? waiting.count
        waiting.insert(sequence, at: firstAfter)
    }

    func schedule() -> StepPlan {
        var plan = StepPlan()
        var budget = maxBatchTokens

        var i = 0
        running: while i < running.count, budget > 0 {
            let sequence = running[i]
            let count = min(sequence.uncomputedCount, budget)
            precondition(count > 0, "a running sequence always has a token to compute")
            let tokens = sequence.computedTokens + count
            while !kvCache.allocate(&sequence.blocks, tokens: tokens) {
                // Out of blocks: preempt the newest running sequence, possibly this one.
                let victim = running.removeLast()
                if victim === sequence {
                    if running.isEmpty {
                        fail(sequence, tokens: tokens, in: &plan) // alone and still too big
                    } else {
                        preempt(sequence, in: &plan)
                    }
                    break running
                }
                preempt(victim, in: &plan)
            }
            plan.entries.append(entry(sequence, count: count))
            budget -= count
            i += 1
        }

        // Admitting while preempting would only evict the newcomers again.
        guard plan.preempted.isEmpty else { return plan }
        while budget > 0, running.count < maxSequences, let sequence = waiting.first {
            let hit = kvCache.cachedPrefix(of: sequence.tokens, blocks: &sequence.blocks)
            let count = min(sequence.tokens.count - hit.tokenCount, budget)
            let tokens = hit.tokenCount + count
            guard kvCache.allocate(&sequence.blocks, reusing: hit, tokens: tokens) else {
                // With nothing running every block is available: it will never fit.
                guard running.isEmpty else { break }
                waiting.removeFirst()
                fail(sequence, tokens: tokens, in: &plan)
                continue
            }
            waiting.removeFirst()
            sequence.status = .running
            sequence.computedTokens = hit.tokenCount
            if sequence.preemptions == 0 {
                // A resumed sequence's cached blocks may reach past its prompt.
                sequence.prefixTokensReused = min(hit.tokenCount, sequence.promptCount)
                sequence.resumedTokensReused = max(0, hit.tokenCount - sequence.promptCount)
            }
            running.append(sequence)
            plan.entries.append(entry(sequence, count: count))
            budget -= count
        }
        return plan
    }

    /// After the forward pass computed `count` more tokens of `sequence`: caches its newly full
    /// blocks and releases window blocks out of sight.
    func advance(_ sequence: SequenceState, by count: Int) {
        sequence.computedTokens += count
        kvCache.didCompute(&sequence.blocks, tokens: sequence.tokens, computedTokens: sequence.computedTokens)
    }

    /// Removes a finished or cancelled sequence and frees its blocks at once.
    func remove(_ sequence: SequenceState) {
        switch sequence.status {
        case .running: running.removeAll { $0 === sequence }
        case .waiting: waiting.removeAll { $0 === sequence }
        case .finished: return
        }
        kvCache.free(&sequence.blocks)
        sequence.status = .finished
    }

    // MARK: Helpers

    private func entry(_ sequence: SequenceState, count: Int) -> StepPlan.Entry {
        StepPlan.Entry(sequence: sequence, start: sequence.computedTokens, count: count,
                       wantsLogits: sequence.computedTokens + count == sequence.tokens.count)
    }

    /// Frees the blocks of a sequence already taken out of `running`; it will be recomputed
    /// from its longest cached prefix, keeping its generated tokens and random stream.
    private func preempt(_ sequence: SequenceState, in plan: inout StepPlan) {
        kvCache.free(&sequence.blocks)
        sequence.computedTokens = 0
        sequence.status = .waiting
        sequence.preemptions += 1
        waiting.insert(sequence, at: 0)
        plan.preempted.append(sequence)
    }

    /// Fails a sequence already taken out of its queue that cannot fit even alone.
    private func fail(_ sequence: SequenceState, tokens: Int, in plan: inout StepPlan) {
        let needed = sequence.blocks.heldBlockCount + sequence.blocks.blocksNeeded(tokens: tokens)
        kvCache.free(&sequence.blocks)
        sequence.status = .finished
        plan.failed.append((sequence, .exceedsKVCache(tokens: tokens, promptTokens: sequence.promptCount, blocksNeeded: needed,
                                                      blockCount: kvCache.blockCount,
                                                      blockBytes: kvCache.layout.bytesPerBlock)))
    }

    /// Whether `a` is admitted before `b`: higher priority, then earlier arrival, then earlier
    /// submission.
    private func queuedBefore(_ a: SequenceState, _ b: SequenceState) -> Bool {
        if a.request.priority != b.request.priority { return a.request.priority > b.request.priority }
        if a.request.arrivalTime != b.request.arrivalTime { return a.request.arrivalTime < b.request.arrivalTime }
        return a.serial < b.serial
    }
}
