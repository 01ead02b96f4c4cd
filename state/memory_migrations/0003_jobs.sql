-- Jobs that cannot be done twice or retried forever, and controls that stick.

-- The phase-2 job: 1 when a successful consolidation left work that was enqueued while it ran
-- `pending` (that work was not consolidated), so the next claim does not wait out the success
-- cooldown. Every claim sets it back to 0.
ALTER TABLE jobs ADD COLUMN skip_cooldown INTEGER NOT NULL DEFAULT 0
    CHECK (skip_cooldown IN (0, 1));

-- Who set a memory mode: `user` (enable, polluted), `forget` (one thread forgotten) or `clear`
-- (every thread indexed when the memory was cleared), so `enable --cleared` can undo a clear
-- without bringing back what was forgotten one by one.
ALTER TABLE thread_memory_modes ADD COLUMN set_by TEXT NOT NULL DEFAULT 'user'
    CHECK (set_by IN ('user', 'forget', 'clear'));
