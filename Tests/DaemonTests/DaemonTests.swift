import Engine
import Foundation
import TestSupport
import XCTest
@testable import Daemon
@testable import JobStore

/// The daemon in-process, with the real engine and decoder on tiny models: what it writes for
/// good and bad jobs, result reuse, cancellation, dynamic batching, draining and shutdown.
final class DaemonTests: XCTestCase {
    /// A stop requested before (or while) the KV pool is made resident ends the start with
    /// `EngineError.stopped`, which jobsd logs as a clean stop; nothing is claimed.
    func testAShutdownWhileTheKVPoolIsMadeResidentStopsTheStart() throws {
        let fixture = try DaemonFixture()
        try fixture.submit([("c0", DaemonFixture.completion("the cat", maxTokens: 2))])
        let shutdown = ShutdownRequest()
        shutdown.request()
        XCTAssertThrowsError(try Daemon(store: fixture.store, model: fixture.model,
                                        engineOptions: EngineOptions(maxSequences: 2, kvMemoryBytes: 256 << 20),
                                        configuration: DaemonFixture.configuration(), logger: Logger(level: .debug, sink: fixture.logs.sink),
                                        shutdown: shutdown)) {
            XCTAssertEqual($0 as? EngineError, .stopped)
        }
        XCTAssertEqual(try fixture.jobs().map(\.state), [.queued])
    }

    func testCompletionAndChatJobsSucceedWithTimings() throws {
        let fixture = try DaemonFixture()
        try fixture.submit([
            ("c0", DaemonFixture.completion("the cat sat on the mat", maxTokens: 12)),
            ("c1", DaemonFixture.completion("a dog ran far", maxTokens: 5)),
            ("c2", DaemonFixture.completion("and the cat", maxTokens: 1)),
            ("chat0", DaemonFixture.chat("say the word cat", maxTokens: 10)),
            ("chat1", DaemonFixture.chat("and a dog", maxTokens: 3)),
        ], name: "mixed")
        let daemon = try fixture.daemon()
        let summary = daemon.run()

        XCTAssertEqual(summary.exit, .drained)
        XCTAssertEqual(summary.succeeded, 5)
        XCTAssertEqual(summary.failed, 0)
        for job in try fixture.jobs() {
            XCTAssertEqual(job.state, .succeeded, "\(job.customID): \(job.lastError ?? "")")
            XCTAssertEqual(job.attempts, 1)
            let (result, queueWait, total) = try fixture.result(job.id)
            XCTAssertEqual(result.model, "tiny gemma3")
            XCTAssertNil(result.reusedFromJobID)
            XCTAssertGreaterThan(result.promptTokens, 1, job.customID)
            let completion = result.completionTokens
            XCTAssertGreaterThanOrEqual(completion, 1)
            XCTAssertLessThanOrEqual(completion, try job.decodedRequest().maxTokens)
            let timings = result.timings
            XCTAssertGreaterThan(timings.timeToFirstToken, 0)
            XCTAssertGreaterThan(timings.prefill, 0)
            XCTAssertGreaterThanOrEqual(timings.decode, 0)
            XCTAssertGreaterThanOrEqual(timings.meanActiveSequences, 1)
            XCTAssertLessThanOrEqual(timings.meanActiveSequences, 5)
            XCTAssertGreaterThanOrEqual(queueWait, 0)
            XCTAssertGreaterThanOrEqual(total, timings.timeToFirstToken)
            if completion >= 2 { XCTAssertGreaterThan(timings.tokensPerSecond, 0, job.customID) }
        }
        // Chat prompts are rendered in the Gemma turn format, so they are longer than their text.
        let chatPrompt = try fixture.scalar("SELECT r.prompt_tokens FROM results r JOIN jobs j ON j.id = r.job_id WHERE j.custom_id = 'chat1'")
        XCTAssertGreaterThan(chatPrompt, "and a dog".count)
        XCTAssertEqual(fixture.logs.events("finish").count, 5)
        XCTAssertEqual(fixture.logs.events("claim").map { $0["batch"] }, Array(repeating: "mixed", count: 5))
    }

