-- The logs DB: one row per `tracing` event, written in batches by the log writer.
-- ts is unix seconds and ts_nanos the nanoseconds within that second. thread_id is the Codex
-- thread the event belongs to (from the event or its nearest span), NULL when none does.
-- estimated_bytes is what the row costs against the retention byte caps.
CREATE TABLE logs (
    id              INTEGER PRIMARY KEY,
    ts              INTEGER NOT NULL,
    ts_nanos        INTEGER NOT NULL,
    level           TEXT NOT NULL,
    target          TEXT NOT NULL,
    body            TEXT NOT NULL,
    thread_id       TEXT,
    process_uuid    TEXT NOT NULL,
    module_path     TEXT,
    file            TEXT,
    line            INTEGER,
    estimated_bytes INTEGER NOT NULL
);

-- Age retention and time-range queries.
CREATE INDEX logs_by_ts ON logs (ts);
-- Per-thread retention (newest first) and `--thread` queries. estimated_bytes rides along so
-- the retention scan reads the index only. Partial: a row is in this index or the next, never
-- both, which keeps every insert and retention delete one index cheaper.
CREATE INDEX logs_by_thread_id ON logs (thread_id, id, estimated_bytes)
    WHERE thread_id IS NOT NULL;
-- Per-process retention of thread-less rows (process_uuid = ? AND thread_id IS NULL, by id).
CREATE INDEX logs_by_process_uuid ON logs (process_uuid, thread_id, id, estimated_bytes)
    WHERE thread_id IS NULL;
-- `--level` queries.
CREATE INDEX logs_by_level ON logs (level, id);

-- Running totals per retention scope ('thread' keyed by thread id, 'process' keyed by process
-- uuid for thread-less rows), kept in the insert transaction so the caps are checked without
-- scanning the rows; a scope is only trimmed (and its totals recounted) once it exceeds a cap.
CREATE TABLE log_usage (
    scope TEXT NOT NULL CHECK (scope IN ('thread', 'process')),
    key   TEXT NOT NULL,
    rows  INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
