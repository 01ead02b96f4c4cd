-- The thread index: one row per rollout file, rebuilt from the files by the indexer.
-- Timestamps are unix milliseconds. file_size / file_mtime_ns are the file's stat at the time it
-- was parsed; an unchanged pair means the row is current and the file is not read again.
CREATE TABLE threads (
    id                 TEXT PRIMARY KEY NOT NULL,
    rollout_path       TEXT NOT NULL UNIQUE,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    source             TEXT NOT NULL,
    model_provider     TEXT,
    model              TEXT,
    cwd                TEXT NOT NULL DEFAULT '',
    title              TEXT NOT NULL DEFAULT '',
    first_user_message TEXT NOT NULL DEFAULT '',
    preview            TEXT NOT NULL DEFAULT '',
    tokens_used        INTEGER NOT NULL DEFAULT 0,
    archived           INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    git_sha            TEXT,
    git_branch         TEXT,
    git_origin_url     TEXT,
    cli_version        TEXT NOT NULL DEFAULT '',
    memory_mode        TEXT NOT NULL DEFAULT 'enabled'
                       CHECK (memory_mode IN ('enabled', 'disabled', 'polluted')),
    file_size          INTEGER NOT NULL,
    file_mtime_ns      INTEGER NOT NULL
);

CREATE INDEX threads_by_updated_at ON threads (updated_at DESC, id DESC);

-- Rollout files the indexer could not index, with the stat it saw, so an unchanged bad file is
-- neither re-read nor forgotten: it stays listed with its reason until it changes or disappears.
CREATE TABLE index_failures (
    rollout_path  TEXT PRIMARY KEY NOT NULL,
    file_size     INTEGER NOT NULL,
    file_mtime_ns INTEGER NOT NULL,
    reason        TEXT NOT NULL
);
