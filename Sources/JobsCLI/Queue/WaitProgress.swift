import CommandLineKit
import Foundation
import JobStore

/// What `jobs wait` knows about progress: the counts when it started and now, from which it
/// derives rates and an ETA. Rates are averaged over the whole wait, which is steady enough
/// for a batch of many similar jobs.
struct WaitProgress {
    let startedAt: Date
    let initial: JobCounts
    private(set) var latest: JobCounts
    private(set) var latestAt: Date
    /// When the counts last changed, to notice a queue nobody is working on.
    private(set) var lastChangeAt: Date

    /// No change for this long, with nothing running under a live lease, earns a hint about
    /// the daemon.
    static let stallWarningSeconds: TimeInterval = 60

    init(counts: JobCounts, at time: Date) {
        startedAt = time
        initial = counts
        latest = counts
        latestAt = time
        lastChangeAt = time
    }

    mutating func record(_ counts: JobCounts, at time: Date) {
        if counts != latest { lastChangeAt = time }
        latest = counts
        latestAt = time
    }

    var elapsed: TimeInterval { latestAt.timeIntervalSince(startedAt) }

    var tokensPerSecond: Double? {
        guard elapsed > 0 else { return nil }
        return Double(max(latest.completionTokens - initial.completionTokens, 0)) / elapsed
    }

    /// Seconds until every job is finished at the rate seen so far; nil before any finished.
    var estimatedSecondsLeft: TimeInterval? {
        let finishedSinceStart = latest.finished - initial.finished
        guard elapsed > 0, finishedSinceStart > 0 else { return nil }
        let remaining = latest.total - latest.finished
        return Double(remaining) / (Double(finishedSinceStart) / elapsed)
    }

    var isStalled: Bool {
        latest.running == latest.expiredLeases
            && latestAt.timeIntervalSince(lastChangeAt) >= WaitProgress.stallWarningSeconds
    }

    private var stallHint: String {
        "no progress for \(TextFormat.duration(latestAt.timeIntervalSince(lastChangeAt))): is jobsd running?"
    }

    private var rateAndETA: String {
        let rate = tokensPerSecond.map { "\(TextFormat.rate($0)) tokens/s" } ?? "- tokens/s"
        let eta = estimatedSecondsLeft.map { "ETA \(TextFormat.duration($0))" } ?? "ETA ?"
        return "\(rate), \(eta)"
    }

    /// For a terminal: `[██████░░░░░░]  450/1,000  45%  123.4 tokens/s, ETA 2m 10s`.
    func bar(width: Int = 30) -> String {
        let total = latest.total
        let fraction = total == 0 ? 1 : Double(latest.finished) / Double(total)
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var text = "[\(bar)]  \(TextFormat.count(latest.finished))/\(TextFormat.count(total))  "
            + "\(Int((fraction * 100).rounded(.down)))%  \(rateAndETA)"
        if latest.failed > 0 { text += ", \(TextFormat.count(latest.failed)) failed" }
        if isStalled { text += "  (\(stallHint))" }
        return text
    }

    /// For logs: `450/1,000 jobs finished (440 succeeded, 10 failed, 0 cancelled), 12 running; ...`.
    func plainLine() -> String {
        var text = "\(TextFormat.count(latest.finished))/\(TextFormat.count(latest.total)) jobs finished "
            + "(\(TextFormat.count(latest.succeeded)) succeeded, \(TextFormat.count(latest.failed)) failed, "
            + "\(TextFormat.count(latest.cancelled)) cancelled), \(TextFormat.count(latest.running)) running, "
            + "\(TextFormat.count(latest.queued)) queued; \(rateAndETA)"
        if isStalled { text += "; \(stallHint)" }
        return text
    }

    /// The closing line: `Finished: 98 succeeded, 2 failed, 0 cancelled (waited 3m 12s).`
    func summary(batch: String?) -> String {
        let what = batch.map { "Batch \($0) finished" } ?? "All jobs finished"
        return "\(what): \(TextFormat.count(latest.succeeded)) succeeded, "
            + "\(TextFormat.count(latest.failed)) failed, \(TextFormat.count(latest.cancelled)) cancelled "
            + "(waited \(TextFormat.duration(elapsed)))."
    }
}
