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
