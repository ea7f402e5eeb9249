import Engine
import Foundation
import JobStore
import RequestFormats
import Model

/// The loop between the queue and the engine: claims jobs under a lease, hands them to the
/// engine, steps it, and writes each result (or failure) back in the same transaction as the
/// job's state change.
///
/// One pass of the loop:
/// 1. write outcomes the database refused earlier (locked, read-only, full disk);
/// 2. renew the leases every third of a lease, and whenever a job has `checkpointTokens` new
///    tokens or `checkpointInterval` has passed, with the checkpoints of the jobs that moved on
///    in the same transaction; jobs the store no longer gives us (cancelled, expired, taken
///    over) leave the engine;
/// 3. claim up to `engine.freeSequenceSlots` jobs. Dynamic batching: when jobs arrive at an
///    idle engine, keep claiming for up to `maxWait` before the first step, so jobs submitted
///    together start together;
/// 4. run one engine step and write what finished;
/// 5. with nothing to compute, sleep until the next poll (or a shutdown request).
///
/// A job claimed with a checkpoint (its earlier attempt crashed, lost its lease or was released
/// on SIGTERM) continues from it, as a whole: every choice from its saved tokens and random
/// state, unless the checkpoint was written with another model or cannot be read or does not
/// fit the job (`checkpoint_ignored`); then it starts from its prompt.
///
/// A job that cannot run (prompt longer than the context, a chat job on a model without a
/// chat format, a bad sampling parameter) fails alone, for good, with the engine's message.
/// A failed forward pass fails the jobs in the engine as retryable. Database errors (a lock
/// held by another process, a full disk, a read-only file) never stop the loop and never lose
/// a finished job: generation goes on, outcomes wait in memory and every kind of database work
/// is retried with its own backoff (`StoreRetry`), with a `store_error` line saying what waits
/// and why, and a `store_recovered` line saying how long it waited. The leases of waiting
/// outcomes stay ours: nobody else can take the jobs over while the database refuses writes,
/// and `complete` writes a result as long as no other daemon has reclaimed its job.
///
/// Not thread-safe: `run()` owns the engine on the calling thread. Other threads stop it
/// through `shutdown` (first request: finish in-flight jobs within `shutdownGrace`, then
/// release the rest; second request: release at once).
public final class Daemon {
    public let configuration: DaemonConfiguration
    public let engine: Engine
    /// Reported in results and matched by result reuse.
    public let modelName: String
    /// Written with checkpoints; a checkpoint written with another model is not resumed.
    public let modelIdentity: String
    public let shutdown: ShutdownRequest
    public let metrics: DaemonMetrics
    private let store: JobStore
    private let builder: GenerationRequestBuilder
    private let logger: Logger

    /// Jobs in the engine, by id.
    private var running: [Int64: RunningJob] = [:]
    /// The job of each engine sequence that is not a job's first choice (`n` > 1).
    private var jobOfChoice: [Int64: Int64] = [:]
    /// Outcomes the database has not taken yet, oldest first. Their leases are still renewed.
    private var unwritten: [JobOutcome] = []
    /// What this daemon did so far.
    public private(set) var summary = DaemonSummary()
    private var activity = EngineActivity()

    // Schedule, in seconds of `MonotonicClock`.
    private var nextClaimAt = 0.0
    private var nextRenewalAt = 0.0
    /// When the time-based checkpoint is due (`checkpointInterval` after the last one).
    private var nextCheckpointAt = 0.0
    private var nextCountsAt = 0.0
    /// Backoff of each kind of database work while the database refuses it, so a broken
    /// database is not hammered: claims from the poll interval doubling to 5 s, outcome writes
    /// from 0.25 s to 10 s, lease renewals from 1 s (at most a tenth of the lease) to a third of
    /// the lease.
    private var claimRetry: StoreRetry
    private var writeRetry = StoreRetry(initial: 0.25, maximum: 10)
    private var renewRetry: StoreRetry
    private var countsRetry: StoreRetry
    /// Engine samples are dropped while the database refuses them; this only spaces the log lines.
    private var samplesRetry = StoreRetry(initial: 1, maximum: 30)
    /// Set while gathering a first batch for an idle engine (dynamic batching).
    private var gatherUntil: Double?
    /// Set by the first shutdown request: in-flight jobs must be done by then.
    private var stopDeadline: Double?
    /// Whether the last claim found the queue empty (so a drain may be over).
    private var queueLooksEmpty = false

