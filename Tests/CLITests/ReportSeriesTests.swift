import Foundation
import JobStore
@testable import JobsCLI
import XCTest

/// The arithmetic behind the report's charts: axis ticks, log-scale bins, and time buckets.
final class ReportSeriesTests: XCTestCase {
    func testLinearTicksAreRoundNumbersReachingPastTheMaximum() {
        let tokens = AxisTicks.linear(upTo: 112)
        XCTAssertEqual(tokens.top, 125)
        XCTAssertEqual(tokens.ticks.map(\.label), ["0", "25", "50", "75", "100", "125"])
        let small = AxisTicks.linear(upTo: 0.8, count: 4)
        XCTAssertEqual(small.ticks.map(\.label), ["0.0", "0.2", "0.4", "0.6", "0.8"])
        XCTAssertEqual(small.top, 0.8, accuracy: 1e-12)
        XCTAssertEqual(AxisTicks.linear(upTo: 12_000).ticks.last?.label, "12,500")
        XCTAssertEqual(AxisTicks.linear(upTo: 0).top, 1)
    }

    func testTimeTicksFallOnRoundLocalMinutes() {
        let start = 1_790_000_000.0 + 140  // some seconds past a minute
        let ticks = AxisTicks.time(start...(start + 290))
        XCTAssertGreaterThanOrEqual(ticks.count, 4)
        XCTAssertLessThanOrEqual(ticks.count, 7)
        for tick in ticks {
            let local = tick.value + Double(TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: tick.value)))
            XCTAssertEqual(local.truncatingRemainder(dividingBy: 60), 0, tick.label)
            XCTAssertTrue(tick.label.range(of: #"^\d\d:\d\d$"#, options: .regularExpression) != nil, tick.label)
            XCTAssertTrue((start...(start + 290)).contains(tick.value))
        }
        let seconds = AxisTicks.time(start...(start + 20))
        XCTAssertTrue(seconds.allSatisfy { $0.label.range(of: #"^\d\d:\d\d:\d\d$"#, options: .regularExpression) != nil },
                      "\(seconds)")
    }

    func testTimeTicksOverSeveralDaysDateTheFirstTickOfEachDay() {
        let start = 1_790_000_000.0
        let ticks = AxisTicks.time(start...(start + 3 * 86400))
        // The first tick of each day carries its date; the others only the time.
        let dated = ticks.filter { $0.label.range(of: #"^\d\d-\d\d \d\d:\d\d$"#, options: .regularExpression) != nil }
        XCTAssertEqual(dated.first, ticks.first, "\(ticks)")
        XCTAssertEqual(Set(dated.map { $0.label.prefix(5) }).count, dated.count, "\(ticks)")
        XCTAssertGreaterThanOrEqual(dated.count, 3, "\(ticks)")
        XCTAssertTrue(ticks.allSatisfy { $0.label.hasSuffix(":00") }, "\(ticks)")
    }

    func testDecadeTicksAreLabelledInMillisecondsAndSecondsAndThinnedWhenMany() {
        XCTAssertEqual(AxisTicks.decades(from: -1, to: 2).map(\.label), ["100 ms", "1 s", "10 s", "100 s"])
        XCTAssertEqual(AxisTicks.decades(from: -3, to: 3).map(\.label), ["1 ms", "", "100 ms", "", "10 s", "", "1000 s"])
        XCTAssertEqual(AxisTicks.decades(from: 3, to: 5).map(\.label), ["1000 s", "10⁴ s", "10⁵ s"])
        XCTAssertEqual(AxisTicks.decades(from: -5, to: -4).map(\.label), ["10⁻⁵ s", "10⁻⁴ s"])
    }

    func testLogHistogramHasFourBinsPerDecadeAndCountsTinyDurationsInTheFirst() throws {
        let histogram = try XCTUnwrap(LogHistogram([0, 0.0005, 0.002, 0.05, 1.0, 9.99]))
        XCTAssertEqual(histogram.lowerExponent, -3)
        XCTAssertEqual(histogram.upperExponent, 1)
        XCTAssertEqual(histogram.counts.count, 16)
        var expected = [Int](repeating: 0, count: 16)
        expected[0] = 2; expected[1] = 1; expected[6] = 1; expected[12] = 1; expected[15] = 1
        XCTAssertEqual(histogram.counts, expected)
        XCTAssertEqual(histogram.edge(4), -2)
        // A single value still gets a whole decade.
        let one = try XCTUnwrap(LogHistogram([0.3]))
        XCTAssertEqual([one.lowerExponent, one.upperExponent], [-1, 0])
        XCTAssertEqual(one.counts.reduce(0, +), 1)
        XCTAssertNil(LogHistogram([]))
    }

    func testTokensPerSecondAddsEveryDaemonsTokens() throws {
        let start = 1_790_000_000.0
        let samples = (1...10).flatMap { second in
            [sample("a", end: start + Double(second), generated: 10), sample("b", end: start + Double(second), generated: 20)]
        }
        let series = try XCTUnwrap(ReportSeries.tokensPerSecond(samples: samples))
        XCTAssertEqual(series.width, 1)
        XCTAssertEqual(series.points.count, 10)
        for point in series.points { XCTAssertEqual(point.value, 30, accuracy: 1e-9) }
        XCTAssertEqual(series.points.first!.time, start + 0.5)
        XCTAssertNil(ReportSeries.tokensPerSecond(samples: []))
    }

    func testSampleEndingOnABucketBoundaryOpensNoEmptyBucket() throws {
        let start = 1_790_000_000.0
        let samples = (1...20).map { sample("a", end: start + Double($0), generated: 50) }
        let series = try XCTUnwrap(ReportSeries.tokensPerSecond(samples: samples, maximumBuckets: 5))
        XCTAssertEqual(series.width, 5)
        XCTAssertEqual(series.points.map(\.value), [50, 50, 50, 50])
    }

    func testIdleTimeBetweenSamplesCountsAsZero() throws {
        let start = 1_790_000_000.0
        let samples = [sample("a", end: start + 1, generated: 10), sample("a", end: start + 10, generated: 10)]
        let series = try XCTUnwrap(ReportSeries.tokensPerSecond(samples: samples))
        XCTAssertEqual(series.points.map(\.value), [10, 0, 0, 0, 0, 0, 0, 0, 0, 10])
    }

    func testEstimateFromResultsSpreadsTokensOverEachRun() throws {
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let jobs = [
            timing(1, claimed: start, finished: start.addingTimeInterval(100), tokens: 1000),
            timing(2, claimed: start.addingTimeInterval(50), finished: start.addingTimeInterval(100), tokens: 500),
            timing(3, claimed: start, finished: start.addingTimeInterval(30), tokens: 0),
        ]
        let series = try XCTUnwrap(ReportSeries.tokensPerSecond(finished: jobs))
        XCTAssertEqual(series.width, 2)
        XCTAssertEqual(series.points.count, 50)
        for point in series.points {
            let expected = point.time < start.timeIntervalSince1970 + 50 ? 10.0 : 20.0
            XCTAssertEqual(point.value, expected, accuracy: 1e-9)
        }
        XCTAssertNil(ReportSeries.tokensPerSecond(finished: [jobs[2]]))
    }

    func testActiveSequencesAreStepWeightedPerDaemonThenSummed() throws {
        let start = 1_790_000_000.0
        let samples = [
            sample("a", end: start + 1, steps: 10, mean: 2, maximum: 3),
            sample("a", end: start + 2, steps: 30, mean: 4, maximum: 5),
            sample("b", end: start + 2, steps: 5, mean: 1, maximum: 1),
        ]
        let series = try XCTUnwrap(ReportSeries.activeSequences(samples: samples, maximumBuckets: 1))
        XCTAssertEqual(series.width, 2)
        XCTAssertEqual(series.mean.map(\.value), [3.5 + 1])
        XCTAssertEqual(series.maximum.map(\.value), [5 + 1])
        XCTAssertNil(ReportSeries.activeSequences(samples: []))
    }

    func testBucketWidthIsARoundUnitWithinTheLimit() {
        XCTAssertEqual(ReportSeries.bucketWidth(span: 100, maximumBuckets: 150), 1)
        XCTAssertEqual(ReportSeries.bucketWidth(span: 8 * 3600, maximumBuckets: 150), 300)
        XCTAssertEqual(ReportSeries.bucketWidth(span: 100, maximumBuckets: 150, minimum: 1.5), 2)
        XCTAssertEqual(ReportSeries.bucketWidth(span: 400 * 86400, maximumBuckets: 100), 345_600)
    }

    private func sample(_ owner: String, end: Double, generated: Int = 0, steps: Int = 10, mean: Double = 1,
                        maximum: Int = 1) -> EngineSample {
        EngineSample(owner: owner, recordedAt: Date(timeIntervalSince1970: end), intervalSeconds: 1, steps: steps,
                     meanActiveSequences: mean, maxActiveSequences: maximum, waitingSequences: 0, promptTokens: 0,
                     generatedTokens: generated, kvBlocksUsed: 0, kvBlocksTotal: 64)
    }

    private func timing(_ id: Int64, claimed: Date, finished: Date, tokens: Int) -> FinishedJobTiming {
        FinishedJobTiming(jobID: id, state: .succeeded, claimedAt: claimed, finishedAt: finished, completionTokens: tokens,
                          queueWait: 0, timeToFirstToken: 0.1, total: finished.timeIntervalSince(claimed))
    }
}
