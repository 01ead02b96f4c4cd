//! Proving a forget: after `forget` has deleted a thread's memory, every place that could still
//! hold its text is read byte by byte — the memories, thread-index and logs databases with their
//! `-wal` and `-shm` files (free pages and log frames included), and every file of the memory
//! folder, its `.git` (git objects are zlib streams: each one is inflated and searched too), any
//! `.git.corrupt-*` directory and any leftover diff file, and any copy of the folder an
//! interrupted phase 2 left beside it — for the thread's id, its rollout file's stem, the
//! distinctive lines of the memory that was removed and the text the index had copied from the
//! session. What was looked for where, and what (if anything) remains, is the report.
//!
//! The thread index keeps the thread's row as a tombstone (its id and rollout path) and the
//! memories DB its `disabled` mode, so those two files are searched for the text only, not for the
//! id or stem.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::workspace::{RETIRED_INFIX, STAGING_INFIX};

/// A memory line shorter than this many characters (after trimming) is too common to prove
/// anything: a heading, a bullet, `cwd: /`.
pub const MIN_DISTINCTIVE_LINE_CHARS: usize = 20;
/// The most bytes one zlib stream is inflated to while searching it.
const MAX_INFLATED_BYTES: usize = 8 * 1024 * 1024;

/// What a needle is, as reported (never the forgotten text itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NeedleKind {
    /// The thread's id.
    ThreadId,
    /// The stem of its rollout file's name (`rollout-<time>-<id>`).
    RolloutStem,
    /// A distinctive line of the memory that was removed (raw memory or rollout summary).
    MemoryLine,
    /// Text the thread index had copied from the session (title, first message, preview).
    IndexedText,
}

impl NeedleKind {
    /// How the report names it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ThreadId => "the thread id",
            Self::RolloutStem => "the rollout file's name",
            Self::MemoryLine => "a line of the memory it removed",
            Self::IndexedText => "the session text the index had copied",
        }
    }
}

/// One thing searched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle {
    /// What it is.
    pub kind: NeedleKind,
    /// The bytes searched for.
    pub text: String,
}

/// Everything a forgotten thread may have left, gathered before its memory was deleted.
#[derive(Debug, Clone, Default)]
pub struct ForgetNeedles {
    /// The needles, without duplicates.
    pub needles: Vec<Needle>,
}

impl ForgetNeedles {
    /// Adds a needle (ignoring a blank or repeated one).
    pub fn push(&mut self, kind: NeedleKind, text: &str) {
        let text = text.trim();
        if text.is_empty() || self.needles.iter().any(|needle| needle.text == text) {
            return;
        }
        self.needles.push(Needle {
            kind,
            text: text.to_string(),
        });
    }

    /// Adds every line of `text` at least [`MIN_DISTINCTIVE_LINE_CHARS`] long for which
    /// `shared(line)` is false (a line another thread's memory also holds may rightly remain).
    pub fn push_lines(&mut self, kind: NeedleKind, text: &str, shared: impl Fn(&str) -> bool) {
        for line in text.lines().map(str::trim) {
            if line.chars().count() >= MIN_DISTINCTIVE_LINE_CHARS && !shared(line) {
                self.push(kind, line);
            }
        }
    }

    /// How many needles of `kind`.
    pub fn count(&self, kind: NeedleKind) -> usize {
        self.needles.iter().filter(|n| n.kind == kind).count()
    }
}

/// Where to look.
#[derive(Debug, Clone)]
pub struct ForgetPlaces {
    /// The memory folder (its `.git`, `.git.corrupt-*` and diff file included).
    pub memory_root: PathBuf,
    /// The memories database.
    pub memories_db: PathBuf,
    /// The thread index.
    pub state_db: PathBuf,
    /// The logs database.
    pub logs_db: PathBuf,
}

/// One place searched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedPlace {
    /// The database file or folder.
    pub path: PathBuf,
    /// Files read (a database counts with its `-wal` and `-shm`).
    pub files: usize,
    /// What was looked for there.
    pub looked_for: Vec<NeedleKind>,
}

