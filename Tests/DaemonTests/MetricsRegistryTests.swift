import XCTest
@testable import Daemon

final class MetricsRegistryTests: XCTestCase {
    func testExpositionGroupsSeriesByFamilyWithHelpAndType() {
        let registry = MetricsRegistry()
        let finished = registry.counter("jobs_finished_total", help: "Jobs done.")
        let queued = registry.gauge("jobs_jobs", help: "Jobs by state.", labels: [("state", "queued")])
        let running = registry.gauge("jobs_jobs", help: "Jobs by state.", labels: [("state", "running")])
        finished.increment()
        finished.increment(by: 2)
        queued.set(7)
        running.set(0.5)
        XCTAssertEqual(registry.exposition(), """
            # HELP jobs_finished_total Jobs done.
            # TYPE jobs_finished_total counter
            jobs_finished_total 3
            # HELP jobs_jobs Jobs by state.
            # TYPE jobs_jobs gauge
            jobs_jobs{state="queued"} 7
            jobs_jobs{state="running"} 0.5

            """)
    }

    func testHistogramBucketsAreCumulativeWithSumAndCount() {
        let registry = MetricsRegistry()
        let histogram = registry.histogram("jobs_step_duration_seconds", help: "Step time.", buckets: [0.01, 0.1, 1])
        for value in [0.005, 0.01, 0.05, 0.5, 3] { histogram.observe(value) }
        XCTAssertEqual(registry.exposition(), """
            # HELP jobs_step_duration_seconds Step time.
            # TYPE jobs_step_duration_seconds histogram
            jobs_step_duration_seconds_bucket{le="0.01"} 2
            jobs_step_duration_seconds_bucket{le="0.1"} 3
            jobs_step_duration_seconds_bucket{le="1"} 4
            jobs_step_duration_seconds_bucket{le="+Inf"} 5
            jobs_step_duration_seconds_sum 3.565
            jobs_step_duration_seconds_count 5

            """)
        XCTAssertEqual(histogram.count, 5)
    }

    func testLabelValuesAndHelpAreEscaped() {
        let registry = MetricsRegistry()
        registry.gauge("x", help: "line\\nbreak \\ and\nnewline", labels: [("path", "a\"b\\c\nd")]).set(1)
        XCTAssertEqual(registry.exposition(), """
            # HELP x line\\\\nbreak \\\\ and\\nnewline
            # TYPE x gauge
            x{path="a\\"b\\\\c\\nd"} 1

            """)
    }

    func testCountersAreThreadSafe() {
        let registry = MetricsRegistry()
        let counter = registry.counter("c_total", help: "c")
        let histogram = registry.histogram("h", help: "h", buckets: [1])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1000 {
                counter.increment()
                histogram.observe(0.5)
            }
        }
        XCTAssertEqual(counter.value, 8000)
        XCTAssertEqual(histogram.count, 8000)
    }

    func testMetricNamesFollowPrometheusRules() {
        XCTAssertTrue(MetricsRegistry.isValidName("jobs_kv_block_bytes"))
        XCTAssertTrue(MetricsRegistry.isValidName("a:b_c9"))
        XCTAssertFalse(MetricsRegistry.isValidName("9lives"))
        XCTAssertFalse(MetricsRegistry.isValidName("jobs-total"))
        XCTAssertFalse(MetricsRegistry.isValidName(""))
    }

    func testDaemonMetricsUseConventionalNames() {
        let text = DaemonMetrics().registry.exposition()
        let families = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ") }
        XCTAssertFalse(families.isEmpty)
        for family in families {
            let name = String(family[2]), type = String(family[3])
            XCTAssertTrue(name.hasPrefix("jobs_"), name)
            XCTAssertEqual(name.hasSuffix("_total"), type == "counter", "\(name) is a \(type)")
        }
        for name in ["jobs_jobs", "jobs_finished_total", "jobs_failed_total", "jobs_prompt_tokens_total",
                     "jobs_generated_tokens_total", "jobs_prefix_cache_hit_tokens_total", "jobs_step_duration_seconds",
                     "jobs_step_batch_size", "jobs_time_to_first_token_seconds", "jobs_job_duration_seconds",
                     "jobs_kv_blocks", "jobs_kv_block_bytes"] {
            XCTAssertTrue(text.contains("# TYPE \(name) "), name)
        }
        XCTAssertTrue(text.contains(#"jobs_jobs{state="queued"} 0"#))
        XCTAssertTrue(text.contains(#"jobs_kv_blocks{state="free"} 0"#))
    }
}