    func testPromptLongerThanContextFailsAloneWithMessage() throws {
        let fixture = try DaemonFixture()
        let long = String(repeating: "the cat sat on a mat ", count: 120)
        let batch = try fixture.submit([
            ("before", DaemonFixture.completion("the cat")),
            ("long", DaemonFixture.completion(long)),
            ("after", DaemonFixture.completion("a dog")),
        ])
        let summary = try fixture.daemon().run()

        XCTAssertEqual(summary.succeeded, 2)
        XCTAssertEqual(summary.failed, 1)
        let jobs = try fixture.jobs()
        XCTAssertEqual(jobs.map(\.state), [.succeeded, .failed, .succeeded])
        let failed = jobs[1]
        XCTAssertEqual(failed.attempts, 1, "a bad job is not retried")
        let error = try XCTUnwrap(failed.lastError)
        XCTAssertTrue(error.hasPrefix("prompt has ") && error.hasSuffix(" tokens; model context is 512"), error)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM results WHERE job_id = \(failed.id)"), 0)
        let fail = try XCTUnwrap(fixture.logs.events("fail").first)
        XCTAssertEqual(fail["custom_id"], "long")
        XCTAssertEqual(fail["batch"], batch.name)
        XCTAssertEqual(fail["error"], error)
    }

    /// The queue stores requests as text it never reads; the daemon reads each one when it
    /// admits the job, and a damaged one (a hand-edited database) fails that job alone.
    func testDamagedStoredRequestFailsItsJobAlone() throws {
        let fixture = try DaemonFixture()
        try fixture.submit([("good", DaemonFixture.completion("the cat")), ("bad", DaemonFixture.completion("a dog"))])
        try fixture.store.withConnection { try $0.execute("UPDATE jobs SET request = '{\"prompt\": 5}' WHERE custom_id = 'bad'") }
        let summary = try fixture.daemon().run()

        XCTAssertEqual(summary.succeeded, 1)
        XCTAssertEqual(summary.failed, 1)
        let jobs = try fixture.jobs()
        XCTAssertEqual(jobs.map(\.state), [.succeeded, .failed])
        XCTAssertEqual(jobs[1].attempts, 1, "a damaged request is not retried")
        let error = try XCTUnwrap(jobs[1].lastError)
        XCTAssertTrue(error.hasPrefix("stored request is damaged (prompt: "), error)
        XCTAssertTrue(error.hasSuffix("was the database edited by hand?"), error)
    }

    func testChatJobOnModelWithoutChatFormatFailsAlone() throws {
        // The tiny llama file has no chat template, and its vocabulary is not Llama 3's.
        let fixture = try DaemonFixture(family: .llama)
        XCTAssertNil(fixture.model.chatTemplate)
        try fixture.submit([("chat", DaemonFixture.chat("hello")), ("plain", DaemonFixture.completion("hello"))])
        let summary = try fixture.daemon().run()

        XCTAssertEqual(summary.succeeded, 1)
        XCTAssertEqual(summary.failed, 1)
        let chat = try fixture.jobs()[0]
        XCTAssertEqual(chat.state, .failed)
        let error = try XCTUnwrap(chat.lastError)
        XCTAssertTrue(error.hasPrefix("chat jobs cannot run on this model: "), error)
        XCTAssertTrue(error.contains("no chat template"), error)
    }

