//! Gemini CLI chats: `<gemini home>/tmp/<project>/chats/session-<date>-<id8>.jsonl`. The first
//! line is a header (`sessionId`, `projectHash`, `startTime`, `lastUpdated`, `kind`); then
//! `{"$set": {…}}` patch lines update the session (`lastUpdated`, `messages`, …) and message
//! records (`id`, `timestamp`, `type`: `user` | `gemini` | `info` | …) are appended. A gemini
//! message is written twice with the same id — the second time with its `toolCalls` — and the
//! last write wins; a resumed session appends a second header to the same file. Lines are read
//! tolerantly: a record of an unexpected shape is an unknown kind, never an error. Start with
//! [`read_gemini_session`]; the record types ([`GeminiRecord`], …) are named here, and
//! [`gemini_session_items`] converts a chat into [`crate::SessionItems`].

mod chat;
mod items;
mod record;

pub use chat::{GeminiChat, PROJECT_ROOT_FILE_NAME, read_gemini_session, recorded_project_root};
pub use items::{SESSION_CONTEXT_TAG, gemini_session_items, workspace_folder};
pub use record::{
    GeminiContent, GeminiMessage, GeminiPart, GeminiRecord, GeminiTokens, GeminiToolCall,
};