    /// Reserves the engine's KV memory; throws `EngineError` when it cannot, `.stopped` when
    /// `shutdown` was requested meanwhile.
    public convenience init(store: JobStore, model: LoadedModel, engineOptions: EngineOptions,
                            configuration: DaemonConfiguration, logger: Logger, metrics: DaemonMetrics = DaemonMetrics(),
                            shutdown: ShutdownRequest = ShutdownRequest()) throws {
        let decoder = model.model
        try self.init(store: store, languageModel: decoder, modelName: model.name, modelIdentity: model.identity,
                      requests: GenerationRequestBuilder(model: model), engineOptions: engineOptions,
                      configuration: configuration, logger: logger, metrics: metrics, shutdown: shutdown,
                      attentionClock: { decoder.attentionSeconds })
    }

    /// The parts of a `LoadedModel` separately, so tests can wrap the decoder.
    init(store: JobStore, languageModel: any LanguageModel, modelName: String, modelIdentity: String? = nil,
         requests: GenerationRequestBuilder,
         engineOptions: EngineOptions, configuration: DaemonConfiguration, logger: Logger, metrics: DaemonMetrics,
         shutdown: ShutdownRequest, attentionClock: (@Sendable () -> Double)? = nil) throws {
        engine = try Engine(model: languageModel, tokenizer: requests.tokenizer, options: engineOptions,
                            attentionClock: attentionClock, stopRequested: { shutdown.count > 0 })
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.shutdown = shutdown
        self.modelName = modelName
        self.modelIdentity = modelIdentity ?? modelName
        builder = requests
        claimRetry = StoreRetry(initial: configuration.pollInterval, maximum: max(5, configuration.pollInterval))
        let renewal = min(1, configuration.leaseSeconds / 10)
        renewRetry = StoreRetry(initial: renewal, maximum: max(renewal, configuration.leaseSeconds / 3))
        countsRetry = StoreRetry(initial: configuration.countsInterval, maximum: configuration.countsInterval)
        nextCheckpointAt = MonotonicClock.now() + configuration.checkpointInterval
        metrics.kvBlockBytes.set(engine.kvLayout.bytesPerBlock)
        metrics.maxSequences.set(engineOptions.maxSequences)
        updateEngineGauges()
    }

    // MARK: Loop

    /// Works the queue until a shutdown request has been handled or, with `drain`, until
    /// nothing is queued or running. Returns what this daemon did.
    public func run() -> DaemonSummary {
        while true {
            switch tick() {
            case .worked: continue
            case .idle(let seconds): shutdown.wait(seconds: seconds)
            case .stopped: return summary
            }
        }
    }

    /// What one pass of the loop did.
    enum Tick: Equatable {
        /// Ran an engine step: go on at once.
        case worked
        /// Nothing to compute: sleep this long (a shutdown request wakes the sleep).
        case idle(seconds: Double)
        /// Shut down or drained; `summary.exit` says which.
        case stopped
    }

    /// One pass of the loop (the tests drive the daemon with it).
    func tick() -> Tick {
        precondition(summary.exit == .none, "the daemon has stopped")
        let now = MonotonicClock.now()
        if shutdown.count > 0 {
            if stopDeadline == nil { beginShutdown(now) }
            if shutdown.count > 1 || now >= stopDeadline! { releaseRunningJobs(now) }
        }
        writeUnwritten(now)
        renewLeasesIfDue(now)
        refreshCountsIfDue(now)
        if stopDeadline == nil { claimIfDue(now) }

        if engine.hasWork && !isGathering(now) {
            if step() { return .worked }
        } else {
            recordActivity(force: true)
        }

        if let deadline = stopDeadline, running.isEmpty,
           unwritten.isEmpty || shutdown.count > 1 || MonotonicClock.now() >= deadline {
            abandonUnwritten()
            return stop(.shutdown)
        }
        if configuration.drain, isDrained() { return stop(.drained) }
        return .idle(seconds: sleepSeconds(MonotonicClock.now()))
    }

    private func stop(_ exit: DaemonSummary.Exit) -> Tick {
        recordActivity(force: true)
        summary.exit = exit
        logger.info("stop", ("reason", exit.rawValue), ("owner", configuration.owner),
                    ("succeeded", summary.succeeded), ("failed", summary.failed), ("retried", summary.retried),
                    ("reused", summary.reused), ("released", summary.released), ("lost", summary.leasesLost),
                    ("steps", summary.steps))
        return .stopped
    }

