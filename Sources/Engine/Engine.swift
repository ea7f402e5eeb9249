import Dispatch
import Foundation
import KVCache
import Kernels
import Model
import StructuredOutput
import Tokenizer

/// Runs many generation requests through one model with continuous batching.
///
/// The daemon submits requests and calls `step()` in a loop. Each step schedules tokens under
/// the budget (`ContinuousBatchScheduler`), runs one forward pass over the flat batch of every
/// scheduled token, samples one token for each sequence whose chunk reached its last known
/// token, and finishes sequences (end-of-generation token, stop string, `max_tokens`, full
/// context) in that same step, freeing their KV blocks for the next one.
///
/// ```swift
/// let engine = try Engine(model: model, tokenizer: tokenizer, options: EngineOptions())
/// try engine.submit(GenerationRequest(id: 1, promptTokens: tokens))
/// while engine.hasWork {
///     for done in try engine.step().finished { store(done) }
/// }
/// ```
///
/// Not thread-safe: one caller drives it. Sampling inside a step runs on all cores.
///
/// Context length: a prompt must leave room for at least one generated token (otherwise
/// `submit` throws `promptTooLong`); `max_tokens` beyond the context is allowed, and such a
/// sequence stops with `length` when the context is full, as llama.cpp does.
public final class Engine {
    public let options: EngineOptions
    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    private let storage: KVBlockStorage
    private let kvCache: KVCacheManager
    private let scheduler: ContinuousBatchScheduler
    /// Tokens that end generation unless a request ignores them.
    private let endTokens: Set<Int32>
    /// Rows are sampled over the first `sampleableVocabulary` logits: ids the tokenizer knows.
    private let sampleableVocabulary: Int
    private var sequences: [Int64: SequenceState] = [:]
    /// Finished sequences a failed step could not return; the next step reports them.
    private var undelivered: [FinishedSequence] = []
    private var submissions = 0
    /// The vocabulary's token strings as a trie, built on the first structured-output request.
    private var tokenTrie: TokenTrie?
    private let clockStart = DispatchTime.now().uptimeNanoseconds

    /// Bytes the process needs beside weights and KV pool, as `jobs doctor` counts them: the
    /// model's working memory for this engine's largest step (`EngineOptions.largestStep`),
    /// allocated at start, + `KVBlockStorage.processOverhead`.
    public let workingMemoryBytes: Int

    /// Step profiles added up since start-up or the last `resetProfile()`.
    public private(set) var profile = EngineProfile()

    /// A running total of the model's attention time in seconds, for step profiles (the real
    /// decoder's `TransformerModel.attentionSeconds`); nil leaves attention out of the profile.
    private let attentionClock: (@Sendable () -> Double)?

    /// Reserves the KV memory (`options.kvMemoryBytes`) for the model's layout, resident as
    /// `options.kvResidency` says, and the model's working memory for the largest step.
    /// - Parameter stopRequested: asked while the pool is made resident; true stops it, and
    ///   the init throws `EngineError.stopped`.
    public init(model: any LanguageModel, tokenizer: any Tokenizer, options: EngineOptions,
                attentionClock: (@Sendable () -> Double)? = nil, stopRequested: (@Sendable () -> Bool)? = nil) throws {
        self.attentionClock = attentionClock
        try options.validate()
        let layout = model.kvLayout.with(blockSize: options.blockSize, precision: options.kvPrecision)
        let largestStep = options.largestStep
        let forwardBytes = model.workingMemoryBytes(tokens: largestStep.tokens, rows: largestStep.logitRows)
        workingMemoryBytes = forwardBytes + KVBlockStorage.processOverhead
        do {
            // The model is loaded: the runtime's share is resident already, and counted as used.
            storage = try KVBlockStorage(layout: layout, memoryBytes: options.kvMemoryBytes, residency: options.kvResidency,
                                         workingMemory: forwardBytes + KVBlockStorage.allocationHeadroom,
                                         stopRequested: stopRequested)
        } catch KVBlockStorage.AllocationError.interrupted {
            throw EngineError.stopped
        } catch {
            throw EngineError.kvMemory(String(describing: error))
        }
        model.reserveWorkingMemory(tokens: largestStep.tokens, rows: largestStep.logitRows)
        self.options = options
        self.model = model
        self.tokenizer = tokenizer
        kvCache = KVCacheManager(layout: layout, blockCount: storage.blockCount, prefixCaching: options.prefixCaching)
        scheduler = ContinuousBatchScheduler(kvCache: kvCache, maxSequences: options.maxSequences,
                                             maxBatchTokens: options.maxBatchTokens)
        endTokens = tokenizer.endOfGenerationTokens.union(tokenizer.eosToken.map { [$0] } ?? [])
        sampleableVocabulary = min(model.vocabularySize, tokenizer.vocabularySize)
    }