/// Something found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remnant {
    /// The file holding it.
    pub path: PathBuf,
    /// What it holds.
    pub kind: NeedleKind,
}

/// The scan's result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ForgetCheck {
    /// Every place searched.
    pub checked: Vec<CheckedPlace>,
    /// What was found, one entry per file and kind; empty when nothing remains.
    pub remains: Vec<Remnant>,
}

impl ForgetCheck {
    /// Whether nothing remains.
    pub fn is_clean(&self) -> bool {
        self.remains.is_empty()
    }
}

/// Searches every place for the needles; an unreadable file is reported as an error naming it.
pub fn check_forgotten(
    places: &ForgetPlaces,
    needles: &ForgetNeedles,
) -> Result<ForgetCheck, (PathBuf, io::Error)> {
    let text_only = [NeedleKind::MemoryLine, NeedleKind::IndexedText];
    let everything = [
        NeedleKind::ThreadId,
        NeedleKind::RolloutStem,
        NeedleKind::MemoryLine,
        NeedleKind::IndexedText,
    ];
    let mut check = ForgetCheck::default();
    for (database, kinds) in [
        (&places.memories_db, &text_only[..]),
        (&places.state_db, &text_only[..]),
        (&places.logs_db, &everything[..]),
    ] {
        let files = database_files(database);
        search_files(&files, needles, kinds, &mut check)?;
        check
            .checked
            .push(place(database, files.len(), needles, kinds));
    }
    let folders =
        std::iter::once(places.memory_root.clone()).chain(staging_siblings(&places.memory_root));
    for folder in folders {
        let files = files_under(&folder).map_err(|e| (folder.clone(), e))?;
        search_files(&files, needles, &everything, &mut check)?;
        check
            .checked
            .push(place(&folder, files.len(), needles, &everything));
    }
    Ok(check)
}

/// The copies of the memory folder phase 2 keeps beside it while it runs (`.<name>.phase2-
/// staging-*`, `.<name>.phase2-retired-*`), which an interrupted run can leave behind until the
/// next phase 2 removes them.
fn staging_siblings(memory_root: &Path) -> Vec<PathBuf> {
    let (Some(parent), Some(name)) = (memory_root.parent(), memory_root.file_name()) else {
        return Vec::new();
    };
    let prefixes =
        [STAGING_INFIX, RETIRED_INFIX].map(|infix| format!(".{}{infix}", name.to_string_lossy()));
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| {
            let entry_name = entry.file_name().to_string_lossy().into_owned();
            prefixes
                .iter()
                .any(|prefix| entry_name.starts_with(prefix.as_str()))
        })
        .map(|entry| entry.path())
        .collect();
    found.sort();
    found
}

/// Whether any file under `path` (a file or a folder) holds one of the needles, raw or inside a
/// zlib stream.
pub fn holds_any(path: &Path, needles: &ForgetNeedles) -> io::Result<bool> {
    let files = if path.is_dir() {
        files_under(path)?
    } else {
        vec![path.to_path_buf()]
    };
    let mut check = ForgetCheck::default();
    let everything = [
        NeedleKind::ThreadId,
        NeedleKind::RolloutStem,
        NeedleKind::MemoryLine,
        NeedleKind::IndexedText,
    ];
    search_files(&files, needles, &everything, &mut check).map_err(|(_, error)| error)?;
    Ok(!check.is_clean())
}

fn place(path: &Path, files: usize, needles: &ForgetNeedles, kinds: &[NeedleKind]) -> CheckedPlace {
    CheckedPlace {
        path: path.to_path_buf(),
        files,
        looked_for: kinds
            .iter()
            .copied()
            .filter(|kind| needles.count(*kind) > 0)
            .collect(),
    }
}

/// A database file and its companions, those that exist.
fn database_files(database: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| {
            let mut name = database.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        })
        .filter(|path| path.is_file())
        .collect()
}

