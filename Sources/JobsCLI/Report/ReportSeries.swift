import Foundation
import JobStore

/// The report's time series, in buckets of equal width so that a chart has at most a few
/// hundred points however long the night was. Times are Unix seconds; each point sits at the
/// middle of its bucket.
enum ReportSeries {
    struct Point: Equatable {
        var time: Double
        var value: Double
    }

    /// Bucket widths, in seconds: round clock units so buckets line up with the time axis.
    static let widths: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
                                   10800, 21600, 43200, 86400]

    /// The smallest round width of at least `minimum` seconds that covers `span` in at most
    /// `maximumBuckets` buckets.
    static func bucketWidth(span: Double, maximumBuckets: Int, minimum: Double = 1) -> Double {
        widths.first { $0 >= minimum && span / $0 <= Double(maximumBuckets) }
            ?? max(minimum, (span / Double(maximumBuckets)).rounded(.up))
    }

    /// Buckets of `width` seconds, aligned to multiples of the width, from the one holding
    /// `first` to the one holding `last`. The data covers `first` to `end` (`last` unless
    /// given).
    struct Buckets {
        let start: Double
        let width: Double
        let count: Int
        let first: Double
        let end: Double

        init(from first: Double, through last: Double, width: Double, end: Double? = nil) {
            precondition(last >= first && width > 0)
            self.width = width
            self.first = first
            self.end = max(end ?? last, last)
            start = (first / width).rounded(.down) * width
            count = Int(((last - start) / width).rounded(.down)) + 1
        }

        /// The bucket holding `time`, clamped to the span.
        func index(of time: Double) -> Int {
            min(max(Int(((time - start) / width).rounded(.down)), 0), count - 1)
        }

        func middle(_ index: Int) -> Double { start + (Double(index) + 0.5) * width }

        /// The part of bucket `index` inside the span, in seconds: the full width except for the
        /// first and last buckets, so that a rate there is not diluted by time without data.
        func coveredLength(_ index: Int) -> Double {
            let lower = start + Double(index) * width
            return max(min(lower + width, end) - max(lower, first), min(width, 1))
        }
    }

    /// Generated tokens per second from engine samples: every daemon's tokens of a bucket over
    /// the time it covers (buckets without samples, when no engine ran, are 0). Nil without
    /// samples.
    static func tokensPerSecond(samples: [EngineSample], maximumBuckets: Int = 150) -> (points: [Point], width: Double)? {
        guard let buckets = buckets(for: samples, maximumBuckets: maximumBuckets) else { return nil }
        var tokens = [Double](repeating: 0, count: buckets.count)
        for sample in samples {
            tokens[buckets.index(of: middle(of: sample))] += Double(sample.generatedTokens)
        }
        return (tokens.indices.map { Point(time: buckets.middle($0), value: tokens[$0] / buckets.coveredLength($0)) },
                buckets.width)
    }

    /// Generated tokens per second estimated from finished jobs, for databases without engine
    /// samples: each succeeded job's completion tokens spread evenly over its run, from its
    /// claim to its finish. Nil when no job generated anything.
    static func tokensPerSecond(finished: [FinishedJobTiming], maximumBuckets: Int = 60) -> (points: [Point], width: Double)? {
        let runs = finished.filter { $0.completionTokens > 0 }.map { job -> (start: Double, end: Double, tokens: Double) in
            let end = job.finishedAt.timeIntervalSince1970
            let start = min(job.claimedAt?.timeIntervalSince1970 ?? end, end)
            return (start, end, Double(job.completionTokens))
        }
        guard let first = runs.map(\.start).min(), let last = runs.map(\.end).max() else { return nil }
        // Through just before the last finish: a run ending on a bucket boundary must not open
        // an empty bucket.
        let buckets = Buckets(from: first, through: max(first, last - 1e-6),
                              width: bucketWidth(span: last - first, maximumBuckets: maximumBuckets), end: last)
        var tokens = [Double](repeating: 0, count: buckets.count)
        for run in runs {
            let duration = run.end - run.start
            guard duration > 0 else {
                tokens[buckets.index(of: run.end)] += run.tokens
                continue
            }
            // The share of the run that overlaps each bucket it touches.
            for index in buckets.index(of: run.start)...buckets.index(of: run.end) {
                let bucketStart = buckets.start + Double(index) * buckets.width
                let overlap = min(run.end, bucketStart + buckets.width) - max(run.start, bucketStart)
                if overlap > 0 { tokens[index] += run.tokens * overlap / duration }
            }
        }
        return (tokens.indices.map { Point(time: buckets.middle($0), value: tokens[$0] / buckets.coveredLength($0)) },
                buckets.width)
    }

    /// Running sequences per engine step: per bucket, each daemon's step-weighted mean and its
    /// largest count, summed over daemons (several daemons share the queue, each with its own
    /// batch). Nil without samples.
    static func activeSequences(samples: [EngineSample], maximumBuckets: Int = 150)
        -> (mean: [Point], maximum: [Point], width: Double)? {
        guard let buckets = buckets(for: samples, maximumBuckets: maximumBuckets) else { return nil }
        var daemons: [String: DaemonBuckets] = [:]
        for sample in samples {
            daemons[sample.owner, default: DaemonBuckets(count: buckets.count)]
                .add(sample, at: buckets.index(of: middle(of: sample)))
        }
        var mean = [Double](repeating: 0, count: buckets.count), maximum = mean
        for daemon in daemons.values {
            for index in 0..<buckets.count where daemon.steps[index] > 0 {
                mean[index] += daemon.weightedActive[index] / daemon.steps[index]
                maximum[index] += daemon.largest[index]
            }
        }
        let times = (0..<buckets.count).map(buckets.middle)
        return (zip(times, mean).map { Point(time: $0, value: $1) },
                zip(times, maximum).map { Point(time: $0, value: $1) }, buckets.width)
    }

    /// One daemon's engine activity per bucket.
    private struct DaemonBuckets {
        /// Sum of mean active sequences × steps, and of steps: their ratio is the mean per step.
        var weightedActive: [Double]
        var steps: [Double]
        var largest: [Double]

        init(count: Int) {
            weightedActive = Array(repeating: 0, count: count)
            steps = weightedActive
            largest = weightedActive
        }

        mutating func add(_ sample: EngineSample, at index: Int) {
            weightedActive[index] += sample.meanActiveSequences * Double(sample.steps)
            steps[index] += Double(sample.steps)
            largest[index] = max(largest[index], Double(sample.maxActiveSequences))
        }
    }

    /// Buckets spanning every sample's interval, at least as wide as the longest interval.
    private static func buckets(for samples: [EngineSample], maximumBuckets: Int) -> Buckets? {
        guard !samples.isEmpty else { return nil }
        let first = samples.map { $0.recordedAt.timeIntervalSince1970 - $0.intervalSeconds }.min()!
        let last = samples.map { $0.recordedAt.timeIntervalSince1970 }.max()!
        let longest = samples.map(\.intervalSeconds).max()!
        let width = bucketWidth(span: last - first, maximumBuckets: maximumBuckets, minimum: max(longest, 1))
        // Through the last sample's middle, where its work is counted: a sample ending just
        // past a bucket boundary must not open an empty bucket.
        return Buckets(from: first, through: samples.map(middle).max()!, width: width, end: last)
    }

    /// The middle of a sample's interval: where its work is counted.
    private static func middle(of sample: EngineSample) -> Double {
        sample.recordedAt.timeIntervalSince1970 - sample.intervalSeconds / 2
    }
}