    // MARK: Queue

    /// Queues a request. Throws, without affecting anything else, when the request is unusable:
    /// empty or too long prompt, token ids outside the vocabulary, bad sampling parameters, or
    /// an id already in the engine.
    public func submit(_ request: GenerationRequest) throws {
        guard sequences[request.id] == nil else { throw EngineError.duplicateRequest(id: request.id) }
        try request.parameters.validate()
        let prompt = request.promptTokens
        guard !prompt.isEmpty else { throw EngineError.emptyPrompt }
        guard prompt.count < model.contextLength else {
            throw EngineError.promptTooLong(tokens: prompt.count, context: model.contextLength)
        }
        if let position = prompt.firstIndex(where: { $0 < 0 || Int($0) >= model.vocabularySize }) {
            throw EngineError.tokenOutOfVocabulary(token: prompt[position], position: position,
                                                   vocabularySize: model.vocabularySize)
        }
        if request.outputFormat != nil { prepareStructuredOutput() }
        var random = SystemRandomNumberGenerator()
        let sequence = SequenceState(request: request, serial: submissions,
                                     seed: request.resume?.seed ?? request.parameters.seed ?? random.next(),
                                     blocks: kvCache.makeBlocks(), tokenizer: tokenizer, submittedAt: now())
        var resumedFinish: FinishReason?
        if let checkpoint = request.resume {
            if let position = checkpoint.tokens.firstIndex(where: { $0 < 0 || Int($0) >= sampleableVocabulary }) {
                throw EngineError.invalidCheckpoint(
                    "its token \(checkpoint.tokens[position]) at \(position) is outside the vocabulary of \(sampleableVocabulary)")
            }
            if let seed = request.parameters.seed, seed != checkpoint.seed {
                throw EngineError.invalidCheckpoint("its seed \(checkpoint.seed) is not the request's \(seed)")
            }
            let ignoreEOS = request.parameters.ignoreEOS
            resumedFinish = try sequence.replay(checkpoint, isEndToken: { !ignoreEOS && self.isEndToken($0) },
                                                pieceBytes: { self.tokenizer.pieceBytes($0, special: false) },
                                                contextLength: model.contextLength)
        }
        submissions += 1
        if let resumedFinish {
            // Saved after its last token (a finished choice of a job with several): it is done.
            sequence.status = .finished
            undelivered.append(finished(sequence, reason: resumedFinish, error: nil, at: now()))
            return
        }
        sequences[request.id] = sequence
        scheduler.add(sequence)
    }

    /// Where a request in the engine stands, to continue it elsewhere after this process stops
    /// (`GenerationRequest.resume`); nil for an id the engine does not hold. Cost: a copy of
    /// its generated tokens (and log-probabilities).
    public func checkpoint(of id: Int64) -> SequenceCheckpoint? {
        sequences[id]?.checkpoint
    }

    /// Tokens the request with this id has sampled so far, restored ones included (nil for an
    /// unknown id).
    public func generatedCount(of id: Int64) -> Int? {
        sequences[id]?.generatedCount
    }

    private func isEndToken(_ token: Int32) -> Bool { endTokens.contains(token) }

    /// Drops a request wherever it is, freeing its blocks. Returns false for an unknown id.
    @discardableResult
    public func cancel(_ id: Int64) -> Bool {
        guard let sequence = sequences.removeValue(forKey: id) else { return false }
        scheduler.remove(sequence)
        return true
    }

