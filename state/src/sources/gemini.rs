//! Gemini CLI chats: `<gemini home>/tmp/<project>/chats/session-<date>-<id>.jsonl`, one file per
//! session (a resumed session goes on in the same file).

use std::path::{Path, PathBuf};

use codex_protocol::gemini::read_gemini_session;
use codex_protocol::{Agent, RolloutError, SessionItems};

use crate::metadata::extract_gemini_chat;
use crate::sources::{FoundSessions, SessionRoot, SessionSource, walk_files};
use crate::{ExtractError, FileStat, GEMINI_TMP_DIR_NAME, ThreadRow};

/// How deep a chat sits under `tmp/`: `<project>/chats/<file>`.
const CHAT_DEPTH: usize = 3;
/// The folder of a project's chats.
const CHATS_DIR_NAME: &str = "chats";
/// How a chat file's name starts.
const CHAT_FILE_PREFIX: &str = "session-";

/// Gemini CLI chats under its folder.
#[derive(Debug, Clone)]
pub struct GeminiSource {
    home: Option<PathBuf>,
}

impl GeminiSource {
    /// The chats under `home` (`~/.gemini`); none without a home.
    pub fn new(home: Option<PathBuf>) -> Self {
        Self { home }
    }
}

impl SessionSource for GeminiSource {
    fn agent(&self) -> Agent {
        Agent::Gemini
    }

    fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    fn roots(&self) -> Vec<SessionRoot> {
        self.home
            .iter()
            .map(|home| SessionRoot {
                agent: Agent::Gemini,
                path: home.join(GEMINI_TMP_DIR_NAME),
                archived: false,
            })
            .collect()
    }

    fn find_sessions(&self, listed: &[SessionRoot]) -> FoundSessions {
        let mut found = FoundSessions::default();
        for root in listed {
            walk_files(root, CHAT_DEPTH, is_chat, &mut found);
        }
        found
    }

    fn index_session(&self, file: &FileStat) -> Result<ThreadRow, ExtractError> {
        extract_gemini_chat(file)
    }

    fn read_session(&self, path: &Path) -> Result<SessionItems, RolloutError> {
        read_gemini_session(path)
    }
}

fn is_chat(path: &Path) -> bool {
    let name = path.file_name().map(|name| name.to_string_lossy());
    let in_chats = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == CHATS_DIR_NAME);
    in_chats
        && name.is_some_and(|name| name.starts_with(CHAT_FILE_PREFIX) && name.ends_with(".jsonl"))
}