    /// How long to sleep when there is nothing to compute: until the next scheduled task, at
    /// most one poll interval.
    private func sleepSeconds(_ now: Double) -> Double {
        var next = now + configuration.pollInterval
        if stopDeadline == nil { next = min(next, nextClaimAt) }
        if let gatherUntil { next = min(next, gatherUntil) }
        if let stopDeadline { next = min(next, stopDeadline) }
        if !running.isEmpty || !unwritten.isEmpty { next = min(next, nextRenewalAt) }
        if !unwritten.isEmpty { next = min(next, max(now, writeRetry.nextAttemptAt)) }
        return max(0.001, next - now)
    }

    private func isGathering(_ now: Double) -> Bool {
        guard let gatherUntil else { return false }
        return stopDeadline == nil && now < gatherUntil && engine.freeSequenceSlots > 0
    }

    private func isDrained() -> Bool {
        guard queueLooksEmpty, running.isEmpty, unwritten.isEmpty, !engine.hasWork else { return false }
        let now = MonotonicClock.now()
        guard countsRetry.isDue(now) else { return false }
        do {
            let counts = try store.counts()
            storeRecovered("count jobs", &countsRetry, now: now)
            metrics.update(counts: counts)
            return counts.queued == 0 && counts.running == 0
        } catch {
            storeProblem("count jobs", error, &countsRetry, now: now)
            return false
        }
    }

    // MARK: Claims

    private func claimIfDue(_ now: Double) {
        let limit = engine.freeSequenceSlots
        // While finished outcomes wait for the database (locked, full), claiming more work only
        // piles up more; and the claim would return our own expired jobs to the queue, voiding
        // their waiting results. The writes go first.
        guard now >= nextClaimAt, limit > 0, !writeRetry.isFailing else { return }
        let claimed: [ClaimedJob]
        do {
            claimed = try store.claim(limit: limit, owner: configuration.owner, lease: configuration.leaseSeconds)
        } catch {
            storeProblem("claim jobs", error, &claimRetry, now: now)
            nextClaimAt = claimRetry.nextAttemptAt
            return
        }
        storeRecovered("claim jobs", &claimRetry, now: now)
        queueLooksEmpty = claimed.isEmpty
        let wasIdle = !engine.hasWork
        for job in claimed { admit(job, now: now) }

        if wasIdle, engine.hasWork, configuration.maxWait > 0, gatherUntil == nil {
            gatherUntil = now + configuration.maxWait
        }
        // A full claim may have left more behind: claim again as soon as there is room.
        // Otherwise poll; quickly while gathering a first batch.
        let gatherPoll = max(0.005, min(configuration.pollInterval, configuration.maxWait / 5))
        nextClaimAt = claimed.count == limit ? now : now + (isGathering(now) ? gatherPoll : configuration.pollInterval)
    }

    /// Puts a claimed job into the engine, answers it from an identical earlier result, or
    /// fails it when it cannot run.
    private func admit(_ job: ClaimedJob, now: Double) {
        metrics.claimed.increment()
        logger.info("claim", ("job", job.id), ("batch", job.batchName), ("custom_id", job.customID),
                    ("attempt", job.attempt), ("max_attempts", job.maxAttempts))
        // Our own lease on this job expired and we claimed it again before noticing: the old
        // run is void.
        if let stale = running.removeValue(forKey: job.id) { cancelSequences(of: stale) }
        unwritten.removeAll { $0.job.id == job.id }

        let request: JobRequest
        do {
            request = try job.decodedRequest()
        } catch {
            // A damaged row must not block the queue: fail it and run the rest.
            record(JobOutcome(job: job, claimedAt: now, kind: .failed(message: "\(error)", retryable: false)))
            return
        }
        if configuration.reuseResults, GenerationRequestBuilder.isDeterministic(request) {
            do {
                if let earlier = try store.findReusableResult(requestHash: job.requestHash, model: modelName) {
                    var result = earlier.result
                    result.timings = .zero
                    result.reusedFromJobID = earlier.jobID
                    record(JobOutcome(job: job, claimedAt: now, kind: .succeeded(result)))
                    return
                }
            } catch {
                logStoreProblem("look up a reusable result", error)
            }
        }
        do {
            let saved = resumePoints(of: job, choices: request.choices)
            var first = try builder.request(for: job, request)
            var extra = builder.extraChoices(of: first, count: request.choices, jobID: job.id)
            first.resume = saved[0]
            for index in extra.indices { extra[index].resume = saved[index + 1] }
            let resumed = try submit(first, of: job)
            if !resumed {
                // The job continues as a whole or not at all.
                for index in extra.indices { extra[index].resume = nil }
            }
            for request in extra { jobOfChoice[request.id] = job.id }
            var entry = RunningJob(job: job, request: request, claimedAt: now, deferredChoices: extra)
            entry.resumes = job.checkpoint?.resumes ?? 0
            if resumed {
                entry.resumes += 1
                entry.checkpointedTokens = saved.values.reduce(0) { $0 + $1.tokens.count }
                logger.info("resume", ("job", job.id), ("batch", job.batchName), ("custom_id", job.customID),
                            ("from_token", entry.checkpointedTokens), ("choices", saved.count), ("resumes", entry.resumes))
            }
            running[job.id] = entry
        } catch {
            record(JobOutcome(job: job, claimedAt: now, kind: .failed(message: "\(error)", retryable: false)))
        }
    }