    public var waitingCount: Int { scheduler.waiting.count }
    public var runningCount: Int { scheduler.running.count }
    /// Requests the engine could start at once: sequence slots not taken by running or waiting
    /// ones. The daemon claims about this many jobs.
    public var freeSequenceSlots: Int { max(0, options.maxSequences - runningCount - waitingCount) }
    /// Whether `step()` has anything to do or report.
    public var hasWork: Bool { !sequences.isEmpty || !undelivered.isEmpty }

    /// KV cache size, for status output.
    public var kvBlockCount: Int { kvCache.blockCount }
    public var kvAvailableBlockCount: Int { kvCache.availableBlockCount }
    public var kvLayout: KVCacheLayout { kvCache.layout }

    public func resetProfile() { profile = EngineProfile() }

    /// Builds the vocabulary's token trie for structured output if it is not built yet (the
    /// first structured request does this itself; about a second for a 262k vocabulary).
    public func prepareStructuredOutput() {
        guard tokenTrie == nil else { return }
        let pieces = (0..<sampleableVocabulary).map { tokenizer.pieceBytes(Int32($0), special: false) }
        tokenTrie = TokenTrie(pieces: pieces, endTokens: Array(endTokens))
    }

    // MARK: Step

    /// Runs one step. Throws `forwardFailed` when the model throws: no sequence advances then
    /// (preemptions made while scheduling stand), the next step schedules the same work again,
    /// and sequences that failed while scheduling are reported by the next step.
    public func step() throws -> StepReport {
        let start = now()
        var report = StepReport()
        report.finished = undelivered
        undelivered = []
        let plan = scheduler.schedule()
        report.preempted = plan.preempted.map(\.id)
        for (sequence, error) in plan.failed {
            sequences[sequence.id] = nil
            report.finished.append(finished(sequence, reason: nil, error: error, at: start))
        }
        // A step without a forward pass is not counted in the profile.
        guard !plan.entries.isEmpty else { return report }

        var batch = ForwardBatch()
        var sampledEntries: [StepPlan.Entry] = []
        var promptTokenCount = 0
        for entry in plan.entries {
            let sequence = entry.sequence
            promptTokenCount += max(0, min(entry.start + entry.count, sequence.promptCount) - entry.start)
            batch.append(sequence: ForwardBatch.Sequence(blockTables: sequence.blocks.tables),
                         tokens: Array(sequence.tokens[entry.start..<entry.start + entry.count]),
                         startPosition: entry.start, wantsLogits: entry.wantsLogits)
            if entry.wantsLogits { sampledEntries.append(entry) }
        }

        let forwardStart = now()
        let attentionBefore = attentionClock?() ?? 0
        let logits: Logits
        do {
            logits = try model.forward(batch, cache: storage)
        } catch {
            // Sequences that failed while scheduling are reported by the next step.
            undelivered = report.finished
            throw EngineError.forwardFailed(String(describing: error))
        }
        let forwardEnd = now()
        let attentionSeconds = (attentionClock?() ?? 0) - attentionBefore
        precondition(logits.rowCount == sampledEntries.count,
                     "the model returned \(logits.rowCount) rows of logits for \(sampledEntries.count) sampled tokens")

        let rows = sampledEntries.map(\.sequence)
        let (sampled, masks, maskSeconds, maskedCount) = sampleRows(logits, rows)
        let samplingEnd = now()

        var row = 0
        for entry in plan.entries {
            let sequence = entry.sequence
            if sequence.admittedAt == nil { sequence.admittedAt = start }
            sequence.activeSteps += 1
            sequence.activeSequenceSum += plan.entries.count
            scheduler.advance(sequence, by: entry.count)
            guard entry.wantsLogits else { continue }
            let token = sampled[row]
            row += 1
            if sequence.firstTokenAt == nil { sequence.firstTokenAt = samplingEnd }
            let isEnd = !sequence.parameters.ignoreEOS && isEndToken(token)
            var completesOutput = false
            if var constraint = sequence.constraint {
                if masks[row - 1]?.allowedCount == 0 || sampled[row - 1] < 0 {
                    scheduler.remove(sequence)
                    sequences[sequence.id] = nil
                    report.finished.append(finished(sequence, reason: nil,
                        error: .outputFormatUnreachable(generatedTokens: sequence.generatedCount), at: samplingEnd))
                    continue
                }
                if !isEnd {
                    guard constraint.accept(tokenizer.pieceBytes(token, special: false)) else {
                        // Cannot happen while the sampler honours the mask; fail the job, not the daemon.
                        scheduler.remove(sequence)
                        sequences[sequence.id] = nil
                        report.finished.append(finished(sequence, reason: nil,
                            error: .outputFormatViolated(token: token), at: samplingEnd))
                        continue
                    }
                    completesOutput = constraint.isComplete
                    sequence.constraint = constraint
                }
            }
            let reason = sequence.append(token, isEndToken: isEnd, contextLength: model.contextLength,
                                         completesOutput: completesOutput)
            let delta = sequence.takeNewText()
            if !delta.isEmpty { report.textDeltas[sequence.id] = delta }
            if let reason {
                scheduler.remove(sequence)
                sequences[sequence.id] = nil
                report.finished.append(finished(sequence, reason: reason, error: nil, at: samplingEnd))
            }
        }

        let end = now()
        var stepProfile = StepProfile()
        stepProfile.totalSeconds = end - start
        stepProfile.forwardSeconds = forwardEnd - forwardStart
        stepProfile.attentionSeconds = attentionSeconds
        stepProfile.samplingSeconds = samplingEnd - forwardEnd - maskSeconds
        stepProfile.maskSeconds = maskSeconds
        stepProfile.maskedCount = maskedCount
        stepProfile.schedulingSeconds = (forwardStart - start) + (end - samplingEnd)
        stepProfile.tokenCount = batch.tokenCount
        stepProfile.promptTokenCount = promptTokenCount
        stepProfile.sampledCount = sampledEntries.count
        stepProfile.sequenceCount = plan.entries.count
        stepProfile.preemptionCount = plan.preempted.count
        report.profile = stepProfile
        profile.add(report.profile)
        return report
    }

