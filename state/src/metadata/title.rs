//! Title, first user message and preview, all derived from the user's first message: the text
//! after the "## My request for Codex:" marker (IDE messages put context before it), trimmed;
//! `[Image]` when only images were sent. A blank message without images sets nothing, so the
//! next user message is used instead. Messages the agent adds as context (environment,
//! instructions) are never the user's words.

/// How the user messages start that the agent adds as context (not the user's own words): they
/// never title a thread.
pub const ADDED_CONTEXT_PREFIXES: &[&str] = &[
    "<environment_context>",
    "<user_instructions>",
    "# AGENTS.md instructions for ",
    "<INSTRUCTIONS>",
    "<skill>",
    "<user_shell_command>",
    "<turn_aborted>",
];

/// Whether `text` is context the agent added rather than the user's words.
pub fn is_added_context(text: &str) -> bool {
    let text = text.trim_start();
    ADDED_CONTEXT_PREFIXES
        .iter()
        .any(|prefix| text.starts_with(prefix))
}

/// Marks where the user's own words start in a message from the IDE extension.
pub const USER_REQUEST_MARKER: &str = "## My request for Codex:";
/// What an image-only first message shows as.
pub const IMAGE_ONLY_TITLE: &str = "[Image]";
/// Longest title, in characters (its first line).
pub const TITLE_MAX_CHARS: usize = 120;
/// Longest preview, in characters (whitespace collapsed).
pub const PREVIEW_MAX_CHARS: usize = 240;
/// Longest first user message kept, in bytes (cut on a character boundary).
pub const FIRST_USER_MESSAGE_MAX_BYTES: usize = 64 * 1024;
/// Appended where a title or preview was cut.
const ELLIPSIS: char = '…';

/// The three texts a thread shows, from its first user message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UserMessageText {
    pub title: String,
    pub first_user_message: String,
    pub preview: String,
}

impl UserMessageText {
    /// The texts for a message; `None` when it is blank and has no images.
    pub fn from_message(message: &str, has_images: bool) -> Option<Self> {
        let request = match message.find(USER_REQUEST_MARKER) {
            Some(at) => &message[at + USER_REQUEST_MARKER.len()..],
            None => message,
        }
        .trim();
        if request.is_empty() {
            return has_images.then(|| Self {
                title: IMAGE_ONLY_TITLE.to_string(),
                first_user_message: IMAGE_ONLY_TITLE.to_string(),
                preview: IMAGE_ONLY_TITLE.to_string(),
            });
        }
        let first_line = request.lines().next().unwrap_or_default().trim();
        let collapsed = request.split_whitespace().collect::<Vec<_>>().join(" ");
        Some(Self {
            title: cut_chars(first_line, TITLE_MAX_CHARS),
            first_user_message: cut_bytes(request, FIRST_USER_MESSAGE_MAX_BYTES).to_string(),
            preview: cut_chars(&collapsed, PREVIEW_MAX_CHARS),
        })
    }
}

fn cut_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((at, _)) => {
            let mut cut = text[..at].trim_end().to_string();
            cut.push(ELLIPSIS);
            cut
        }
    }
}

fn cut_bytes(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
