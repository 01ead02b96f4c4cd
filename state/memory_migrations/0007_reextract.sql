-- `extract --reextract`: which provider and model finished each stage-1 job's last success
-- (`offline`, `chat:<model>`, `openai:<model>`; NULL for successes written before this column),
-- whether the session stored a memory or not, and a flag asking for that success to be made again
-- (set by the user, cleared by the next success). A flagged job is claimable although its output
-- covers the session's version; its stored memory stays until a new one replaces it.
ALTER TABLE jobs ADD COLUMN producer TEXT;
ALTER TABLE jobs ADD COLUMN reextract INTEGER NOT NULL DEFAULT 0;
