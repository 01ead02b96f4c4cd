//! Codex rollouts: `<codex home>/sessions/` and `archived_sessions/`, `rollout-…-<uuid>.jsonl`
//! or `.jsonl.zst`. A `.zst` whose plain twin exists is passed over and, when two files carry the
//! same thread id in their names, one is kept (live before archived, then the smaller path), so
//! every walk of the same tree keeps the same file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use codex_protocol::{
    Agent, RolloutError, RolloutFileName, RolloutItem, RolloutReader, SessionItems, ThreadId,
};

use crate::metadata::extract_thread;
use crate::sources::{FoundSessions, SessionRoot, SessionSource, walk_files};
use crate::{ARCHIVED_SESSIONS_DIR_NAME, ExtractError, FileStat, SESSIONS_DIR_NAME, ThreadRow};

const PLAIN_SUFFIX: &str = ".jsonl";
const COMPRESSED_SUFFIX: &str = ".jsonl.zst";

/// Codex rollouts under a Codex home.
#[derive(Debug, Clone)]
pub struct CodexSource {
    codex_home: PathBuf,
}

impl CodexSource {
    /// The rollouts under `codex_home`.
    pub fn new(codex_home: PathBuf) -> Self {
        Self { codex_home }
    }
}

impl SessionSource for CodexSource {
    fn agent(&self) -> Agent {
        Agent::Codex
    }

    fn home(&self) -> Option<&Path> {
        Some(&self.codex_home)
    }

    fn roots(&self) -> Vec<SessionRoot> {
        [
            (SESSIONS_DIR_NAME, false),
            (ARCHIVED_SESSIONS_DIR_NAME, true),
        ]
        .into_iter()
        .map(|(name, archived)| SessionRoot {
            agent: Agent::Codex,
            path: self.codex_home.join(name),
            archived,
        })
        .collect()
    }

    fn find_sessions(&self, listed: &[SessionRoot]) -> FoundSessions {
        let mut found = FoundSessions::default();
        for root in listed {
            walk_files(root, usize::MAX, is_rollout_name, &mut found);
        }
        let before = found.files.len();
        found.files = drop_zst_twins(std::mem::take(&mut found.files));
        found.files = keep_one_file_per_thread(std::mem::take(&mut found.files));
        found.skipped = (before - found.files.len()) as u64;
        found
    }

    fn index_session(&self, file: &FileStat) -> Result<ThreadRow, ExtractError> {
        extract_thread(file)
    }

    fn read_session(&self, path: &Path) -> Result<SessionItems, RolloutError> {
        let mut reader = RolloutReader::open(path)?;
        let mut session = SessionItems {
            agent: Agent::Codex,
            ..SessionItems::default()
        };
        while let Some((_, line)) = reader.next_line()? {
            match line.item {
                RolloutItem::SessionMeta(meta) if session.cwd.is_empty() => session.cwd = meta.cwd,
                RolloutItem::ResponseItem(item) => session.items.push(item),
                _ => {}
            }
        }
        session.bad_line_count = reader.bad_line_count();
        Ok(session)
    }
}

fn is_rollout_name(path: &Path) -> bool {
    let name = path.file_name().map(|name| name.to_string_lossy());
    name.is_some_and(|name| name.ends_with(PLAIN_SUFFIX) || name.ends_with(COMPRESSED_SUFFIX))
}

/// `x.jsonl.zst` is passed over when `x.jsonl` sits beside it.
fn drop_zst_twins(files: Vec<FileStat>) -> Vec<FileStat> {
    let plain: HashSet<PathBuf> = files
        .iter()
        .filter(|file| !is_compressed(&file.path))
        .map(|file| file.path.clone())
        .collect();
    files
        .into_iter()
        .filter(|file| !is_compressed(&file.path) || !plain.contains(&file.path.with_extension("")))
        .collect()
}

fn is_compressed(path: &Path) -> bool {
    path.to_string_lossy().ends_with(COMPRESSED_SUFFIX)
}

/// One file per thread id from the names; unnamed files all stay (their id is only known once
/// read). A live copy wins over an archived one, then the smaller path, so every walk of the
/// same tree keeps the same file.
fn keep_one_file_per_thread(files: Vec<FileStat>) -> Vec<FileStat> {
    let mut chosen: HashMap<ThreadId, usize> = HashMap::new();
    let mut keep = vec![true; files.len()];
    for (index, file) in files.iter().enumerate() {
        let Some(id) = name_thread_id(&file.path) else {
            continue;
        };
        let Some(&previous) = chosen.get(&id) else {
            chosen.insert(id, index);
            continue;
        };
        let current_wins =
            (file.archived, &file.path) < (files[previous].archived, &files[previous].path);
        if current_wins {
            keep[previous] = false;
            chosen.insert(id, index);
        } else {
            keep[index] = false;
        }
    }
    files
        .into_iter()
        .zip(keep)
        .filter_map(|(file, keep)| keep.then_some(file))
        .collect()
}

fn name_thread_id(path: &Path) -> Option<ThreadId> {
    let name = path.file_name()?.to_str()?;
    name.parse::<RolloutFileName>()
        .ok()
        .map(|name| name.thread_id)
}