    /// The saved state of each choice of a job claimed with a checkpoint, by choice index;
    /// empty (the job starts from its prompt, with a `checkpoint_ignored` line) when
    /// checkpoints are off, or the checkpoint comes from another model or is damaged.
    private func resumePoints(of job: ClaimedJob, choices count: Int) -> [Int: SequenceCheckpoint] {
        guard configuration.checkpointTokens != nil, let checkpoint = job.checkpoint else { return [:] }
        func ignore(_ reason: String) -> [Int: SequenceCheckpoint] {
            logger.warn("checkpoint_ignored", ("job", job.id), ("batch", job.batchName), ("custom_id", job.customID),
                        ("tokens", checkpoint.tokens), ("reason", reason), ("detail", "the job starts from its prompt"))
            return [:]
        }
        guard checkpoint.model == modelIdentity else {
            return ignore("written with model '\(checkpoint.model)'; this daemon runs '\(modelIdentity)'")
        }
        let choices: [Int: SequenceCheckpoint]
        do {
            choices = try CheckpointEncoding.decode(checkpoint.state)
        } catch {
            return ignore(error.description)
        }
        if let index = choices.keys.first(where: { $0 >= count }) {
            return ignore("damaged checkpoint: choice \(index) of a job with \(count)")
        }
        return choices
    }

    /// Submits one choice; when its checkpoint does not fit the request (the engine checks the
    /// seed, the tokens against the vocabulary, stop strings and max_tokens), logs that and
    /// submits it from its prompt. Returns whether it continues from its checkpoint.
    @discardableResult
    private func submit(_ request: GenerationRequest, of job: ClaimedJob) throws -> Bool {
        do {
            try engine.submit(request)
            return request.resume != nil
        } catch EngineError.invalidCheckpoint(let reason) where request.resume != nil {
            logger.warn("checkpoint_ignored", ("job", job.id), ("batch", job.batchName), ("custom_id", job.customID),
                        ("tokens", request.resume?.tokens.count), ("reason", reason),
                        ("detail", "the choice starts from its prompt"))
            var fresh = request
            fresh.resume = nil
            try engine.submit(fresh)
            return false
        }
    }

    // MARK: Steps

    /// Runs one engine step and records what finished. Returns false when the step did nothing
    /// (the caller then sleeps instead of spinning).
    private func step() -> Bool {
        gatherUntil = nil
        let start = MonotonicClock.now()
        let report: StepReport
        do {
            report = try engine.step()
        } catch {
            failRunningJobs(error)
            return true
        }
        let profile = report.profile
        if profile.sequenceCount > 0 {
            summary.steps += 1
            activity.add(profile, startedAt: start)
            metrics.stepDuration.observe(profile.totalSeconds)
            metrics.stepSequences.observe(Double(profile.sequenceCount))
            metrics.stepTokens.observe(Double(profile.tokenCount))
            metrics.promptTokens.increment(by: profile.promptTokenCount)
            metrics.generatedTokens.increment(by: profile.sampledCount)
            metrics.preemptions.increment(by: profile.preemptionCount)
            logger.debug("step", ("sequences", profile.sequenceCount), ("tokens", profile.tokenCount),
                         ("sampled", profile.sampledCount), ("seconds", profile.totalSeconds))
        }
        submitDeferredChoices(after: report)
        for sequence in report.finished { finished(sequence) }
        updateEngineGauges()
        recordActivity(force: false)
        return profile.sequenceCount > 0 || !report.finished.isEmpty
    }