    // MARK: Helpers

    /// One token per row. Greedy and plain-temperature structured rows draw first and check
    /// the token against their format (`Sampler.speculate`, exact in distribution); the others,
    /// and refused draws, take their state's mask (cached per format and state, else computed
    /// here on the engine thread, filling the format's shared caches) and sample under it. Returns the tokens, the masks
    /// used, the time spent computing masks, and the rows sampled under a format.
    private func sampleRows(_ logits: Logits, _ rows: [SequenceState])
        -> (tokens: [Int32], masks: [TokenMask?], maskSeconds: Double, maskedCount: Int) {
        guard let tokenTrie, rows.contains(where: { $0.constraint != nil }) else {
            return (sample(logits, for: rows, masks: [], speculative: []), [], 0, 0)
        }
        let start = now()
        var masks = [TokenMask?](repeating: nil, count: rows.count)
        var speculative = [Bool](repeating: false, count: rows.count)
        var maskedCount = 0
        for (r, sequence) in rows.enumerated() {
            guard let constraint = sequence.constraint else { continue }
            maskedCount += 1
            // Which way a row goes depends on its own parameters only, never on what other
            // sequences put in the caches: the draws, and so the tokens, stay batch-invariant.
            if sequence.sampler.canSpeculate {
                speculative[r] = true
            } else {
                masks[r] = constraint.mask(tokenTrie)
            }
        }
        var maskSeconds = now() - start
        var tokens = sample(logits, for: rows, masks: masks, speculative: speculative)
        let refused = tokens.indices.filter { speculative[$0] && tokens[$0] < 0 }
        if !refused.isEmpty {
            let maskStart = now()
            for r in refused { masks[r] = rows[r].constraint!.mask(tokenTrie) }
            maskSeconds += now() - maskStart
            for r in refused where masks[r]!.allowedCount > 0 {
                let row = UnsafeMutableBufferPointer(rebasing: logits.row(r)[0..<sampleableVocabulary])
                tokens[r] = rows[r].sampler.resample(row, mask: masks[r]!)
            }
        }
        return (tokens, masks, maskSeconds, maskedCount)
    }

