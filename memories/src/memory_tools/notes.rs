//! `add_note`: leaves a note for the next consolidation as
//! `extensions/ad_hoc/notes/<YYYY-MM-DDTHH-MM-SS>-<slug>.md`. Title and body are redacted before
//! anything is written; an existing note is never overwritten (a `-2`, `-3`, … suffix is added),
//! and the file appears whole or not at all (written aside, then linked into place).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::confine::resolve_in_root;
use crate::memory_tools::MemoryToolError;
use crate::phase2::extensions::{AD_HOC_EXTENSION, EXTENSIONS_DIR, NOTES_DIR, seed_ad_hoc};
use crate::redact::redact;

/// Largest note body, in bytes.
pub const MAX_NOTE_BODY_BYTES: usize = 64 * 1024;
/// Longest note title, in bytes.
pub const MAX_NOTE_TITLE_BYTES: usize = 200;
/// Longest slug in a note's file name, in bytes.
pub const MAX_NOTE_SLUG_BYTES: usize = 60;
/// Most numbered suffixes tried when notes with the same name exist.
const MAX_NOTE_NAME_ATTEMPTS: usize = 1000;
/// Slug used when the title has no ASCII letters or digits.
const FALLBACK_SLUG: &str = "note";

/// A note that was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteWritten {
    /// Path relative to the memory root.
    pub path: String,
    /// Bytes written.
    pub bytes: usize,
    /// Secrets replaced by `[REDACTED_SECRET]` in the title and body.
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
    if body.trim().is_empty() {
        return Err(invalid("body", "must not be empty".to_string()));
    }
    if body.len() > MAX_NOTE_BODY_BYTES {
        return Err(invalid(
            "body",
            format!(
                "is {} bytes; a note holds at most {MAX_NOTE_BODY_BYTES} bytes",
                body.len()
            ),
        ));
    }
    let title = redact(title);
    let body = redact(body.trim_end());
    let content = format!(
        "# {}\n\nadded: {}\n\n{}\n",
        title.text,
        now.to_rfc3339_opts(SecondsFormat::Secs, true),
        body.text
    );

    let notes_relative = format!("{EXTENSIONS_DIR}/{AD_HOC_EXTENSION}/{NOTES_DIR}");
    std::fs::create_dir_all(root).map_err(|error| MemoryToolError::io("", error))?;
    // Check before seeding, so a symlinked `extensions/` cannot make the seeding write outside.
    resolve_in_root(root, &notes_relative)?;
    seed_ad_hoc(root).map_err(|error| MemoryToolError::io(notes_relative.as_str(), error))?;
    let notes = resolve_in_root(root, &notes_relative)?;

    let stem = format!(
        "{}-{}",
        now.format("%Y-%m-%dT%H-%M-%S"),
        note_slug(&title.text)
    );
    let mut pending = tempfile::NamedTempFile::new_in(&notes)
        .map_err(|error| MemoryToolError::io(notes_relative.as_str(), error))?;
    pending
        .write_all(content.as_bytes())
        .and_then(|()| pending.as_file().sync_all())
        .map_err(|error| MemoryToolError::io(notes_relative.as_str(), error))?;
    for attempt in 1..=MAX_NOTE_NAME_ATTEMPTS {
        let name = if attempt == 1 {
            format!("{stem}.md")
        } else {
            format!("{stem}-{attempt}.md")
        };
        let relative = format!("{notes_relative}/{name}");
        match pending.persist_noclobber(notes.join(&name)) {
            Ok(_) => {
                return Ok(NoteWritten {
                    path: relative,
                    bytes: content.len(),
                    redactions: title.findings.len() + body.findings.len(),
                });
            }
            Err(error) if error.error.kind() == std::io::ErrorKind::AlreadyExists => {
                pending = error.file;
            }
            Err(error) => return Err(MemoryToolError::io(relative, error.error)),
        }
    }
    Err(MemoryToolError::NoteNameTaken {
        path: format!("{notes_relative}/{stem}.md"),
    })
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
