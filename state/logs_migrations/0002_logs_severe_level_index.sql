-- `--level warn` and `--level error` read the rare severe rows through an index; the common
-- levels (INFO and below) match most rows, so their queries read newest-first by id and stop at
-- the limit without one. Indexing only WARN and ERROR rows keeps every other row's insert and
-- retention delete one index cheaper (measured in docs/benchmarks.md, logs).
DROP INDEX logs_by_level;
CREATE INDEX logs_by_severe_level ON logs (level, id) WHERE level IN ('WARN', 'ERROR');