    func testReuseResultsAnswersIdenticalDeterministicRequestFromStore() throws {
        let fixture = try DaemonFixture()
        let greedy = DaemonFixture.completion("the dog sat", maxTokens: 6)
        let seeded = DaemonFixture.completion("the cat ran", maxTokens: 6, temperature: 0.8, seed: 42)
        let unseeded = DaemonFixture.completion("a mat", maxTokens: 6, temperature: 0.8)
        try fixture.submit([("greedy", greedy), ("seeded", seeded), ("unseeded", unseeded)], name: "first")
        XCTAssertEqual(try fixture.daemon(DaemonFixture.configuration(reuseResults: true)).run().succeeded, 3)

        // Without --reuse-results an identical request is generated again.
        try fixture.submit([("greedy", greedy)], name: "again")
        let plain = try fixture.daemon().run()
        XCTAssertEqual(plain.reused, 0)

        try fixture.submit([("greedy", greedy), ("seeded", seeded), ("unseeded", unseeded),
                            ("other", DaemonFixture.completion("the dog sat", maxTokens: 7))], name: "second")
        let summary = try fixture.daemon(DaemonFixture.configuration(reuseResults: true)).run()
        XCTAssertEqual(summary.succeeded, 4)
        XCTAssertEqual(summary.reused, 2, "greedy and seeded requests are reused; unseeded sampling and a different max_tokens are not")

        let jobs = try fixture.jobs()
        func job(_ batch: String, _ id: String) throws -> JobRecord {
            try XCTUnwrap(jobs.first { $0.batchName == batch && $0.customID == id })
        }
        let againGreedy = try fixture.result(job("again", "greedy").id).result
        XCTAssertNil(againGreedy.reusedFromJobID)
        for id in ["greedy", "seeded"] {
            let original = try fixture.result(job("first", id).id).result
            let reused = try fixture.result(job("second", id).id).result
            XCTAssertNotNil(reused.reusedFromJobID, id)
            XCTAssertEqual(reused.text, original.text, id)
            XCTAssertEqual(reused.completionTokens, original.completionTokens, id)
            XCTAssertEqual(reused.timings.timeToFirstToken, 0, "a reused result spent no time generating")
        }
        XCTAssertEqual(try fixture.result(job("second", "seeded").id).result.reusedFromJobID, try job("first", "seeded").id)
        XCTAssertNil(try fixture.result(job("second", "unseeded").id).result.reusedFromJobID)
        XCTAssertNil(try fixture.result(job("second", "other").id).result.reusedFromJobID)
        XCTAssertEqual(fixture.logs.events("finish").filter { $0["reused_from"] != nil }.count, 2)
    }

    func testEngineSamplesCountPromptAndGeneratedTokens() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(12, maxTokens: 10)
        let summary = try fixture.daemon(engine: DaemonFixture.engineOptions(maxSequences: 4, prefixCaching: false)).run()
        XCTAssertEqual(summary.succeeded, 12)

