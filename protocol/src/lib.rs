//! The on-disk formats of Codex session recordings ("rollouts").
//!
//! Start with [`RolloutReader`]: it streams a plain or zstd rollout file line by line, yields each
//! parsed [`RolloutLine`] with its line number, and keeps a list of the lines it could not read
//! ([`BadLine`]) instead of stopping. [`RolloutWriter`] writes canonical lines. The item types
//! ([`ResponseItem`], [`EventMsg`], [`SessionMeta`], …) each carry an `Other` arm, so a rollout
//! written by a newer agent never becomes unreadable. This crate knows nothing of databases,
//! models or prompts.

mod agent;
mod compacted;
mod completed_item;
mod content_item;
mod event_msg;
mod file_name;
mod line_reader;
mod reader;
mod response_item;
mod retime;
mod rollout_line;
mod session_meta;
mod thread_id;
mod token_usage_record;
mod turn_context;
mod world_state;
mod writer;

pub use agent::{Agent, UnknownAgent};
pub use compacted::Compacted;
pub use completed_item::{CommandLine, CompletedContent, CompletedItem};
pub use content_item::ContentItem;
pub use event_msg::{EventMsg, ThreadSettings, TokenUsage, TokenUsageInfo};
pub use file_name::{FileNameError, RolloutFileName};
pub use line_reader::{LineReader, MAX_LINE_BYTES, RawLine, SniffedLine};
pub use reader::{BadLine, BadLineReason, MAX_KEPT_BAD_LINES, RolloutError, RolloutReader};
pub use response_item::{FunctionCallOutputBody, ResponseItem};
pub use retime::{latest_timestamp, rebase_timestamps, shift_timestamps};
pub use rollout_line::{LegacyHeader, LineMetadata, RolloutFormat, RolloutItem, RolloutLine};
pub use session_meta::{GitInfo, SessionMeta, SessionSource};
pub use thread_id::{ThreadId, ThreadIdError};
pub use token_usage_record::TokenUsageRecord;
pub use turn_context::TurnContext;
pub use world_state::WorldState;
pub use writer::RolloutWriter;