    /// Choices after the first go into the engine once the first has produced text (its prompt
    /// is computed and cached by then) or finished.
    private func submitDeferredChoices(after report: StepReport) {
        for (id, entry) in running where !entry.deferredChoices.isEmpty {
            guard report.textDeltas[id] != nil || report.finished.contains(where: { $0.id == id }) else { continue }
            do {
                for request in entry.deferredChoices { try submit(request, of: entry.job) }
                running[id]?.deferredChoices = []
            } catch {
                running.removeValue(forKey: id)
                cancelSequences(of: entry)
                record(JobOutcome(job: entry.job, claimedAt: entry.claimedAt,
                                  kind: .failed(message: "\(error)", retryable: false)))
            }
        }
    }

    /// Cancels every choice of a job in the engine.
    private func cancelSequences(of entry: RunningJob) {
        for id in entry.sequenceIDs {
            engine.cancel(id)
            jobOfChoice.removeValue(forKey: id)
        }
    }

    private func finished(_ sequence: FinishedSequence) {
        let jobID = jobOfChoice.removeValue(forKey: sequence.id) ?? sequence.id
        guard var entry = running.removeValue(forKey: jobID) else { return }
        let timings = sequence.timings
        metrics.prefixCacheHitTokens.increment(by: timings.prefixTokensReused)
        if let error = sequence.error {
            // One failed choice fails the job: a result with fewer choices than asked is not one.
            cancelSequences(of: entry)
            record(JobOutcome(job: entry.job, claimedAt: entry.claimedAt,
                              kind: .failed(message: error.description, retryable: false)))
            return
        }
        if let index = entry.sequenceIDs.firstIndex(of: sequence.id) { entry.finishedChoices[index] = sequence }
        guard entry.finishedChoices.count == entry.sequenceIDs.count, let first = entry.finishedChoices[0] else {
            running[jobID] = entry
            return
        }
        let more = (1..<entry.sequenceIDs.count).compactMap { entry.finishedChoices[$0] }
        finished(first, moreChoices: more, entry: entry)
    }

    /// Records a job whose every choice finished; `sequence` is its first, whose timings are the
    /// job's (the later choices share its prompt and run beside it).
    private func finished(_ sequence: FinishedSequence, moreChoices: [FinishedSequence], entry: RunningJob) {
        let timings = sequence.timings
        metrics.timeToFirstToken.observe(timings.timeToFirstTokenSeconds)
        let wantsLogprobs = entry.request.logprobs != nil
        let result = JobResult(
            text: sequence.text, finishReason: Daemon.storedReason(sequence.finishReason ?? .length),
            promptTokens: sequence.promptTokenCount,
            completionTokens: ([sequence] + moreChoices).reduce(0) { $0 + $1.completionTokenCount },
            model: modelName,
            timings: GenerationTimings(
                timeToFirstToken: timings.timeToFirstTokenSeconds, prefill: timings.prefillSeconds,
                decode: timings.decodeSeconds, tokensPerSecond: timings.tokensPerSecond,
                meanActiveSequences: timings.meanActiveSequences, prefixTokensReused: timings.prefixTokensReused,
                resumedFromToken: ([sequence] + moreChoices).reduce(0) { $0 + $1.timings.resumedTokens },
                recomputedTokens: ([sequence] + moreChoices).reduce(0) { $0 + $1.timings.recomputedTokens },
                resumes: entry.resumes),
            logprobs: wantsLogprobs ? sequence.logprobs.map(resultLogprob) : nil,
            moreChoices: moreChoices.map { choice in
                ChoiceResult(text: choice.text, finishReason: Daemon.storedReason(choice.finishReason ?? .length),
                             completionTokens: choice.completionTokenCount,
                             logprobs: wantsLogprobs ? choice.logprobs.map(resultLogprob) : nil)
            })
        record(JobOutcome(job: entry.job, claimedAt: entry.claimedAt, kind: .succeeded(result)))
    }

    /// A token's log-probability with its text and bytes, as results store it. Control tokens
    /// print their piece (`<end_of_turn>`), as OpenAI shows special tokens.
    private func resultLogprob(_ entry: TokenLogprob) -> ResultLogprob {
        func text(_ token: Int32) -> (String, [UInt8]) {
            let bytes = builder.tokenizer.pieceBytes(token, special: true)
            return (String(decoding: bytes, as: UTF8.self), bytes)
        }
        // The float's shortest decimal, not its binary expansion (-1.8676305, not -1.8676304817199707).
        func value(_ logprob: Float) -> Double { Double("\(logprob)") ?? Double(logprob) }
        let (token, bytes) = text(entry.token)
        return ResultLogprob(token: token, logprob: value(entry.logprob), bytes: bytes, top: entry.top.map { alternative in
            let (token, bytes) = text(alternative.token)
            return ResultLogprob.Alternative(token: token, logprob: value(alternative.logprob), bytes: bytes)
        })
    }

