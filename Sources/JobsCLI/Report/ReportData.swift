import Foundation
import JobStore

/// Everything `jobs report` draws, read from the store in one go.
struct ReportData {
    /// The batch reported on; nil for all batches.
    var batch: String?
    var databasePath: String
    var generatedAt: Date
    var stats: QueueStats
    /// Succeeded and failed jobs, in finish order.
    var finished: [FinishedJobTiming]
    /// Engine samples of the report's time window: everything for all batches; for one batch,
    /// from its submission to its last finish (to now while it runs). Samples are per daemon,
    /// not per batch, so they include other batches' jobs that ran at the same time.
    var samples: [EngineSample]

    static func load(from store: JobStore, batch: String?, now: Date) throws -> ReportData {
        let stats = try store.stats(batch: batch)
        let finished = try store.finishedJobTimings(batch: batch)
        var samples: [EngineSample]
        if let batch, let info = try store.batch(named: batch) {
            let end = stats.counts.isComplete ? finished.last?.finishedAt : nil
            samples = try store.engineSamples(from: info.createdAt, to: end)
        } else {
            samples = try store.engineSamples()
        }
        return ReportData(batch: batch, databasePath: store.path, generatedAt: now, stats: stats,
                          finished: finished, samples: samples)
    }
}
