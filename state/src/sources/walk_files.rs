//! Walking one session folder: every regular file a source accepts, stat-ed, without following
//! symbolic links (a link loop or a link out of the folder is never followed). Entries that
//! cannot be listed or stat-ed are reported, not fatal.

use std::path::Path;

use walkdir::WalkDir;

use crate::FileStat;
use crate::indexer::FailedFile;
use crate::sources::{FoundSessions, SessionRoot};

/// Walks `root` at most `max_depth` levels deep and adds each regular file `keep` accepts to
/// `found`.
pub(crate) fn walk_files(
    root: &SessionRoot,
    max_depth: usize,
    keep: impl Fn(&Path) -> bool,
    found: &mut FoundSessions,
) {
    for entry in WalkDir::new(&root.path)
        .follow_links(false)
        .max_depth(max_depth)
    {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error.path().unwrap_or(&root.path).to_path_buf();
                found.failed.push(FailedFile {
                    path,
                    reason: format!("cannot list: {error}"),
                });
                continue;
            }
        };
        if !entry.file_type().is_file() || !keep(entry.path()) {
            continue;
        }
        match entry.metadata() {
            Ok(metadata) => found.files.push(FileStat::from_metadata(
                entry.into_path(),
                &metadata,
                root.agent,
                root.archived,
            )),
            Err(error) => found.failed.push(FailedFile {
                path: entry.into_path(),
                reason: format!("cannot stat: {error}"),
            }),
        }
    }
}
