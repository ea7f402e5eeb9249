import Foundation
import JobStore
import XCTest
@testable import JobsCLI

final class WaitCommandTests: XCTestCase {
    /// A clock whose `sleep` advances time and lets a fake daemon finish one job per tick.
    private func tickingClock(harness: CLIHarness, store: JobStore) -> CommandClock {
        let time = TestTime()
        return CommandClock(now: { time.now }, sleep: { seconds in
            time.advance(seconds)
            if let job = try? store.claim(limit: 1, owner: "fake", lease: 60).first {
                _ = try? store.complete(jobID: job.id, owner: "fake", result: CLIHarness.result(for: job))
            }
        })
    }

    func testPrintsPlainLinesUntilTheBatchIsFinished() throws {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", harness.file("p.jsonl", CLIHarness.shortLines)).code, 0)
        harness.clock = tickingClock(harness: harness, store: try harness.store())
        let outcome = harness.run("wait", "--batch", "p")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertEqual(outcome.output, """
            0/3 jobs finished (0 succeeded, 0 failed, 0 cancelled), 0 running, 3 queued; - tokens/s, ETA ?
            1/3 jobs finished (1 succeeded, 0 failed, 0 cancelled), 0 running, 2 queued; 1.6 tokens/s, ETA 10.0 s
            2/3 jobs finished (2 succeeded, 0 failed, 0 cancelled), 0 running, 1 queued; 1.6 tokens/s, ETA 5.0 s
            Batch p finished: 3 succeeded, 0 failed, 0 cancelled (waited 15.0 s).

            """)
    }

    func testDrawsAProgressBarOnATerminal() throws {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", harness.file("p.jsonl", CLIHarness.shortLines)).code, 0)
        harness.clock = tickingClock(harness: harness, store: try harness.store())
        harness.terminal = true
        let outcome = harness.run("wait")
        XCTAssertEqual(outcome.code, 0)
        let frames = outcome.output.components(separatedBy: "\r\u{1B}[2K").filter { !$0.isEmpty }
        XCTAssertEqual(frames.count, 4, outcome.output)
        XCTAssertTrue(frames[1].hasPrefix("[██████████░░░░░░░░░░░░░░░░░░░░]  1/3  33%  16.0 tokens/s, ETA 1.0 s"), frames[1])
        XCTAssertTrue(frames[3].hasSuffix("\nAll jobs finished: 3 succeeded, 0 failed, 0 cancelled (waited 1.5 s).\n"), frames[3])
    }

    func testReturnsAtOnceWhenNothingIsLeft() throws {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", harness.file("p.jsonl", CLIHarness.shortLines)).code, 0)
        try harness.completeAll()
        harness.clock = CommandClock(now: { Date() }, sleep: { _ in XCTFail("should not sleep") })
        XCTAssertEqual(harness.run("wait", "--batch", "p").output,
                       "Batch p finished: 3 succeeded, 0 failed, 0 cancelled (waited 0 ms).\n")
        XCTAssertEqual(harness.run("wait", "--batch", "nope").code, 1)
    }

    func testWarnsWhenNothingMovesForAMinute() {
        var counts = JobCounts()
        counts.queued = 2
        let start = Date(timeIntervalSince1970: 0)
        var progress = WaitProgress(counts: counts, at: start)
        progress.record(counts, at: start.addingTimeInterval(59))
        XCTAssertFalse(progress.plainLine().contains("jobsd"))
        progress.record(counts, at: start.addingTimeInterval(61))
        XCTAssertTrue(progress.plainLine().hasSuffix("; no progress for 1m 01s: is jobsd running?"), progress.plainLine())
        // A job running under a live lease may simply be long: no hint.
        counts.queued = 1
        counts.running = 1
        progress = WaitProgress(counts: counts, at: start)
        progress.record(counts, at: start.addingTimeInterval(120))
        XCTAssertFalse(progress.isStalled)
        // Its lease expired: the daemon is gone.
        counts.expiredLeases = 1
        progress.record(counts, at: start.addingTimeInterval(121))
        progress.record(counts, at: start.addingTimeInterval(190))
        XCTAssertTrue(progress.isStalled)
    }
}

/// A settable clock for the wait tests.
final class TestTime: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)

    var now: Date { lock.withLock { current } }

    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}
