import Foundation
import JobStore
import RequestFormats
import TestSupport

/// A batch played through the store as a daemon would run it, with a moving clock: submitted
/// at `start`, claimed as engine slots free up (two at first, growing to `slots`), each job
/// generating more slowly the fuller the batch, every 23rd job failing, and one engine sample
/// per second. Jobs take 5 to 25 seconds, so queue waits grow over the batch to minutes.
enum ReportTestData {
    struct Outcome {
        var succeeded = 0
        var failed = 0
        var completionTokens = 0
        var samples = 0
        /// When the last job finished.
        var end: Date
    }

    @discardableResult
    static func simulate(store: JobStore, batch: String, jobs: Int, start: Date, slots: Int = 8,
                         recordSamples: Bool = true, seed: UInt64 = 7) throws -> Outcome {
        let lines = (1...jobs).map { #"{"id": "job-\#($0)", "prompt": "Describe product \#($0).", "max_tokens": 300}"# }
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        let parsed = bytes.withUnsafeBufferPointer { BatchFileParser.parse($0) }
        precondition(parsed.problems.isEmpty, "\(parsed.problems)")
        let digest = bytes.withUnsafeBufferPointer { BatchSubmission.digest(of: $0) }
        _ = try store.submit(BatchSubmission(name: batch, source: batch + ".jsonl", sha256: digest, jobs: parsed.jobs),
                             now: start)

        struct Running {
            var job: ClaimedJob
            var target: Int
            var generated: Double = 0
            var admitted: Double
            var firstToken: Double
        }
        let owner = "jobsd@test:1"
        var rng = SplitMix64(seed: seed)
        var running: [Running] = []
        var outcome = Outcome(end: start)
        var second = 0.0
        while true {
            let now = start.addingTimeInterval(second)
            let capacity = min(slots, 2 + Int(second / 15))
            var admittedTokens = 0
            if running.count < capacity {
                for job in try store.claim(limit: capacity - running.count, owner: owner, lease: 1_000_000, now: now) {
                    let firstToken = 0.08 + 0.03 * Double(running.count) + Double(rng.nextUnitFloat()) * 0.2
                    running.append(Running(job: job, target: 60 + Int(rng.next() % 240), admitted: second,
                                           firstToken: firstToken))
                    admittedTokens += 24
                }
            }
            if running.isEmpty { break }
            // Each step gives every running sequence one token; steps slow down as the batch grows.
            let active = Double(running.count)
            let perSequence = 40 / (1 + 0.25 * active) * Double(0.9 + rng.nextUnitFloat() * 0.2)
            for index in running.indices { running[index].generated += perSequence }
            let end = start.addingTimeInterval(second + 1)
            if recordSamples {
                try store.recordEngineSample(EngineSample(
                    owner: owner, recordedAt: end, intervalSeconds: 1, steps: Int(perSequence.rounded()),
                    meanActiveSequences: active - Double(rng.nextUnitFloat()) * 0.3, maxActiveSequences: running.count,
                    waitingSequences: 0, promptTokens: admittedTokens, generatedTokens: Int((perSequence * active).rounded()),
                    kvBlocksUsed: running.count * 12, kvBlocksTotal: 256))
                outcome.samples += 1
            }
            var still: [Running] = []
            for sequence in running {
                guard sequence.generated >= Double(sequence.target) else {
                    still.append(sequence)
                    continue
                }
                if sequence.job.id % 23 == 0 {
                    try store.fail(jobID: sequence.job.id, owner: owner, message: "prompt has 9000 tokens; model context is 8192",
                                   retryable: false, now: end)
                    outcome.failed += 1
                } else {
                    let duration = second + 1 - sequence.admitted
                    try store.complete(jobID: sequence.job.id, owner: owner, result: JobResult(
                        text: "Text for \(sequence.job.customID).", finishReason: .length, promptTokens: 24,
                        completionTokens: sequence.target, model: "tiny",
                        timings: GenerationTimings(timeToFirstToken: sequence.firstToken, prefill: sequence.firstToken * 0.8,
                                                   decode: duration - sequence.firstToken,
                                                   tokensPerSecond: Double(sequence.target) / duration, meanActiveSequences: active)),
                        now: end)
                    outcome.succeeded += 1
                    outcome.completionTokens += sequence.target
                }
                outcome.end = end
            }
            running = still
            second += 1
        }
        return outcome
    }
}
