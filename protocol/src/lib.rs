//! The on-disk formats of Codex session recordings ("rollouts"): thread ids, the line and item
//! types, a bounded streaming reader and a canonical writer. It knows nothing of databases,
//! models or prompts, so a tool that only reads sessions needs this crate alone.
//!
//! Start with [`RolloutReader`]: it streams a plain or zstd rollout file line by line, yields each
//! parsed [`RolloutLine`] with its line number, and keeps a list of the lines it could not read
//! ([`BadLine`]) instead of stopping; only an unreadable source ends a read ([`RolloutError`]).
//! A line is a [`RolloutItem`]: a [`SessionMeta`] header, a model-visible [`ResponseItem`], a UI
//! [`EventMsg`], a [`TurnContext`], … Each item enum carries an `Other` arm and is
//! `#[non_exhaustive]`, so a rollout written by a newer agent never becomes unreadable and a new
//! kind is not a breaking change: match the kinds you need and keep a wildcard arm.
//! [`RolloutWriter`] writes canonical lines, [`RolloutFileName`] reads and makes the
//! `rollout-<time>-<id>.jsonl` names, and [`LineReader`] is the bounded line splitter underneath
//! (a line longer than [`MAX_LINE_BYTES`] is skipped and reported, never held in memory).
//!
//! Two modules stay public, one per other agent whose session files we read, because their
//! names only read right qualified by the agent: [`claude`] (Claude Code transcripts, start with
//! [`claude::read_claude_session`]) and [`gemini`] (Gemini CLI chats, start with
//! [`gemini::read_gemini_session`]). [`sniff_agent`] tells which agent wrote a file.
//!
//! Reading a rollout — the code of `examples/read_rollout.rs`, which `cargo test --doc` runs:
//!
//! ```
#![doc = include_str!("../examples/read_rollout.rs")]
//! ```

#![warn(missing_docs)]

mod agent;
mod agent_sniff;
pub mod claude;
mod compacted;
mod completed_item;
mod content_item;
mod event_msg;
mod file_name;
pub mod gemini;
mod jsonl;
mod line_reader;
mod reader;
mod response_item;
mod retime;
mod rollout_line;
mod session_items;
mod session_meta;
mod thread_id;
mod token_usage_record;
mod turn_context;
mod world_state;
mod writer;

pub use agent::{Agent, UnknownAgent};
pub use agent_sniff::sniff_agent;
pub use compacted::Compacted;
pub use completed_item::{CommandLine, CompletedContent, CompletedItem};
pub use content_item::ContentItem;
pub use event_msg::{EventMsg, ThreadSettings, TokenUsage, TokenUsageInfo};
pub use file_name::{FileNameError, RolloutFileName};
pub use jsonl::{JsonlLine, JsonlReader, LinePosition};
pub use line_reader::{LineReader, MAX_LINE_BYTES, RawLine, SniffedLine};
pub use reader::{BadLine, BadLineReason, MAX_KEPT_BAD_LINES, RolloutError, RolloutReader};
pub use response_item::{FunctionCallOutputBody, ResponseItem};
pub use retime::{latest_timestamp, rebase_timestamps, shift_timestamps};
pub use rollout_line::{LegacyHeader, LineMetadata, RolloutFormat, RolloutItem, RolloutLine};
pub use session_items::{
    EDIT_TOOL_NAME, FileEdit, SessionItems, TOOL_ERROR_PREFIX, ToolOutcome, edit_call, message,
    stated_exit_code, tool_call, tool_output,
};
pub use session_meta::{GitInfo, SessionMeta, SessionSource};
pub use thread_id::{ThreadId, ThreadIdError};
pub use token_usage_record::TokenUsageRecord;
pub use turn_context::TurnContext;
pub use world_state::WorldState;
pub use writer::RolloutWriter;
