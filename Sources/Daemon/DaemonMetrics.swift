import JobStore

/// The daemon's metrics, named after Prometheus conventions (`_total` counters, `_seconds`,
/// `_bytes`). Counters count what this daemon did since it started; `jobs_jobs` is the whole
/// database, read every few seconds.
public final class DaemonMetrics: Sendable {
    public let registry: MetricsRegistry

    let jobsByState: [JobState: Gauge]
    let claimed: Counter
    let finished: Counter
    let failed: Counter
    let retried: Counter
    let reused: Counter
    let released: Counter
    let leasesLost: Counter
    let storeErrors: Counter
    let promptTokens: Counter
    let generatedTokens: Counter
    let prefixCacheHitTokens: Counter
    let preemptions: Counter
    let stepDuration: Histogram
    let stepSequences: Histogram
    let stepTokens: Histogram
    let timeToFirstToken: Histogram
    let jobDuration: Histogram
    let runningSequences: Gauge
    let waitingSequences: Gauge
    let kvBlocksUsed: Gauge
    let kvBlocksFree: Gauge
    let kvBlockBytes: Gauge
    let maxSequences: Gauge

    public init(registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
        let r = registry
        var byState: [JobState: Gauge] = [:]
        for state in [JobState.queued, .running, .succeeded, .failed, .cancelled] {
            byState[state] = r.gauge("jobs_jobs", help: "Jobs in the database by state, read every few seconds.",
                                     labels: [("state", state.rawValue)])
        }
        jobsByState = byState
        claimed = r.counter("jobs_claimed_total", help: "Jobs this daemon claimed (each claim is an attempt).")
        finished = r.counter("jobs_finished_total", help: "Jobs this daemon completed successfully.")
        failed = r.counter("jobs_failed_total", help: "Jobs this daemon failed for good (not retryable, or out of attempts).")
        retried = r.counter("jobs_retried_total", help: "Failed attempts put back in the queue with backoff.")
        reused = r.counter("jobs_reused_total", help: "Jobs answered from an identical earlier result (--reuse-results).")
        released = r.counter("jobs_released_total", help: "Unfinished jobs handed back to the queue at shutdown.")
        leasesLost = r.counter("jobs_leases_lost_total", help: "Jobs dropped because their lease was lost (expired, cancelled or taken over).")
        storeErrors = r.counter("jobs_store_errors_total", help: "Database operations that failed and were retried (locked, read-only, disk full).")
        promptTokens = r.counter("jobs_prompt_tokens_total", help: "Prompt tokens computed by the engine (prefix-cache hits not included).")
        generatedTokens = r.counter("jobs_generated_tokens_total", help: "Tokens generated (sampled) by the engine.")
        prefixCacheHitTokens = r.counter("jobs_prefix_cache_hit_tokens_total", help: "Prompt tokens taken from the prefix cache instead of computed.")
        preemptions = r.counter("jobs_preemptions_total", help: "Sequences preempted to free KV blocks (recomputed later).")
        stepDuration = r.histogram("jobs_step_duration_seconds", help: "Wall time of one engine step (one forward pass over the forward batch).",
                                   buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        stepSequences = r.histogram("jobs_step_batch_size", help: "Sequences in one engine step.",
                                    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
        stepTokens = r.histogram("jobs_step_tokens", help: "Tokens in one engine step's forward pass.",
                                 buckets: [1, 4, 16, 64, 128, 256, 512, 1024, 2048, 4096])
        timeToFirstToken = r.histogram("jobs_time_to_first_token_seconds", help: "From a job entering the engine to its first generated token.",
                                       buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])
        jobDuration = r.histogram("jobs_job_duration_seconds", help: "From claim to the stored result, for jobs that succeeded.",
                                  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600])
        runningSequences = r.gauge("jobs_engine_sequences", help: "Sequences in the engine.", labels: [("state", "running")])
        waitingSequences = r.gauge("jobs_engine_sequences", help: "Sequences in the engine.", labels: [("state", "waiting")])
        kvBlocksUsed = r.gauge("jobs_kv_blocks", help: "KV cache blocks.", labels: [("state", "used")])
        kvBlocksFree = r.gauge("jobs_kv_blocks", help: "KV cache blocks.", labels: [("state", "free")])
        kvBlockBytes = r.gauge("jobs_kv_block_bytes", help: "Bytes of one KV cache block (all layers).")
        maxSequences = r.gauge("jobs_engine_max_sequences", help: "Most sequences the engine runs at once (--max-seqs).")
    }

    func update(counts: JobCounts) {
        for (state, gauge) in jobsByState { gauge.set(counts[state]) }
    }
}
