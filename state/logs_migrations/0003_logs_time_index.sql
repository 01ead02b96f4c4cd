-- Rows are read in event-time order: (ts, ts_nanos), then id. The writer inserts each batch
-- grouped by retention scope (so a trim removes adjacent rows), which makes id order within a
-- batch the scope order, not the time order. With ts_nanos in the index, newest-first and
-- oldest-first queries walk it and stop at their limit instead of sorting every row of the
-- newest second. Age retention and time ranges use it as they used the ts-only index.
DROP INDEX logs_by_ts;
CREATE INDEX logs_by_time ON logs (ts, ts_nanos);
