-- Log ids are never reused, and the whole file has one size cap.
--
-- Without AUTOINCREMENT SQLite gives a new row the largest id in the table plus one, so once the
-- newest rows are deleted (forget removes a thread's rows; a trim may empty a scope) their ids
-- come back, and `logs --follow`, which asks for rows after the last id it printed, would skip
-- the rows that get them. AUTOINCREMENT keeps the largest id ever used in sqlite_sequence. A
-- table cannot be altered to it, so the table is rebuilt with the same columns, ids and indexes.
CREATE TABLE logs_autoincrement (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO logs_autoincrement (id, ts, ts_nanos, level, target, body, thread_id, process_uuid,
                                module_path, file, line, estimated_bytes)
    SELECT id, ts, ts_nanos, level, target, body, thread_id, process_uuid, module_path, file,
           line, estimated_bytes
    FROM logs ORDER BY id;
DROP TABLE logs;
ALTER TABLE logs_autoincrement RENAME TO logs;

-- The indexes of migrations 0001 and 0002, as they were.
CREATE INDEX logs_by_ts ON logs (ts);
CREATE INDEX logs_by_thread_id ON logs (thread_id, id, estimated_bytes)
    WHERE thread_id IS NOT NULL;
CREATE INDEX logs_by_process_uuid ON logs (process_uuid, thread_id, id, estimated_bytes)
    WHERE thread_id IS NULL;
CREATE INDEX logs_by_severe_level ON logs (level, id) WHERE level IN ('WARN', 'ERROR');

-- The running totals gain a third scope, `file` (key ''): every row, whichever process wrote
-- it, so the whole file's cap is checked without a scan — in the same upsert as the per-scope
-- totals — and once it is passed the oldest rows of any scope go. A CHECK cannot be altered, so
-- the table is rebuilt.
CREATE TABLE log_usage_with_file (
    scope TEXT NOT NULL CHECK (scope IN ('thread', 'process', 'file')),
    key   TEXT NOT NULL,
    rows  INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
INSERT INTO log_usage_with_file (scope, key, rows, bytes)
    SELECT scope, key, rows, bytes FROM log_usage;
INSERT INTO log_usage_with_file (scope, key, rows, bytes)
    SELECT 'file', '', COUNT(*), COALESCE(SUM(estimated_bytes), 0) FROM logs;
DROP TABLE log_usage;
ALTER TABLE log_usage_with_file RENAME TO log_usage;