/// Every regular file under `root` (symbolic links are not followed); none when it is missing.
fn files_under(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

fn search_files(
    files: &[PathBuf],
    needles: &ForgetNeedles,
    kinds: &[NeedleKind],
    check: &mut ForgetCheck,
) -> Result<(), (PathBuf, io::Error)> {
    let wanted: Vec<&Needle> = needles
        .needles
        .iter()
        .filter(|needle| kinds.contains(&needle.kind))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut inflated = Vec::new();
    for file in files {
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            // Gone between the listing and the read (a WAL checkpointed away): nothing in it.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err((file.clone(), error)),
        };
        let mut found: Vec<NeedleKind> = wanted
            .iter()
            .filter(|needle| contains(&bytes, needle.text.as_bytes()))
            .map(|needle| needle.kind)
            .collect();
        for_each_zlib_stream(&bytes, &mut inflated, |stream| {
            found.extend(
                wanted
                    .iter()
                    .filter(|needle| contains(stream, needle.text.as_bytes()))
                    .map(|needle| needle.kind),
            );
        });
        found.sort();
        found.dedup();
        check.remains.extend(found.into_iter().map(|kind| Remnant {
            path: file.clone(),
            kind,
        }));
    }
    Ok(())
}

/// Calls `found` with the inflated content of every zlib stream starting anywhere in `bytes`
/// (git's loose objects and pack entries), each cut at [`MAX_INFLATED_BYTES`]. `buffer` is reused
/// between calls.
fn for_each_zlib_stream(bytes: &[u8], buffer: &mut Vec<u8>, mut found: impl FnMut(&[u8])) {
    buffer.resize(MAX_INFLATED_BYTES, 0);
    for start in 0..bytes.len().saturating_sub(1) {
        // A zlib header: deflate with a 32 KiB window (0x78) and a check value making the first
        // two bytes a multiple of 31.
        let header = u16::from_be_bytes([bytes[start], bytes[start + 1]]);
        if bytes[start] != 0x78 || !header.is_multiple_of(31) {
            continue;
        }
        let mut inflate = gix::zlib::Inflate::default();
        if let Ok((_, _, written)) = inflate.once(&bytes[start..], buffer) {
            found(&buffer[..written]);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn distinctive_lines_skip_short_and_shared_ones() {
        let mut needles = ForgetNeedles::default();
        needles.push_lines(
            NeedleKind::MemoryLine,
            "## Task\n- cwd: /a\nThe zebra quartz marmalade sings at midnight\nshared line that is long enough\n",
            |line| line.starts_with("shared"),
        );
        assert_eq!(
            needles.needles,
            vec![Needle {
                kind: NeedleKind::MemoryLine,
                text: "The zebra quartz marmalade sings at midnight".into()
            }]
        );
    }

    #[test]
    fn text_inside_a_zlib_stream_is_found() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("memories");
        std::fs::create_dir_all(root.join(".git/objects/ab")).unwrap();
        let mut encoder =
            gix::zlib::stream::deflate::Write::new(Vec::new(), gix::zlib::Compression::BEST);
        encoder
            .write_all(b"blob 50\0The zebra quartz marmalade sings at midnight")
            .unwrap();
        encoder.flush().unwrap();
        let object = encoder.into_inner();
        assert!(!contains(&object, b"zebra quartz"));
        std::fs::write(
            root.join(".git/objects/ab/cdef"),
            [b"pad".as_slice(), &object].concat(),
        )
        .unwrap();
        std::fs::write(root.join("MEMORY.md"), "nothing of it").unwrap();
        let mut needles = ForgetNeedles::default();
        needles.push(NeedleKind::MemoryLine, "zebra quartz marmalade");
        let places = ForgetPlaces {
            memory_root: root.clone(),
            memories_db: dir.path().join("memories_1.sqlite"),
            state_db: dir.path().join("state_1.sqlite"),
            logs_db: dir.path().join("logs_1.sqlite"),
        };
        let check = check_forgotten(&places, &needles).unwrap();
        assert_eq!(
            check.remains,
            vec![Remnant {
                path: root.join(".git/objects/ab/cdef"),
                kind: NeedleKind::MemoryLine
            }]
        );
        assert_eq!(check.checked.len(), 4);
        assert_eq!(check.checked[3].files, 2);
    }
}
