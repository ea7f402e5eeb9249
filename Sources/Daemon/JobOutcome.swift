import Engine
import JobStore
import RequestFormats

/// A job in the engine.
struct RunningJob {
    let job: ClaimedJob
    /// The job's request, read once at admission.
    let request: JobRequest
    /// `MonotonicClock` time of the claim.
    let claimedAt: Double
    /// The requests of choices after the first (`n` > 1), not yet in the engine: they are
    /// submitted once the first choice is past its prompt, so its cached prompt blocks serve
    /// them and they cost only their own decode.
    var deferredChoices: [GenerationRequest] = []
    /// The engine ids of every choice, the first (the job id) included.
    var sequenceIDs: [Int64]
    /// Finished choices by index.
    var finishedChoices: [Int: FinishedSequence] = [:]

    init(job: ClaimedJob, request: JobRequest, claimedAt: Double, deferredChoices: [GenerationRequest] = []) {
        self.job = job
        self.request = request
        self.claimedAt = claimedAt
        self.deferredChoices = deferredChoices
        sequenceIDs = [job.id] + deferredChoices.map(\.id)
    }

    /// The engine id of choice `index` > 0 of job `jobID`: negative, so it never equals a job id.
    static func choiceSequenceID(jobID: Int64, index: Int) -> Int64 {
        -(jobID * Int64(JobRequest.maximumChoices) + Int64(index))
    }
}

/// What happened to a job, waiting to be written.
struct JobOutcome {
    enum Kind {
        case succeeded(JobResult)
        case failed(message: String, retryable: Bool)
    }

    let job: ClaimedJob
    let claimedAt: Double
    let kind: Kind
}
