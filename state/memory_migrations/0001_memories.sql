-- The memories DB: stage-1 outputs (one raw memory per thread version) and leased jobs.
-- Every time is unix SECONDS from the injected clock. Threads themselves live in the state DB,
-- which every connection of this database ATTACHes read-only as `state`.

-- One row per thread that produced a raw memory. usage_count / last_usage come from citations;
-- selected_for_phase2 marks the rows the last successful phase 2 consumed, with the version
-- (source_updated_at) it consumed.
CREATE TABLE stage1_outputs (
    thread_id                             TEXT PRIMARY KEY NOT NULL,
    source_updated_at                     INTEGER NOT NULL,
    raw_memory                            TEXT NOT NULL,
    rollout_summary                       TEXT NOT NULL,
    rollout_slug                          TEXT,
    generated_at                          INTEGER NOT NULL,
    usage_count                           INTEGER NOT NULL DEFAULT 0,
    last_usage                            INTEGER,
    selected_for_phase2                   INTEGER NOT NULL DEFAULT 0
                                          CHECK (selected_for_phase2 IN (0, 1)),
    selected_for_phase2_source_updated_at INTEGER
);

-- Prune walks unselected rows stalest first.
CREATE INDEX stage1_outputs_by_staleness
    ON stage1_outputs (selected_for_phase2, COALESCE(last_usage, source_updated_at), thread_id);

-- Leased jobs. Kinds: `memory_stage1` (job_key = thread id) and `memory_consolidate_global`
-- (job_key `global`). A running row is owned by whoever holds ownership_token until lease_until;
-- last_error holds the reason of the last finish when it failed and is NULL after a success.
CREATE TABLE jobs (
    kind                   TEXT NOT NULL,
    job_key                TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'error')),
    worker_id              TEXT,
    ownership_token        TEXT,
    started_at             INTEGER,
    finished_at            INTEGER,
    lease_until            INTEGER,
    retry_at               INTEGER,
    retry_remaining        INTEGER NOT NULL DEFAULT 3,
    last_error             TEXT,
    input_watermark        INTEGER,
    last_success_watermark INTEGER,
    PRIMARY KEY (kind, job_key)
);

-- The running-cap count and status's per-status counts.
CREATE INDEX jobs_by_status ON jobs (kind, status, lease_until);

-- Memory modes set by the user (forget, polluted, enable). They override threads.memory_mode in
-- the state DB, which the indexer rewrites from the rollout files; clearing memory data keeps them.
CREATE TABLE thread_memory_modes (
    thread_id   TEXT PRIMARY KEY NOT NULL,
    memory_mode TEXT NOT NULL CHECK (memory_mode IN ('enabled', 'disabled', 'polluted')),
    updated_at  INTEGER NOT NULL
);
