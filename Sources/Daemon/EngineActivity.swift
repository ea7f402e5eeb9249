import Engine
import Foundation
import JobStore

/// What the engine did since the last `EngineSample` was written: the steps of one interval
/// (about `sampleInterval` long) in which it worked.
struct EngineActivity {
    /// Monotonic start of the first step in the interval; nil while nothing happened.
    private(set) var start: Double?
    private(set) var steps = 0
    private var sequenceSum = 0
    private var maxSequences = 0
    private var promptTokens = 0
    private var generatedTokens = 0

    var isEmpty: Bool { steps == 0 }

    mutating func add(_ profile: StepProfile, startedAt: Double) {
        if start == nil { start = startedAt }
        steps += 1
        sequenceSum += profile.sequenceCount
        maxSequences = max(maxSequences, profile.sequenceCount)
        promptTokens += profile.promptTokenCount
        generatedTokens += profile.sampledCount
    }

    /// The interval as a sample ending `now` (`monotonicNow` on the same clock as `start`),
    /// and a fresh interval.
    mutating func take(owner: String, now: Date, monotonicNow: Double, engine: Engine) -> EngineSample? {
        guard let start, steps > 0 else { return nil }
        let sample = EngineSample(
            owner: owner, recordedAt: now, intervalSeconds: max(0, monotonicNow - start), steps: steps,
            meanActiveSequences: Double(sequenceSum) / Double(steps), maxActiveSequences: maxSequences,
            waitingSequences: engine.waitingCount, promptTokens: promptTokens, generatedTokens: generatedTokens,
            kvBlocksUsed: engine.kvBlockCount - engine.kvAvailableBlockCount, kvBlocksTotal: engine.kvBlockCount)
        self = EngineActivity()
        return sample
    }
}
