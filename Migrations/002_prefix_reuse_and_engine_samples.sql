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
