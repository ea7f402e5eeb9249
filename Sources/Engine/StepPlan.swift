/// What one step runs: for each scheduled sequence, which of its tokens go into the forward
/// pass. The scheduler's output, as vLLM's `SchedulerOutput`.
struct StepPlan {
    struct Entry {
        let sequence: SequenceState
        /// First position computed in this step (the sequence's `computedTokens` before it).
        let start: Int
        let count: Int
        /// Whether the chunk reaches the end of the known tokens, so its last row is sampled.
        let wantsLogits: Bool
    }

    /// Running sequences first (oldest admission first), then the ones admitted this step.
    var entries: [Entry] = []
    /// Sequences preempted to make room, newest first; already back in the waiting queue.
    var preempted: [SequenceState] = []
    /// Sequences that can never fit in the KV cache; already removed from the queues.
    var failed: [(sequence: SequenceState, error: EngineError)] = []

    var tokenCount: Int { entries.reduce(0) { $0 + $1.count } }
}
