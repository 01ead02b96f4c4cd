//! Claude Code transcripts: `<claude home>/projects/<cwd with / as ->/<session>.jsonl`, one JSON
//! object per line, with subagent sidechains in `<session>/subagents/agent-<id>.jsonl` (and a
//! `.meta.json` beside each). Message lines (`user`, `assistant`, `system`, `attachment`) form a
//! tree by `uuid`/`parentUuid`; an assistant response is split into one line per content block
//! sharing `message.id`; tool results are user lines with `tool_result` blocks and a structured
//! `toolUseResult`; a `/compact` writes a `system/compact_boundary` line and an
//! `isCompactSummary` user line; `cwd`, `gitBranch`, `sessionId`, `version` and `entrypoint` ride
//! on every message line. Everything else is bookkeeping (`queue-operation`, `ai-title`,
//! `file-history-snapshot`, `cost-state`, `api-request*`, …) and is skipped. Lines are read
//! tolerantly: a line whose shape is unexpected is kept as an unknown kind, never an error.
//! Start with [`read_claude_session`]; the line types ([`ClaudeLine`], …) are named here, and
//! [`claude_session_items`] converts a transcript into [`crate::SessionItems`].

mod items;
mod line;
mod transcript;

pub use items::claude_session_items;
pub use line::{ClaudeLine, ClaudeMessage, ClaudeUsage, ContentBlock, MessageContent};
pub use transcript::{ClaudeTranscript, Sidechain, read_claude_session, sidechain_files};