    static func storedReason(_ reason: FinishReason) -> ResultFinishReason {
        switch reason {
        case .stop: return .stop
        case .length: return .length
        }
    }

    /// The forward pass threw: nothing advanced. The jobs go back to the queue (with backoff)
    /// rather than looping here on what may be a persistent fault.
    private func failRunningJobs(_ error: any Error) {
        logger.error("engine_error", ("error", "\(error)"), ("jobs", running.count))
        let jobs = running.values.sorted { $0.job.id < $1.job.id }
        running.removeAll()
        for entry in jobs {
            cancelSequences(of: entry)
            record(JobOutcome(job: entry.job, claimedAt: entry.claimedAt,
                              kind: .failed(message: "\(error)", retryable: true)))
        }
        updateEngineGauges()
    }

    private func updateEngineGauges() {
        metrics.runningSequences.set(engine.runningCount)
        metrics.waitingSequences.set(engine.waitingCount)
        metrics.kvBlocksFree.set(engine.kvAvailableBlockCount)
        metrics.kvBlocksUsed.set(engine.kvBlockCount - engine.kvAvailableBlockCount)
    }

    /// Writes the interval's engine sample once it is `sampleInterval` long, or now (`force`)
    /// when the engine stops working. A sample the database refuses is dropped.
    private func recordActivity(force: Bool) {
        guard let start = activity.start else { return }
        let now = MonotonicClock.now()
        guard force || now - start >= configuration.sampleInterval else { return }
        guard let sample = activity.take(owner: configuration.owner, now: Date(), monotonicNow: now, engine: engine) else { return }
        guard samplesRetry.isDue(now) else { return }
        do {
            try store.recordEngineSample(sample)
            storeRecovered("record engine samples", &samplesRetry, now: now)
        } catch {
            storeProblem("record engine samples", error, &samplesRetry, now: now)
        }
    }

    // MARK: Writing outcomes

    /// Writes an outcome now, or queues it behind earlier ones the database refused.
    private func record(_ outcome: JobOutcome) {
        unwritten.append(outcome)
        if unwritten.count == 1 { writeUnwritten(MonotonicClock.now()) }
    }

    /// Writes queued outcomes in order until the database refuses one; then backs off
    /// (0.25 s doubling to 10 s) and keeps the rest.
    private func writeUnwritten(_ now: Double) {
        guard !unwritten.isEmpty, writeRetry.isDue(now) else { return }
        while let outcome = unwritten.first {
            do {
                try write(outcome)
            } catch {
                storeProblem("write job results", error, &writeRetry, now: now,
                             ("pending", unwritten.count), ("next_job", outcome.job.id))
                return
            }
            unwritten.removeFirst()
            storeRecovered("write job results", &writeRetry, now: now, ("pending", unwritten.count))
        }
    }

    private func write(_ outcome: JobOutcome) throws {
        let job = outcome.job
        switch outcome.kind {
        case .succeeded(let result):
            guard try store.complete(jobID: job.id, owner: configuration.owner, result: result) else {
                leaseLost(job, doing: "store its result")
                return
            }
            let seconds = MonotonicClock.now() - outcome.claimedAt
            summary.succeeded += 1
            metrics.finished.increment()
            metrics.jobDuration.observe(seconds)
            if let from = result.reusedFromJobID {
                summary.reused += 1
                metrics.reused.increment()
                logger.info("finish", ("job", job.id), ("batch", job.batchName), ("custom_id", job.customID),
                            ("reused_from", from), ("seconds", seconds))
            } else {
                logger.info("finish", ("job", job.id), ("batch", job.batchName), ("custom_id", job.customID),
                            ("finish_reason", result.finishReason.rawValue), ("prompt_tokens", result.promptTokens),
                            ("completion_tokens", result.completionTokens), ("ttft", result.timings.timeToFirstToken),
                            ("tokens_per_second", result.timings.tokensPerSecond), ("seconds", seconds))
            }
        case .failed(let message, let retryable):
            let retry = retryable && job.attempt < (configuration.maxAttempts ?? Int.max)
            switch try store.fail(jobID: job.id, owner: configuration.owner, message: message, retryable: retry) {
            case .willRetry(let at):
                summary.retried += 1
                metrics.retried.increment()
                logger.warn("retry", ("job", job.id), ("batch", job.batchName), ("custom_id", job.customID),
                            ("attempt", job.attempt), ("max_attempts", job.maxAttempts),
                            ("retry_in", max(0, at.timeIntervalSinceNow)), ("error", message))
            case .failed:
                summary.failed += 1
                metrics.failed.increment()
                logger.warn("fail", ("job", job.id), ("batch", job.batchName), ("custom_id", job.customID),
                            ("attempt", job.attempt), ("error", message))
            case .leaseLost:
                leaseLost(job, doing: "record its failure")
            }
        }
    }

