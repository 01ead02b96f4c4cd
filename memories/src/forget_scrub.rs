//! The last step of `forget` after a consolidation: lines of the memory folder's files that still
//! hold the forgotten thread's text are deleted. A consolidator that keeps text it did not write
//! (the offline one keeps what an agent or a person wrote into `MEMORY.md`) leaves such lines.
//! It runs only after a consolidation, whose fresh baseline is then made again over the scrubbed
//! files, so git keeps no copy and the next consolidation's diff carries no deleted line to a
//! model. `.git` and the workspace's own bookkeeping are not touched here (forget's leftover step
//! and the baseline handle them).

use std::io;
use std::path::{Path, PathBuf};

use crate::forget_check::ForgetNeedles;
use crate::fsutil::write_atomic;

/// Deletes, in every text file under `root` (`.git*` entries skipped, links not followed), each
/// line that holds one of `needles`; returns the files changed, relative to `root`.
pub(crate) fn scrub_kept_lines(
    root: &Path,
    needles: &ForgetNeedles,
) -> Result<Vec<String>, (PathBuf, io::Error)> {
    let mut changed = Vec::new();
    scrub_dir(root, root, needles, &mut changed)?;
    changed.sort();
    Ok(changed)
}

fn scrub_dir(
    root: &Path,
    dir: &Path,
    needles: &ForgetNeedles,
    changed: &mut Vec<String>,
) -> Result<(), (PathBuf, io::Error)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err((dir.to_path_buf(), error)),
    };
    for entry in entries {
        let entry = entry.map_err(|error| (dir.to_path_buf(), error))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with(".git") {
            continue;
        }
        let kind = entry.file_type().map_err(|error| (path.clone(), error))?;
        if kind.is_dir() {
            scrub_dir(root, &path, needles, changed)?;
        } else if kind.is_file() && scrub_file(&path, needles)? {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            changed.push(relative.display().to_string());
        }
    }
    Ok(())
}

/// Rewrites `path` without the lines holding a needle; `false` when it holds none (or is not
/// text, which our folder's files always are).
fn scrub_file(path: &Path, needles: &ForgetNeedles) -> Result<bool, (PathBuf, io::Error)> {
    let bytes = std::fs::read(path).map_err(|error| (path.to_path_buf(), error))?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(false);
    };
    let holds = |line: &str| {
        needles
            .needles
            .iter()
            .any(|needle| line.contains(needle.text.as_str()))
    };
    if !holds(text) {
        return Ok(false);
    }
    let kept: String = text
        .split_inclusive('\n')
        .filter(|line| !holds(line))
        .collect();
    write_atomic(path, kept.as_bytes()).map_err(|error| (path.to_path_buf(), error))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::forget_check::NeedleKind;

    #[test]
    fn only_the_lines_holding_the_thread_go_and_git_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("projects/acme")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(
            root.join("MEMORY.md"),
            "# Memory\n- keep this\n- the deploy key lives in vault path secret/ledger-prod\n",
        )
        .unwrap();
        std::fs::write(
            root.join("projects/acme/MEMORY.md"),
            "- from 019df1d4-69b8-78f7-9da1-494c73cf256d\n- unrelated\n",
        )
        .unwrap();
        std::fs::write(root.join("untouched.md"), "nothing of it\n").unwrap();
        std::fs::write(
            root.join(".git/HEAD"),
            "019df1d4-69b8-78f7-9da1-494c73cf256d",
        )
        .unwrap();
        let mut needles = ForgetNeedles::default();
        needles.push(NeedleKind::ThreadId, "019df1d4-69b8-78f7-9da1-494c73cf256d");
        needles.push(
            NeedleKind::MemoryLine,
            "the deploy key lives in vault path secret/ledger-prod",
        );

        let changed = scrub_kept_lines(root, &needles).unwrap();

        assert_eq!(
            changed,
            vec![
                "MEMORY.md".to_string(),
                "projects/acme/MEMORY.md".to_string()
            ]
        );
        assert_eq!(
            std::fs::read_to_string(root.join("MEMORY.md")).unwrap(),
            "# Memory\n- keep this\n"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("projects/acme/MEMORY.md")).unwrap(),
            "- unrelated\n"
        );
        assert_eq!(
            std::fs::read_to_string(root.join(".git/HEAD")).unwrap(),
            "019df1d4-69b8-78f7-9da1-494c73cf256d"
        );
    }
}
