-- What codex-memories learned about each model endpoint, so the next run starts where the last
-- one ended instead of being rejected again: the structured-output way the endpoint accepts
-- (`json_schema`, `json_object` or `none`) and the context window it reported. Keyed by the
-- request URL and the model. Times are unix SECONDS from the injected clock.
CREATE TABLE provider_endpoints (
    endpoint          TEXT NOT NULL,
    model             TEXT NOT NULL,
    structured_output TEXT CHECK (structured_output IN ('json_schema', 'json_object', 'none')),
    context_window    INTEGER,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (endpoint, model)
);

-- Which provider and model wrote each stage-1 output (`offline`, `chat:<model>`,
-- `openai:<model>`); NULL for outputs written before this column existed.
ALTER TABLE stage1_outputs ADD COLUMN producer TEXT;
