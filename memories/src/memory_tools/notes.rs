//! Notes for the next consolidation, in `extensions/ad_hoc/notes/`: [`add_note`] names the file
//! itself (`<YYYY-MM-DDTHH-MM-SS>-<slug of the title>.md`, with a `-2`, `-3`, … suffix when taken)
//! and [`add_ad_hoc_note`] takes Codex's shape (the caller names the file, in the same form).
//! Text is redacted before anything is written; a note is never overwritten and appears whole
//! or not at all. Notes are written into the live folder under the folder lock, so a phase 2
//! running meanwhile carries them into the folder it swaps in, still new to the next run.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

pub use crate::memory_folder::limits::MAX_NOTE_BODY_BYTES;
use crate::memory_folder::{FolderError, FolderPath, MemoryFolder};
use crate::memory_tools::MemoryToolError;
use crate::phase2::extensions::{notes_folder, seed_ad_hoc};
use crate::redact::redact;

/// Longest note title, in bytes.
pub const MAX_NOTE_TITLE_BYTES: usize = 200;
/// Longest slug in a note's file name, in bytes.
pub const MAX_NOTE_SLUG_BYTES: usize = 60;
/// Longest note file name `add_ad_hoc_note` accepts, in bytes (Codex's limit).
pub const MAX_NOTE_FILENAME_BYTES: usize = 128;
/// Most numbered suffixes tried when notes with the same name exist.
const MAX_NOTE_NAME_ATTEMPTS: usize = 1000;
/// Slug used when the title has no ASCII letters or digits.
const FALLBACK_SLUG: &str = "note";
/// Length of the `YYYY-MM-DDTHH-MM-SS` stamp a note file name starts with.
const NOTE_STAMP_LEN: usize = 19;

/// A note that was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteWritten {
    /// Path relative to the memory root.
    pub path: String,
    /// Bytes written.
    pub bytes: usize,
    /// Secrets replaced by `[REDACTED_SECRET]` in the note.
    pub redactions: usize,
}

/// Writes a note titled `title` with `body` under the memory `root` (created if missing),
/// stamped `now`.
pub fn add_note(
    root: &Path,
    title: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<NoteWritten, MemoryToolError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(invalid("title", "must not be empty".to_string()));
    }
    if title.len() > MAX_NOTE_TITLE_BYTES || title.contains('\n') {
        return Err(invalid(
            "title",
            format!("must be one line of at most {MAX_NOTE_TITLE_BYTES} bytes"),
        ));
    }
    check_body("body", body)?;
    let title = redact(title);
    let body = redact(body.trim_end());
    let content = format!(
        "# {}\n\nadded: {}\n\n{}\n",
        title.text,
        now.to_rfc3339_opts(SecondsFormat::Secs, true),
        body.text
    );
    let redactions = title.findings.len() + body.findings.len();
    let stem = format!(
        "{}-{}",
        now.format("%Y-%m-%dT%H-%M-%S"),
        note_slug(&title.text)
    );
    let folder = open_notes(root)?;
    let notes = notes_folder();
    for attempt in 1..=MAX_NOTE_NAME_ATTEMPTS {
        let name = if attempt == 1 {
            format!("{stem}.md")
        } else {
            format!("{stem}-{attempt}.md")
        };
        let path = notes.join(&name);
        match folder.create_new(&path, content.as_bytes()) {
            Ok(()) => {
                return Ok(NoteWritten {
                    path: path.to_string(),
                    bytes: content.len(),
                    redactions,
                });
            }
            Err(FolderError::Exists { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Err(MemoryToolError::NoteNameTaken {
        path: notes.join(&format!("{stem}.md")).to_string(),
    })
}

/// Codex's `add_ad_hoc_note`: writes `note` (redacted, otherwise verbatim) as
/// `extensions/ad_hoc/notes/<filename>`, where `filename` is `YYYY-MM-DDTHH-MM-SS-<slug>.md`
/// with a slug of lowercase ASCII letters, digits and hyphens. Notes are append-only: a name
/// that exists is refused.
pub fn add_ad_hoc_note(
    root: &Path,
    filename: &str,
    note: &str,
) -> Result<NoteWritten, MemoryToolError> {
    check_note_filename(filename)?;
    check_body("note", note)?;
    let redacted = redact(note);
    let mut content = redacted.text;
    if !content.ends_with('\n') {
        content.push('\n');
    }
    let folder = open_notes(root)?;
    let path = notes_folder().join(filename);
    folder.create_new(&path, content.as_bytes())?;
    Ok(NoteWritten {
        path: path.to_string(),
        bytes: content.len(),
        redactions: redacted.findings.len(),
    })
}

/// Opens the live folder for a note and makes sure `extensions/ad_hoc/` is seeded.
fn open_notes(root: &Path) -> Result<MemoryFolder, MemoryToolError> {
    let folder = MemoryFolder::open_live_for_writing(root)?;
    seed_ad_hoc(&folder)?;
    Ok(folder)
}

fn check_body(argument: &'static str, body: &str) -> Result<(), MemoryToolError> {
    if body.trim().is_empty() {
        return Err(invalid(argument, "must not be empty".to_string()));
    }
    if body.len() > MAX_NOTE_BODY_BYTES {
        return Err(invalid(
            argument,
            format!(
                "is {} bytes; a note holds at most {MAX_NOTE_BODY_BYTES} bytes",
                body.len()
            ),
        ));
    }
    Ok(())
}

/// Checks Codex's note file name form: `YYYY-MM-DDTHH-MM-SS-<slug>.md`, the slug starting with
/// a lowercase letter or digit and holding only those and `-`.
fn check_note_filename(filename: &str) -> Result<(), MemoryToolError> {
    let wrong = || {
        invalid(
            "filename",
            format!(
                "`{filename}` is not `YYYY-MM-DDTHH-MM-SS-<slug>.md` (slug: lowercase letters, digits and `-`, at most {MAX_NOTE_FILENAME_BYTES} bytes in all)"
            ),
        )
    };
    if filename.len() > MAX_NOTE_FILENAME_BYTES || !filename.is_ascii() {
        return Err(wrong());
    }
    let (Some(stamp), Some(rest)) = (
        filename.get(..NOTE_STAMP_LEN),
        filename.get(NOTE_STAMP_LEN..),
    ) else {
        return Err(wrong());
    };
    if chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H-%M-%S").is_err() {
        return Err(wrong());
    }
    let Some(slug) = rest
        .strip_prefix('-')
        .and_then(|rest| rest.strip_suffix(".md"))
    else {
        return Err(wrong());
    };
    let slug_ok = slug
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first.is_ascii_digit())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        return Err(wrong());
    }
    // The form above cannot name anything but a plain file in the notes folder.
    FolderPath::parse(filename)?;
    Ok(())
}

/// The file-name slug of a title: lowercase ASCII letters and digits, every other run of
/// characters a single `-`, no leading or trailing `-`, at most [`MAX_NOTE_SLUG_BYTES`] bytes;
/// `note` when nothing is left.
pub fn note_slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if slug.len() == MAX_NOTE_SLUG_BYTES {
                break;
            }
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            if slug.len() == MAX_NOTE_SLUG_BYTES {
                break;
            }
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        FALLBACK_SLUG.to_string()
    } else {
        slug.to_string()
    }
}

fn invalid(argument: &'static str, reason: String) -> MemoryToolError {
    MemoryToolError::InvalidArgument { argument, reason }
}