    private func leaseLost(_ job: ClaimedJob, doing action: String) {
        summary.leasesLost += 1
        metrics.leasesLost.increment()
        logger.warn("lost", ("job", job.id), ("batch", job.batchName), ("custom_id", job.customID),
                    ("detail", "lease no longer ours (expired, cancelled or taken over); did not \(action)"))
    }

    /// At shutdown: outcomes still unwritten are given up; their leases expire and the jobs run
    /// again (a result is never written twice, but this one is lost).
    private func abandonUnwritten() {
        guard !unwritten.isEmpty else { return }
        writeUnwritten(MonotonicClock.now() + 3600)
        guard !unwritten.isEmpty else { return }
        logger.error("abandon", ("jobs", unwritten.map { String($0.job.id) }.joined(separator: ",")),
                     ("detail", "the database refused these outcomes; the jobs run again after their leases expire"))
        unwritten.removeAll()
    }

    // MARK: Leases

    /// Renews the leases every third of a lease, and writes checkpoints in the same
    /// transaction: then, and whenever a job has `checkpointTokens` new tokens or
    /// `checkpointInterval` has passed (the leases are renewed with them).
    private func renewLeasesIfDue(_ now: Double) {
        let checkpointDue = isCheckpointDue(now)
        guard now >= nextRenewalAt || checkpointDue, renewRetry.isDue(now) else { return }
        let ids = Array(running.keys) + unwritten.map(\.job.id)
        guard !ids.isEmpty else {
            nextRenewalAt = now + configuration.leaseSeconds / 3
            nextCheckpointAt = now + configuration.checkpointInterval
            return
        }
        let started = MonotonicClock.now()
        let checkpoints = configuration.checkpointTokens == nil ? [] : changedCheckpoints()
        let held: Set<Int64>
        do {
            held = try store.renewLeases(owner: configuration.owner, jobIDs: ids, lease: configuration.leaseSeconds,
                                         checkpoints: checkpoints.map(\.checkpoint))
        } catch {
            storeProblem("renew leases", error, &renewRetry, now: now, ("jobs", ids.count))
            nextRenewalAt = renewRetry.nextAttemptAt
            return
        }
        storeRecovered("renew leases", &renewRetry, now: now)
        nextRenewalAt = now + configuration.leaseSeconds / 3
        nextCheckpointAt = now + configuration.checkpointInterval
        for (checkpoint, tokens) in checkpoints where held.contains(checkpoint.jobID) {
            running[checkpoint.jobID]?.checkpointedTokens = tokens
        }
        logger.debug("renew", ("jobs", ids.count), ("held", held.count), ("checkpoints", checkpoints.count),
                     ("checkpoint_bytes", checkpoints.reduce(0) { $0 + $1.checkpoint.state.count }),
                     ("seconds", MonotonicClock.now() - started))
        for id in ids where !held.contains(id) {
            if let entry = running.removeValue(forKey: id) {
                cancelSequences(of: entry)
                leaseLost(entry.job, doing: "finish it")
            } else if let index = unwritten.firstIndex(where: { $0.job.id == id }) {
                leaseLost(unwritten.remove(at: index).job, doing: "write its outcome")
            }
        }
        updateEngineGauges()
    }

    // MARK: Checkpoints

    /// Tokens a running job has generated so far, every choice and restored ones included.
    private func generatedTokens(_ entry: RunningJob) -> Int {
        var total = 0
        for (index, id) in entry.sequenceIDs.enumerated() {
            if let done = entry.finishedChoices[index] {
                total += done.completionTokenCount
            } else {
                total += engine.generatedCount(of: id) ?? 0
            }
        }
        return total
    }

    /// Tokens the job has generated so far in this daemon, restored ones included (nil when
    /// it is not running here).
    func generatedTokens(ofJob id: Int64) -> Int? {
        running[id].map(generatedTokens)
    }

