-- The ranked-search index of the memory folder: which folder it describes, one row per indexed
-- file with the size, modification time and content hash it was read at, one row per memory entry
-- (a `### …` entry of a MEMORY.md, a raw memory, a rollout summary, a note, …) and an FTS5 index
-- (BM25; Porter stemming over unicode61) of their titles and text. A cache of the folder: it can
-- be dropped and rebuilt from the files at any time, and nothing else reads these tables.

-- The memory root the index describes (one row). Another root empties the index first.
CREATE TABLE memory_index_root (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    root TEXT NOT NULL
);

-- path is relative to the memory root, `/`-separated; modified_ns is the file's mtime in ns.
CREATE TABLE memory_index_files (
    path         TEXT PRIMARY KEY NOT NULL,
    size         INTEGER NOT NULL,
    modified_ns  INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    indexed_at   INTEGER NOT NULL
);

-- scope is '' for a global entry, else its project's folder slug; project is the project key
-- when the folder names it; thread_id the session an entry came from, when it names one.
CREATE TABLE memory_index_entries (
    id        INTEGER PRIMARY KEY,
    path      TEXT NOT NULL,
    line      INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    scope     TEXT NOT NULL,
    project   TEXT,
    thread_id TEXT,
    title     TEXT NOT NULL,
    body      TEXT NOT NULL
);

CREATE INDEX memory_index_entries_by_path ON memory_index_entries (path);
CREATE INDEX memory_index_entries_by_thread ON memory_index_entries (thread_id);
-- A project folder's entries take their project key from another entry of the same scope.
CREATE INDEX memory_index_entries_by_scope ON memory_index_entries (scope, project);

CREATE VIRTUAL TABLE memory_index_fts USING fts5(
    title,
    body,
    content = 'memory_index_entries',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Entries are only ever inserted and deleted (a changed file replaces all of its entries), so
-- these two triggers keep the FTS index in step.
CREATE TRIGGER memory_index_entries_ai AFTER INSERT ON memory_index_entries BEGIN
    INSERT INTO memory_index_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

CREATE TRIGGER memory_index_entries_ad AFTER DELETE ON memory_index_entries BEGIN
    INSERT INTO memory_index_fts (memory_index_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
END;
