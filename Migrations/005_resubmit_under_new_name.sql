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
