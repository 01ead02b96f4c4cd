-- Which agent wrote each session, and a stronger "unchanged" test for the indexer.
-- agent: codex, claude or gemini (every row indexed before this migration came from Codex).
-- file_inode / file_ctime_ns join (file_size, file_mtime_ns) as the skip key: a file replaced
-- with the same size and mtime (a restore, a copy over it) has a new inode or ctime and is read
-- again. 0 where the platform has neither, and for rows stored before this migration, so every
-- file is read once more after upgrading. Reading a file again never changes its thread's
-- version: updated_at comes from the file's content.
ALTER TABLE threads ADD COLUMN agent TEXT NOT NULL DEFAULT 'codex';
ALTER TABLE threads ADD COLUMN file_inode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE threads ADD COLUMN file_ctime_ns INTEGER NOT NULL DEFAULT 0;

ALTER TABLE index_failures ADD COLUMN file_inode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE index_failures ADD COLUMN file_ctime_ns INTEGER NOT NULL DEFAULT 0;

CREATE INDEX threads_by_agent ON threads (agent, updated_at DESC);
