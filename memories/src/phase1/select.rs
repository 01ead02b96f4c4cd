//! Which rollout items phase 1 keeps, and the cleaning of what it keeps. Kept: messages except
//! the `developer` role (with AGENTS.md instruction blocks and `<skill>` blocks cut out of user
//! messages; `<environment_context>` stays), tool calls and their outputs, web searches. Dropped:
//! reasoning, compaction, ghost snapshots, image data (→ `[image omitted]`), event messages (the
//! UI's copy of the same conversation) and unknown kinds.

use std::path::Path;

use codex_protocol::{Agent, ContentItem, ResponseItem, RolloutError};
use codex_state::read_session_items;

/// Block markers cut out of user messages: (opening marker, closing marker).
const DROPPED_USER_BLOCKS: &[(&str, &str)] = &[
    ("<user_instructions>", "</user_instructions>"),
    ("# AGENTS.md instructions for ", "</INSTRUCTIONS>"),
    ("<skill>", "</skill>"),
];

/// What phase 1 reads from one rollout.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeptRollout {
    /// The kept items, cleaned, in file order.
    pub items: Vec<ResponseItem>,
    /// The session's working directory, from `session_meta` (empty when unknown).
    pub cwd: String,
    /// Lines that could not be read (counted, not fatal).
    pub bad_line_count: u64,
}

/// Reads the session at `path`, written by `agent`, and keeps what phase 1 needs. Every agent's
/// session comes through its session source as the same typed items (Claude Code and Gemini CLI
/// sessions converted), so the transcript renders in one form whoever wrote it.
pub fn read_kept_items(path: &Path, agent: Agent) -> Result<KeptRollout, RolloutError> {
    let session = read_session_items(agent, path)?;
    Ok(KeptRollout {
        items: session.items.into_iter().filter_map(keep_item).collect(),
        cwd: session.cwd,
        bad_line_count: session.bad_line_count,
    })
}

/// The item as phase 1 keeps it, or `None` when it is dropped.
pub fn keep_item(item: ResponseItem) -> Option<ResponseItem> {
    match item {
        ResponseItem::Message { role, .. } if role == "developer" || role == "system" => None,
        ResponseItem::Message { id, role, content } => {
            let content: Vec<ContentItem> = content
                .into_iter()
                .filter_map(|part| clean_part(&role, part))
                .collect();
            (!content.is_empty()).then_some(ResponseItem::Message { id, role, content })
        }
        item @ (ResponseItem::FunctionCall { .. }
        | ResponseItem::FunctionCallOutput { .. }
        | ResponseItem::CustomToolCall { .. }
        | ResponseItem::CustomToolCallOutput { .. }
        | ResponseItem::LocalShellCall { .. }
        | ResponseItem::WebSearchCall { .. }) => Some(item),
        ResponseItem::Reasoning { .. }
        | ResponseItem::ImageGenerationCall { .. }
        | ResponseItem::GhostSnapshot { .. }
        | ResponseItem::Compaction { .. }
        | ResponseItem::Other(_) => None,
        // A kind added to the protocol after this version was written: not known to be
        // evidence, so dropped like `Other`.
        _ => None,
    }
}

fn clean_part(role: &str, part: ContentItem) -> Option<ContentItem> {
    match part {
        ContentItem::InputText { text } => {
            let text = if role == "user" {
                strip_instruction_blocks(&text)
            } else {
                text
            };
            (!text.trim().is_empty()).then_some(ContentItem::InputText { text })
        }
        ContentItem::OutputText { text } => {
            (!text.trim().is_empty()).then_some(ContentItem::OutputText { text })
        }
        ContentItem::InputImage { .. } => Some(ContentItem::InputText {
            text: "[image omitted]".to_string(),
        }),
        ContentItem::Other(_) => None,
        // A part kind added to the protocol after this version: dropped like `Other`.
        _ => None,
    }
}

/// Cuts AGENTS.md instruction blocks and `<skill>` blocks out of a user message. An opening
/// marker without its closing marker cuts to the end (an instruction dump is never evidence).
pub fn strip_instruction_blocks(text: &str) -> String {
    let mut rest = text.to_string();
    for (open, close) in DROPPED_USER_BLOCKS {
        while let Some(start) = rest.find(open) {
            let end = rest[start..]
                .find(close)
                .map_or(rest.len(), |offset| start + offset + close.len());
            rest.replace_range(start..end, "");
        }
    }
    rest.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn user(text: &str) -> ResponseItem {
        ResponseItem::Message {
            id: None,
            role: "user".to_string(),
            content: vec![ContentItem::InputText {
                text: text.to_string(),
            }],
        }
    }

    #[test]
    fn developer_messages_and_reasoning_are_dropped() {
        let developer = ResponseItem::Message {
            id: None,
            role: "developer".to_string(),
            content: vec![ContentItem::InputText {
                text: "sandbox rules".to_string(),
            }],
        };
        assert_eq!(keep_item(developer), None);
        let reasoning = ResponseItem::Reasoning {
            id: None,
            summary: vec![],
            content: None,
            encrypted_content: None,
        };
        assert_eq!(keep_item(reasoning), None);
    }

    #[test]
    fn agents_md_and_skill_blocks_are_cut_but_environment_context_stays() {
        let text = "# AGENTS.md instructions for /repo\n\n<INSTRUCTIONS>\nAlways use tabs.\n</INSTRUCTIONS>\n<environment_context>\n  <cwd>/repo</cwd>\n</environment_context>\n<skill>\n<name>pdf</name>\nbody\n</skill>\nfix the bug";
        assert_eq!(
            keep_item(user(text)),
            Some(user(
                "<environment_context>\n  <cwd>/repo</cwd>\n</environment_context>\n\nfix the bug"
            ))
        );
    }

    #[test]
    fn a_message_that_was_only_instructions_is_dropped() {
        assert_eq!(
            keep_item(user("<user_instructions>\nbe terse\n</user_instructions>")),
            None
        );
    }

    #[test]
    fn images_become_a_marker() {
        let message = ResponseItem::Message {
            id: None,
            role: "user".to_string(),
            content: vec![ContentItem::InputImage {
                image_url: "data:image/png;base64,AAAA".to_string(),
            }],
        };
        assert_eq!(keep_item(message), Some(user("[image omitted]")));
    }
}
