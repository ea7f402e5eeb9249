// Generated from Migrations/*.sql; do not edit. After changing Migrations/, regenerate with
//   JOBS_UPDATE_EMBEDDED_MIGRATIONS=1 swift test --filter EmbeddedMigrationsTests
// (that test fails whenever this file and Migrations/ differ).

extension Migration {
    /// Every migration in `Migrations/`, in order.
    static let embedded: [Migration] = [
        Migration(fileName: "001_create_queue.sql", sql: #"""
-- The queue: batches (submitted files), their jobs, and the results of succeeded jobs.
-- Times are Unix seconds (REAL); durations are seconds. Tables are STRICT: a value of the
-- wrong type is an error, not a silent conversion.

CREATE TABLE batches (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    -- The submitted path, or '-' for standard input.
    source        TEXT NOT NULL,
    -- Of the file's bytes: submitting the same file again inserts nothing.
    sha256        TEXT NOT NULL UNIQUE,
    created_at    REAL NOT NULL,
    job_count     INTEGER NOT NULL,
    -- Invalid lines left out by --skip-invalid.
    skipped_count INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    batch_id         INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    custom_id        TEXT NOT NULL,
    -- 1-based line of the submitted file.
    line             INTEGER NOT NULL,
    -- Higher runs first; equal priorities run oldest first.
    priority         INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- Claims so far (an expired lease counts; a released one does not).
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL CHECK (max_attempts > 0),
    -- Backoff after a retryable failure: not claimable before this time.
    not_before       REAL NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_expires_at REAL,
    created_at       REAL NOT NULL,
    -- Submit or last retry: queue wait is measured from here.
    queued_at        REAL NOT NULL,
    -- Start of the latest attempt.
    claimed_at       REAL,
    finished_at      REAL,
    last_error       TEXT,
    -- 'completion' (a prompt) or 'chat' (messages): decides the shape of the result.
    kind             TEXT NOT NULL CHECK (kind IN ('completion', 'chat')),
    -- Canonical JSON of the request (every sampling field filled in) and its SHA-256.
    request          TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    UNIQUE (batch_id, custom_id),
    -- A running job always has a lease, and only a running job has one.
    CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
) STRICT;

-- The claim: queued jobs, highest priority first, then oldest. Partial, so it only holds the
-- queue itself and finished jobs cost nothing.
CREATE INDEX jobs_claim_order ON jobs (priority DESC, id) WHERE state = 'queued';
-- Expired leases, found at every claim.
CREATE INDEX jobs_lease_expiry ON jobs (lease_expires_at) WHERE state = 'running';
-- Per-batch counts, lists, cancel and retry.
CREATE INDEX jobs_batch_state ON jobs (batch_id, state);
-- Result reuse: identical requests among succeeded jobs. Partial, so submitting (100,000
-- random hashes) does not pay for it.
CREATE INDEX jobs_reusable ON jobs (request_hash) WHERE state = 'succeeded';
-- Pruning old finished jobs.
CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE results (
    job_id                      INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    text                        TEXT NOT NULL,
    finish_reason               TEXT NOT NULL CHECK (finish_reason IN ('stop', 'length')),
    prompt_tokens               INTEGER NOT NULL,
    completion_tokens           INTEGER NOT NULL,
    -- The model that produced the text (the daemon's, not the one the file asked for).
    model                       TEXT NOT NULL,
    -- Claim of the successful attempt minus queued_at.
    queue_wait_seconds          REAL NOT NULL,
    time_to_first_token_seconds REAL NOT NULL,
    prefill_seconds             REAL NOT NULL,
    decode_seconds              REAL NOT NULL,
    -- Finish minus queued_at.
    total_seconds               REAL NOT NULL,
    tokens_per_second           REAL NOT NULL,
    mean_batch_size             REAL NOT NULL,
    -- Set when the text was copied from an identical earlier job. Not a foreign key: that job
    -- may be pruned later.
    reused_from_job_id          INTEGER
) STRICT;

"""#),
        Migration(fileName: "002_prefix_reuse_and_engine_samples.sql", sql: #"""
-- Prefix-cache reuse per job, and the engine's activity over time (for `jobs report`).

-- Prompt tokens whose keys and values came from the prefix cache instead of being computed.
ALTER TABLE results ADD COLUMN prefix_tokens_reused INTEGER NOT NULL DEFAULT 0;

-- One row per daemon per interval (about a second) in which its engine ran steps.
CREATE TABLE engine_samples (
    id                    INTEGER PRIMARY KEY,
    -- The daemon's lease owner name.
    owner                 TEXT NOT NULL,
    -- End of the interval, Unix seconds.
    recorded_at           REAL NOT NULL,
    interval_seconds      REAL NOT NULL CHECK (interval_seconds >= 0),
    steps                 INTEGER NOT NULL,
    -- Running sequences per step, mean and maximum over the interval.
    mean_active_sequences REAL NOT NULL,
    max_active_sequences  INTEGER NOT NULL,
    -- Sequences admitted to the engine but waiting for room, at the end of the interval.
    waiting_sequences     INTEGER NOT NULL,
    -- Tokens computed from prompts, and tokens generated, during the interval.
    prompt_tokens         INTEGER NOT NULL,
    generated_tokens      INTEGER NOT NULL,
    kv_blocks_used        INTEGER NOT NULL,
    kv_blocks_total       INTEGER NOT NULL
) STRICT;

CREATE INDEX engine_samples_time ON engine_samples (recorded_at);

"""#),
        Migration(fileName: "003_result_logprobs_and_choices.sql", sql: #"""
-- Log-probabilities of a result's tokens (OpenAI's `logprobs`) and the extra choices of `n` > 1.

-- JSON array, one entry per generated token: {"token", "logprob", "bytes", "top_logprobs":
-- [{"token", "logprob", "bytes"}, ...]}, OpenAI's ChatCompletionTokenLogprob shape. NULL when
-- the job did not ask for log-probabilities.
ALTER TABLE results ADD COLUMN logprobs TEXT;

-- The choices after the first of a job that asked for several (OpenAI's `n`): a JSON array of
-- {"text", "finish_reason", "completion_tokens", "logprobs"}. The first choice is in the
-- columns above; `completion_tokens` there counts the tokens of every choice. NULL for one.
ALTER TABLE results ADD COLUMN more_choices TEXT;

"""#),
        Migration(fileName: "004_resume_checkpoints.sql", sql: #"""
-- Token-level resume: where each unfinished job's generation stood at the daemon's last
-- checkpoint, so a job taken back after a crash or a SIGTERM continues from there.

-- One row per job at most, replaced at every checkpoint (never a history), written in the
-- transaction that renews the job's lease, and deleted with the job's end (trigger below),
-- in the transaction that writes its result.
CREATE TABLE checkpoints (
    job_id      INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    -- The model that generated the tokens (name, file size and a digest of the file); a daemon
    -- running another model ignores the row and starts the job from its prompt.
    model       TEXT NOT NULL,
    -- Tokens generated so far, every choice together (for `jobs show`).
    tokens      INTEGER NOT NULL CHECK (tokens >= 0),
    -- Times the job has continued from a checkpoint before this one was written.
    resumes     INTEGER NOT NULL DEFAULT 0 CHECK (resumes >= 0),
    -- The daemon's encoding of each choice's sampled tokens (little-endian Int32), seed,
    -- random state and log-probabilities; opaque to the store.
    state       BLOB NOT NULL,
    written_at  REAL NOT NULL
) STRICT;

-- A job that ends, however it ends (result, failure, cancel, expiry on its last attempt),
-- needs no checkpoint: it goes in the same transaction.
CREATE TRIGGER checkpoints_end_with_job AFTER UPDATE OF state ON jobs
WHEN NEW.state IN ('succeeded', 'failed', 'cancelled')
BEGIN
    DELETE FROM checkpoints WHERE job_id = NEW.id;
END;

-- Of the attempt that produced the result: generated tokens it took from a checkpoint
-- instead of generating (0 when it started from the prompt), and how many of those it
-- computed again (the rest came from the prefix cache). `resumes` counts every continuation
-- from a checkpoint over the job's attempts.
ALTER TABLE results ADD COLUMN resumed_from_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE results ADD COLUMN recomputed_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE results ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;

"""#),
        Migration(fileName: "005_resubmit_under_new_name.sql", sql: #"""
-- A file's content may be queued again under a new batch name. The digest of a batch's file was
-- UNIQUE, so a file identical to an earlier one was skipped even under a new --batch name, and
-- a nightly script's `jobs wait --batch nightly-DAY` then found no such batch. Now the same
-- content is skipped only when no new name is given, or under the name it already has.
--
-- SQLite cannot drop a UNIQUE constraint in place: the table is built anew and the rows copied
-- (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes").
-- The migrator runs this with foreign keys off, so dropping the old table does not cascade to
-- the jobs, and checks them before it commits. Ids are kept, so every job's batch_id still holds.

CREATE TABLE batches_new (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    -- The submitted path, or '-' for standard input.
    source        TEXT NOT NULL,
    -- Of the file's bytes.
    sha256        TEXT NOT NULL,
    created_at    REAL NOT NULL,
    job_count     INTEGER NOT NULL,
    -- Invalid lines left out by --skip-invalid.
    skipped_count INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO batches_new (id, name, source, sha256, created_at, job_count, skipped_count)
SELECT id, name, source, sha256, created_at, job_count, skipped_count FROM batches;

DROP TABLE batches;
ALTER TABLE batches_new RENAME TO batches;

-- `jobs submit` looks a file up by its digest before it parses it.
CREATE INDEX batches_sha256 ON batches (sha256);

"""#),
    ]
}