    /// One token per row, rows sampled in parallel (each row touches only its own sequence).
    /// A speculative row that draws a token its format refuses gets -1.
    private func sample(_ logits: Logits, for rows: [SequenceState], masks: [TokenMask?], speculative: [Bool]) -> [Int32] {
        var tokens = [Int32](repeating: 0, count: rows.count)
        tokens.withUnsafeMutableBufferPointer { out in
            let job = SamplingJob(rows: rows, masks: masks, speculative: speculative, trie: tokenTrie, logits: logits,
                                  vocabulary: sampleableVocabulary, out: out)
            // On the decoder's own pool, so one set of threads owns the cores; several small
            // parts per thread because rows cost differently (greedy vs. top-p).
            let pool = WorkerPool.shared
            let parts = min(rows.count, 4 * pool.threadCount)
            pool.parallelFor(parts) { part in
                for r in rows.count * part / parts..<rows.count * (part + 1) / parts { job.sample(row: r) }
            }
        }
        return tokens
    }

    /// The rows of one step for the sampling threads. Unchecked: row r reads only logits row r
    /// and writes only `rows[r]`'s sampler and `out[r]`, so threads never share state (the
    /// formats' caches, read by speculative rows, take their own lock).
    private struct SamplingJob: @unchecked Sendable {
        let rows: [SequenceState]
        /// Empty when no row is structured.
        let masks: [TokenMask?]
        let speculative: [Bool]
        let trie: TokenTrie?
        let logits: Logits
        let vocabulary: Int
        let out: UnsafeMutableBufferPointer<Int32>

        func sample(row r: Int) {
            let row = UnsafeMutableBufferPointer(rebasing: logits.row(r)[0..<vocabulary])
            if !speculative.isEmpty, speculative[r], let trie, let constraint = rows[r].constraint {
                out[r] = rows[r].sampler.speculate(row) { constraint.allows($0, trie: trie) } ?? -1
            } else {
                out[r] = rows[r].sampler.sample(row, mask: masks.isEmpty ? nil : masks[r])
            }
        }
    }

    private func finished(_ sequence: SequenceState, reason: FinishReason?, error: EngineError?,
                          at end: Double) -> FinishedSequence {
        var timings = SequenceTimings()
        timings.prefixTokensReused = sequence.prefixTokensReused
        timings.preemptions = sequence.preemptions
        timings.resumedTokens = sequence.resumedTokens
        // A checkpoint of a finished sequence is never computed again.
        timings.recomputedTokens = sequence.admittedAt == nil ? 0 : max(0, sequence.resumedTokens - sequence.resumedTokensReused)
        if let admitted = sequence.admittedAt {
            timings.waitSeconds = admitted - sequence.submittedAt
            if let first = sequence.firstTokenAt {
                timings.timeToFirstTokenSeconds = first - sequence.submittedAt
                timings.prefillSeconds = first - admitted
                timings.decodeSeconds = end - first
                if sequence.sampledCount > 1, timings.decodeSeconds > 0 {
                    timings.tokensPerSecond = Double(sequence.sampledCount - 1) / timings.decodeSeconds
                }
            }
        }
        if sequence.activeSteps > 0 {
            timings.meanActiveSequences = Double(sequence.activeSequenceSum) / Double(sequence.activeSteps)
        }
        return FinishedSequence(
            id: sequence.id, tokens: Array(sequence.outputTokens), text: sequence.text,
            finishReason: reason, error: error, promptTokenCount: sequence.promptCount,
            completionTokenCount: sequence.sampledCount, seed: sequence.sampler.seed, timings: timings,
            logprobs: Array(sequence.sampler.logprobs.prefix(sequence.outputTokens.count)),
            checkpoint: error == nil ? sequence.checkpoint : nil)
    }

    /// Seconds since the engine started, from a monotonic clock.
    private func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - clockStart) / 1e9
    }
}
