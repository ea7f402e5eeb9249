import XCTest
@testable import Daemon
@testable import JobStore

/// The daemon's metrics, scraped over HTTP from a real listener while the daemon works.
final class DaemonMetricsTests: XCTestCase {
    func testScrapedCountersFollowWhatTheDaemonDid() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(6, maxTokens: 7)
        try fixture.submit([("too-long", DaemonFixture.completion(String(repeating: "the cat sat ", count: 200)))])
        let metrics = DaemonMetrics()
        let server = try MetricsServer(address: MetricsAddress(host: "127.0.0.1", port: 0), registry: metrics.registry)
        server.start()
        defer { server.stop() }
        func scrape() throws -> String {
            let response = try HTTPClient.get(port: server.address.port, path: "/metrics")
            XCTAssertEqual(response.status, 200)
            return response.body
        }
        func value(_ name: String, _ text: String) -> Double { HTTPClient.sample(name, in: text) ?? -1 }

        let daemon = try fixture.daemon(engine: DaemonFixture.engineOptions(maxSequences: 3, prefixCaching: false),
                                        metrics: metrics)
        let before = try scrape()
        XCTAssertEqual(value("jobs_finished_total", before), 0)
        XCTAssertEqual(value("jobs_kv_blocks{state=\"used\"}", before), 0)
        XCTAssertGreaterThan(value("jobs_kv_blocks{state=\"free\"}", before), 0)
        XCTAssertGreaterThan(value("jobs_kv_block_bytes", before), 0)

        XCTAssertEqual(daemon.tick(), .worked)
        let during = try scrape()
        XCTAssertEqual(value("jobs_claimed_total", during), 3, "three sequence slots")
        XCTAssertEqual(value("jobs_engine_sequences{state=\"running\"}", during), 3)
        XCTAssertGreaterThan(value("jobs_kv_blocks{state=\"used\"}", during), 0)
        XCTAssertEqual(value("jobs_step_batch_size_count", during), 1)
        XCTAssertEqual(value("jobs_jobs{state=\"queued\"}", during), 7, "counts were read from the database before the claim")

        while daemon.tick() != .stopped {}
        let after = try scrape()
        XCTAssertEqual(value("jobs_finished_total", after), 6)
        XCTAssertEqual(value("jobs_failed_total", after), 1)
        XCTAssertEqual(value("jobs_claimed_total", after), 7)
        XCTAssertEqual(value("jobs_generated_tokens_total", after), Double(try fixture.scalar("SELECT sum(completion_tokens) FROM results")))
        XCTAssertEqual(value("jobs_prompt_tokens_total", after), Double(try fixture.scalar("SELECT sum(prompt_tokens) FROM results")))
        XCTAssertEqual(value("jobs_step_batch_size_count", after), Double(daemon.summary.steps))
        XCTAssertEqual(value("jobs_step_duration_seconds_count", after), Double(daemon.summary.steps))
        XCTAssertEqual(value("jobs_time_to_first_token_seconds_count", after), 6)
        XCTAssertEqual(value("jobs_job_duration_seconds_count", after), 6)
        XCTAssertEqual(value("jobs_step_batch_size_bucket{le=\"4\"}", after), Double(daemon.summary.steps), "at most three per step")
        XCTAssertEqual(value("jobs_kv_blocks{state=\"used\"}", after), 0)
        XCTAssertEqual(value("jobs_jobs{state=\"succeeded\"}", after), 6)
        XCTAssertEqual(value("jobs_jobs{state=\"failed\"}", after), 1)
    }

    func testPrefixCacheHitsAreCounted() throws {
        let fixture = try DaemonFixture()
        // Prompts sharing 40+ tokens: later ones reuse the first one's full KV blocks.
        let shared = String(repeating: "the cat sat on a mat and ", count: 4)
        try fixture.submit((0..<4).map { ("s\($0)", DaemonFixture.completion(shared + "dog \($0)", maxTokens: 3)) })
        let metrics = DaemonMetrics()
        let summary = try fixture.daemon(engine: DaemonFixture.engineOptions(maxSequences: 1), metrics: metrics).run()
        XCTAssertEqual(summary.succeeded, 4)
        let reused = try fixture.scalar("SELECT sum(prefix_tokens_reused) FROM results")
        XCTAssertGreaterThan(reused, 0)
        XCTAssertEqual(metrics.prefixCacheHitTokens.value, Double(reused))
    }
}
