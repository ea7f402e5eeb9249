import Engine
import Foundation
import JobStore

/// What the engine did since the last `EngineSample` was written: the steps of one interval
/// (about `sampleInterval` long) in which it worked.
struct EngineActivity {
    /// Monotonic start of the first step in the interval; nil while nothing happened.
    private(set) var start: Double?
    private var profile = EngineProfile()
    private var maxSequences = 0


    mutating func add(_ step: StepProfile, startedAt: Double) {
        if start == nil { start = startedAt }
        profile.add(step)
        maxSequences = max(maxSequences, step.sequenceCount)
    }

    /// The interval as a sample ending `now` (`monotonicNow` on the same clock as `start`),
    /// and a fresh interval.
    mutating func take(owner: String, now: Date, monotonicNow: Double, engine: Engine) -> EngineSample? {
        guard let start, profile.steps > 0 else { return nil }
        let sample = EngineSample(
            owner: owner, recordedAt: now, intervalSeconds: max(0, monotonicNow - start), steps: profile.steps,
            meanActiveSequences: profile.meanSequences, maxActiveSequences: maxSequences,
            waitingSequences: engine.waitingCount, promptTokens: profile.total.promptTokenCount,
            generatedTokens: profile.total.sampledCount,
            kvBlocksUsed: engine.kvBlockCount - engine.kvAvailableBlockCount, kvBlocksTotal: engine.kvBlockCount)
        self = EngineActivity()
        return sample
    }
}
