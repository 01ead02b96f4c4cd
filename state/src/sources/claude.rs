//! Claude Code transcripts: `<claude home>/projects/<cwd with / as ->/<session>.jsonl`. A
//! session's subagent sidechains (`<session>/subagents/agent-*.jsonl`) belong to it: they are not
//! threads of their own, and their stat joins the session's, so a change in any of them makes the
//! session read again.

use std::path::{Path, PathBuf};

use codex_protocol::claude::{read_claude_session, sidechain_files};
use codex_protocol::{Agent, RolloutError, SessionItems};

use crate::indexer::FailedFile;
use crate::metadata::extract_claude_session;
use crate::sources::{FoundSessions, SessionRoot, SessionSource, walk_files};
use crate::{CLAUDE_PROJECTS_DIR_NAME, ExtractError, FileStat, ThreadRow};

/// How deep a transcript sits under `projects/`: `<project>/<session>.jsonl`.
const TRANSCRIPT_DEPTH: usize = 2;

/// Claude Code transcripts under its folder.
#[derive(Debug, Clone)]
pub struct ClaudeSource {
    home: Option<PathBuf>,
}

impl ClaudeSource {
    /// The transcripts under `home` (`~/.claude`); none without a home.
    pub fn new(home: Option<PathBuf>) -> Self {
        Self { home }
    }
}

impl SessionSource for ClaudeSource {
    fn agent(&self) -> Agent {
        Agent::Claude
    }

    fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    fn roots(&self) -> Vec<SessionRoot> {
        self.home
            .iter()
            .map(|home| SessionRoot {
                agent: Agent::Claude,
                path: home.join(CLAUDE_PROJECTS_DIR_NAME),
                archived: false,
            })
            .collect()
    }

    fn find_sessions(&self, listed: &[SessionRoot]) -> FoundSessions {
        let mut found = FoundSessions::default();
        for root in listed {
            let is_transcript = |path: &Path| {
                path.extension()
                    .is_some_and(|extension| extension == "jsonl")
                    && path
                        .parent()
                        .and_then(Path::parent)
                        .is_some_and(|project_parent| project_parent == root.path)
            };
            walk_files(root, TRANSCRIPT_DEPTH, is_transcript, &mut found);
        }
        for file in &mut found.files {
            for sidechain in sidechain_files(&file.path) {
                match std::fs::metadata(&sidechain) {
                    Ok(metadata) => file.include(&metadata),
                    Err(error) => found.failed.push(FailedFile {
                        path: sidechain,
                        reason: format!("cannot stat: {error}"),
                    }),
                }
            }
        }
        found
    }

    fn index_session(&self, file: &FileStat) -> Result<ThreadRow, ExtractError> {
        extract_claude_session(file)
    }

    fn read_session(&self, path: &Path) -> Result<SessionItems, RolloutError> {
        read_claude_session(path)
    }
}