    private func isCheckpointDue(_ now: Double) -> Bool {
        guard let every = configuration.checkpointTokens, !running.isEmpty else { return false }
        if now >= nextCheckpointAt { return running.values.contains { generatedTokens($0) > $0.checkpointedTokens } }
        return running.values.contains { generatedTokens($0) - $0.checkpointedTokens >= every }
    }

    /// A checkpoint of every running job with tokens its last one lacks, and those tokens'
    /// count. Choices not yet in the engine are left out (they start from their prompt).
    private func changedCheckpoints() -> [(checkpoint: JobCheckpoint, tokens: Int)] {
        running.values.compactMap { entry in
            let tokens = generatedTokens(entry)
            guard tokens > entry.checkpointedTokens else { return nil }
            var choices: [(index: Int, checkpoint: SequenceCheckpoint)] = []
            for (index, id) in entry.sequenceIDs.enumerated() {
                if let saved = entry.finishedChoices[index]?.checkpoint ?? engine.checkpoint(of: id) {
                    choices.append((index, saved))
                }
            }
            guard !choices.isEmpty else { return nil }
            return (JobCheckpoint(jobID: entry.job.id, model: modelIdentity, tokens: tokens, resumes: entry.resumes,
                                  state: CheckpointEncoding.encode(choices)), tokens)
        }
    }

    private func refreshCountsIfDue(_ now: Double) {
        guard now >= nextCountsAt, countsRetry.isDue(now) else { return }
        nextCountsAt = now + configuration.countsInterval
        do {
            metrics.update(counts: try store.counts())
            storeRecovered("count jobs", &countsRetry, now: now)
        } catch {
            storeProblem("count jobs", error, &countsRetry, now: now)
        }
    }

    // MARK: Shutdown

    private func beginShutdown(_ now: Double) {
        stopDeadline = now + configuration.shutdownGrace
        gatherUntil = nil
        logger.info("shutdown", ("phase", "draining"), ("in_flight", running.count),
                    ("grace_seconds", configuration.shutdownGrace),
                    ("detail", "no new claims; in-flight jobs finish, or are released after the grace period or a second signal"))
    }

    /// Gives every job still in the engine back to the queue (not counted as an attempt).
    private func releaseRunningJobs(_ now: Double) {
        guard !running.isEmpty else { return }
        let ids = running.keys.sorted()
        // Saved in the release's transaction: the next claim continues where this one stopped.
        let checkpoints = configuration.checkpointTokens == nil ? [] : changedCheckpoints().map(\.checkpoint)
        for entry in running.values { cancelSequences(of: entry) }
        running.removeAll()
        updateEngineGauges()
        do {
            let released = try store.release(owner: configuration.owner, jobIDs: ids, checkpoints: checkpoints)
            summary.released += released
            metrics.released.increment(by: released)
            logger.info("release", ("jobs", released), ("ids", ids.map(String.init).joined(separator: ",")),
                        ("checkpoints", checkpoints.count))
        } catch {
            logStoreProblem("release jobs", error)
            logger.error("release_failed", ("ids", ids.map(String.init).joined(separator: ",")),
                         ("detail", "they run again once their leases expire"))
        }
    }

    // MARK: Errors

    /// Records that the database refused `action` and schedules its retry; logs it the first
    /// time and then every `reminderInterval` while it lasts, with how long it has waited.
    private func storeProblem(_ action: String, _ error: any Error, _ retry: inout StoreRetry, now: Double,
                              _ fields: (String, Any?)...) {
        metrics.storeErrors.increment()
        guard retry.failed(at: now) else { return }
        logStoreProblem(action, error, [("waited_seconds", retry.waited(now)), ("retry_in", retry.delay)] + fields)
    }

    private func storeRecovered(_ action: String, _ retry: inout StoreRetry, now: Double, _ fields: (String, Any?)...) {
        guard let waited = retry.succeeded(at: now) else { return }
        logger.log(.info, "store_recovered", [("action", action), ("waited_seconds", waited)] + fields)
    }

    /// Logs a database problem: a lock held by another process is routine (warn); anything
    /// else needs a person (error), and the store's message says what to do.
    private func logStoreProblem(_ action: String, _ error: any Error, _ fields: [(String, Any?)] = []) {
        logger.log(Daemon.level(of: error), "store_error", [("action", action), ("error", "\(error)")] + fields)
    }

    static func level(of error: any Error) -> LogLevel {
        if case JobStoreError.sqlite(let sqlite) = error, sqlite.isBusy { return .warn }
        return .error
    }
}
