-- Forgotten threads: `forget` blanks a thread's user text (title, first user message, preview)
-- in the index and lists the thread here. The row itself stays — a tombstone with the thread's id
-- and rollout path, so the thread is recognised and kept out of memory — and re-indexing the
-- rollout file (which still holds the text; we never write into sessions/) must not bring the
-- text back: the triggers below blank it again in the same statement that wrote it, so no
-- committed page ever holds it. `enable` removes the thread from this list.
CREATE TABLE forgotten_threads (
    thread_id    TEXT PRIMARY KEY NOT NULL,
    forgotten_at INTEGER NOT NULL
);

CREATE TRIGGER forgotten_threads_stay_blank_after_insert AFTER INSERT ON threads
    WHEN (NEW.title <> '' OR NEW.first_user_message <> '' OR NEW.preview <> '')
     AND EXISTS (SELECT 1 FROM forgotten_threads WHERE thread_id = NEW.id)
BEGIN
    UPDATE threads SET title = '', first_user_message = '', preview = '' WHERE id = NEW.id;
END;

CREATE TRIGGER forgotten_threads_stay_blank_after_update AFTER UPDATE ON threads
    WHEN (NEW.title <> '' OR NEW.first_user_message <> '' OR NEW.preview <> '')
     AND EXISTS (SELECT 1 FROM forgotten_threads WHERE thread_id = NEW.id)
BEGIN
    UPDATE threads SET title = '', first_user_message = '', preview = '' WHERE id = NEW.id;
END;