        let samples = try fixture.store.engineSamples()
        XCTAssertFalse(samples.isEmpty)
        XCTAssertEqual(samples.map(\.steps).reduce(0, +), summary.steps)
        XCTAssertEqual(samples.map(\.promptTokens).reduce(0, +), try fixture.scalar("SELECT sum(prompt_tokens) FROM results"))
        XCTAssertEqual(samples.map(\.generatedTokens).reduce(0, +), try fixture.scalar("SELECT sum(completion_tokens) FROM results"))
        for sample in samples {
            XCTAssertTrue(sample.owner.contains(":\(getpid()):"), sample.owner)
            XCTAssertGreaterThanOrEqual(sample.maxActiveSequences, 1)
            XCTAssertLessThanOrEqual(sample.maxActiveSequences, 4)
            XCTAssertGreaterThanOrEqual(sample.meanActiveSequences, 1)
            XCTAssertGreaterThan(sample.kvBlocksTotal, 0)
        }
        XCTAssertEqual(samples.map(\.maxActiveSequences).max(), 4, "twelve jobs keep four sequences busy")
    }

    // MARK: Leases and cancellation

    func testCancelledJobLeavesTheEngine() throws {
        let fixture = try DaemonFixture()
        try fixture.submit([("long", DaemonFixture.completion("the cat sat on the mat", maxTokens: 400))])
        let daemon = try fixture.daemon(DaemonFixture.configuration(leaseSeconds: 0.3, drain: false))
        XCTAssertEqual(daemon.tick(), .worked)
        XCTAssertEqual(daemon.engine.runningCount, 1)

        let cancelled = try fixture.store.cancel(.id(1))
        XCTAssertEqual(cancelled.state, .cancelled)
        // The next lease renewal (every third of the lease) finds the job gone.
        Thread.sleep(forTimeInterval: 0.11)
        _ = daemon.tick()
        XCTAssertFalse(daemon.engine.hasWork, "the cancelled job is dropped from the engine")
        XCTAssertEqual(daemon.summary.leasesLost, 1)
        XCTAssertEqual(daemon.summary.succeeded, 0)
        XCTAssertEqual(try fixture.job(1).state, .cancelled)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM results"), 0)
        XCTAssertEqual(fixture.logs.events("lost").first?["job"], "1")
    }

    func testLeasesAreRenewedWhileAJobRuns() throws {
        let fixture = try DaemonFixture()
        try fixture.submit([("long", DaemonFixture.completion("the cat sat on the mat", maxTokens: 400))])
        let daemon = try fixture.daemon(DaemonFixture.configuration(leaseSeconds: 0.3, drain: false))
        let start = Date()
        // About 25 tokens over three leases' time.
        while Date().timeIntervalSince(start) < 1, daemon.engine.hasWork || daemon.summary.succeeded == 0 {
            _ = daemon.tick()
            Thread.sleep(forTimeInterval: 0.04)
        }
        let job = try fixture.job(1)
        XCTAssertEqual(daemon.summary.leasesLost, 0)
        XCTAssertEqual(job.attempts, 1)
        XCTAssertEqual(job.state, .running, "400 tokens take longer than 25 steps")
        XCTAssertGreaterThan(try XCTUnwrap(job.leaseExpiresAt), Date())
        XCTAssertGreaterThan(fixture.logs.events("renew").count, 3)
    }

    func testDrainTakesOverAJobWhoseLeaseExpired() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(1)
        // Another daemon claimed the job and died.
        let stolen = try fixture.store.claim(limit: 1, owner: "dead-host:1:0", lease: 0.4)
        XCTAssertEqual(stolen.count, 1)

        let start = Date()
        let summary = try fixture.daemon().run()
        XCTAssertEqual(summary.exit, .drained)
        XCTAssertEqual(summary.succeeded, 1)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.3, "drain waits for the running job")
        let job = try fixture.job(1)
        XCTAssertEqual(job.state, .succeeded)
        XCTAssertEqual(job.attempts, 2)
    }

    func testDrainReturnsAtOnceOnAnEmptyQueue() throws {
        let fixture = try DaemonFixture()
        let start = Date()
        let summary = try fixture.daemon().run()
        XCTAssertEqual(summary.exit, .drained)
        XCTAssertEqual(summary.steps, 0)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    }

    // MARK: Dynamic batching

    func testJobsArrivingWithinMaxWaitStartInTheSameStep() throws {
        let fixture = try DaemonFixture()
        let metrics = DaemonMetrics()
        // A long wait that ends early because every sequence slot is taken.
        let daemon = try fixture.daemon(DaemonFixture.configuration(maxWait: 10, drain: false),
                                        engine: DaemonFixture.engineOptions(maxSequences: 3), metrics: metrics)
        for index in 0..<3 {
            try fixture.submit([("j\(index)", DaemonFixture.completion(DaemonFixture.prompt(index)))])
            eventually("job \(index) is claimed") {
                _ = daemon.tick()
                return daemon.engine.waitingCount + daemon.engine.runningCount == index + 1
            }
            if index < 2 { XCTAssertEqual(metrics.stepSequences.count, 0, "no step while gathering") }
        }
        // Taking the last slot ends the wait: the pass that claimed the third job ran the step.
        eventually("the first step runs") {
            if metrics.stepSequences.count == 0 { _ = daemon.tick() }
            return metrics.stepSequences.count > 0
        }
        XCTAssertEqual(metrics.stepSequences.count, 1)
        XCTAssertEqual(metrics.stepSequences.sum, 3, "the first step has all three jobs")
    }

    func testMaxWaitEndsWithASmallBatch() throws {
        let fixture = try DaemonFixture()
        let metrics = DaemonMetrics()
        let daemon = try fixture.daemon(DaemonFixture.configuration(maxWait: 0.2, drain: false), metrics: metrics)
        try fixture.submitCompletions(1)
        let start = Date()
        eventually("the first step runs") { daemon.tick() == .worked }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.19)
        XCTAssertEqual(metrics.stepSequences.sum, 1)
    }

    func testWithoutMaxWaitTheFirstJobStartsAtOnce() throws {
        let fixture = try DaemonFixture()
        let metrics = DaemonMetrics()
        let daemon = try fixture.daemon(DaemonFixture.configuration(maxWait: 0, drain: false), metrics: metrics)
        try fixture.submitCompletions(1)
        XCTAssertEqual(daemon.tick(), .worked)
        XCTAssertEqual(metrics.stepSequences.count, 1)
    }

    // MARK: Shutdown

    func testShutdownFinishesInFlightJobsAndClaimsNoMore() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(2, maxTokens: 6)
        let daemon = try fixture.daemon(DaemonFixture.configuration(drain: false),
                                        engine: DaemonFixture.engineOptions(maxSequences: 1))
        XCTAssertEqual(daemon.tick(), .worked)
        daemon.shutdown.request()
        var ticks = 0
        while daemon.tick() != .stopped { ticks += 1; XCTAssertLessThan(ticks, 100) }

        XCTAssertEqual(daemon.summary.exit, .shutdown)
        XCTAssertEqual(daemon.summary.succeeded, 1)
        XCTAssertEqual(daemon.summary.released, 0)
        let jobs = try fixture.jobs()
        XCTAssertEqual(jobs.map(\.state), [.succeeded, .queued])
        XCTAssertEqual(jobs[1].attempts, 0)
        XCTAssertEqual(fixture.logs.events("shutdown").first?["in_flight"], "1")
    }

    func testSecondShutdownRequestReleasesInFlightJobsWithoutCountingAnAttempt() throws {
        let fixture = try DaemonFixture()
        try fixture.submit([("long", DaemonFixture.completion("the cat sat on the mat", maxTokens: 400))])
        let daemon = try fixture.daemon(DaemonFixture.configuration(drain: false))
        XCTAssertEqual(daemon.tick(), .worked)
        daemon.shutdown.request()
        daemon.shutdown.request()
        XCTAssertEqual(daemon.tick(), .stopped)

        XCTAssertEqual(daemon.summary.released, 1)
        XCTAssertFalse(daemon.engine.hasWork)
        let job = try fixture.job(1)
        XCTAssertEqual(job.state, .queued)
        XCTAssertEqual(job.attempts, 0)
        XCTAssertNil(job.leaseOwner)
        XCTAssertEqual(fixture.logs.events("release").first?["jobs"], "1")
    }

    func testGracePeriodEndsByReleasingJobs() throws {
        let fixture = try DaemonFixture()
        try fixture.submit([("long", DaemonFixture.completion("the cat sat on the mat", maxTokens: 400))])
        let daemon = try fixture.daemon(DaemonFixture.configuration(drain: false, shutdownGrace: 0))
        XCTAssertEqual(daemon.tick(), .worked)
        daemon.shutdown.request()
        XCTAssertEqual(daemon.tick(), .stopped)
        XCTAssertEqual(daemon.summary.released, 1)
        XCTAssertEqual(try fixture.job(1).state, .queued)
    }

    // MARK: Logs

    func testEveryLogLineIsLogfmtWithTimestampLevelAndEvent() throws {
        let fixture = try DaemonFixture()
        try fixture.submit([("x y", DaemonFixture.completion("say \"hi\" = now", maxTokens: 3))], name: "logs")
        _ = try fixture.daemon().run()
        let lines = fixture.logs.all
        XCTAssertGreaterThan(lines.count, 3)
        for line in lines {
            let fields = try Logfmt.parse(line)
            let ts = try XCTUnwrap(fields["ts"], line)
            XCTAssertNotNil(ts.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression), ts)
            XCTAssertTrue(["debug", "info", "warn", "error"].contains(fields["level"] ?? ""), line)
            XCTAssertNotNil(fields["event"], line)
            XCTAssertTrue(line.hasPrefix("ts="), line)
        }
        let claim = try XCTUnwrap(fixture.logs.events("claim").first)
        XCTAssertEqual(claim["custom_id"], "x y")
        XCTAssertEqual(claim["attempt"], "1")
        XCTAssertTrue(fixture.logs.all.contains { $0.contains(#"custom_id="x y""#) })
        XCTAssertEqual(fixture.logs.events("stop").first?["reason"], "drained")
    }
}
