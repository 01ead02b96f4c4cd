//! The file service over real temporary folders: confinement (links, `.git` in any case), the
//! size caps, atomic and never-clobbering writes, and the folder lock across a swap.

use std::path::Path;

use pretty_assertions::assert_eq;

use super::limits::{MAX_READ_FILE_BYTES, MAX_WRITE_FILE_BYTES};
use super::lock::{LockMode, open_locked};
use super::*;

fn path(text: &str) -> FolderPath {
    FolderPath::parse(text).unwrap()
}

fn folder() -> (tempfile::TempDir, MemoryFolder) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("memories");
    std::fs::create_dir(&root).unwrap();
    let folder = MemoryFolder::open(&root).unwrap();
    (dir, folder)
}

fn names(entries: &[EntryInfo]) -> Vec<String> {
    entries.iter().map(|entry| entry.path.to_string()).collect()
}

#[test]
fn writes_create_folders_replace_files_and_read_back() {
    let (_dir, folder) = folder();
    folder
        .write(&path("skills/x/SKILL.md"), b"# Skill\n")
        .unwrap();
    folder
        .write(&path("skills/x/SKILL.md"), b"# Skill v2\n")
        .unwrap();
    assert_eq!(
        folder.read_text(&path("skills/x/SKILL.md")).unwrap(),
        "# Skill v2\n"
    );
    assert_eq!(
        folder.stat(&path("skills/x/SKILL.md")).unwrap(),
        Some(EntryInfo {
            path: path("skills/x/SKILL.md"),
            kind: EntryKind::File,
            bytes: 11,
        })
    );
    // No temporary file is left beside it.
    assert_eq!(
        std::fs::read_dir(folder.root().join("skills/x"))
            .unwrap()
            .count(),
        1
    );
    folder.remove_file(&path("skills/x/SKILL.md")).unwrap();
    assert_eq!(folder.stat(&path("skills/x/SKILL.md")).unwrap(), None);
}

#[test]
fn create_new_never_overwrites_an_existing_file() {
    let (_dir, folder) = folder();
    folder.create_new(&path("notes/a.md"), b"first").unwrap();
    let error = folder
        .create_new(&path("notes/a.md"), b"second")
        .unwrap_err();
    assert!(matches!(error, FolderError::Exists { .. }), "{error}");
    assert_eq!(folder.read_text(&path("notes/a.md")).unwrap(), "first");
}

#[test]
fn the_walk_is_depth_first_in_name_order_and_hides_git_in_any_case() {
    let (_dir, folder) = folder();
    for file in [
        "b.md",
        "a/z.md",
        "a/y/x.md",
        ".git/config",
        ".GIT/HEAD",
        ".Git.tmp-1/x",
    ] {
        let full = folder.root().join(file);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, "x").unwrap();
    }
    let walked: Vec<String> = folder
        .walk(&FolderPath::root())
        .unwrap()
        .map(|entry| entry.unwrap().path.to_string())
        .collect();
    assert_eq!(walked, vec!["a", "a/y", "a/y/x.md", "a/z.md", "b.md"]);
    assert_eq!(
        names(&folder.list_dir(&path("a")).unwrap()),
        vec!["a/y", "a/z.md"]
    );
}

#[test]
fn sizes_over_the_caps_are_refused_with_the_limit_named() {
    let (_dir, folder) = folder();
    let big = vec![b'x'; MAX_WRITE_FILE_BYTES + 1];
    let error = folder.write(&path("MEMORY.md"), &big).unwrap_err();
    assert!(
        matches!(error, FolderError::WriteTooLarge { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains(&MAX_WRITE_FILE_BYTES.to_string())
    );
    assert_eq!(folder.stat(&path("MEMORY.md")).unwrap(), None);

    let huge = std::fs::File::create(folder.root().join("huge.md")).unwrap();
    huge.set_len(MAX_READ_FILE_BYTES + 1).unwrap();
    let error = folder.read(&path("huge.md")).unwrap_err();
    assert!(matches!(error, FolderError::FileTooLarge { .. }), "{error}");
}

#[test]
fn folders_and_missing_paths_are_named_in_the_error() {
    let (_dir, folder) = folder();
    folder.write(&path("a/b.md"), b"x").unwrap();
    let messages: Vec<String> = [
        folder.read(&path("a")).unwrap_err(),
        folder.read(&path("nope/b.md")).unwrap_err(),
        folder.read(&path("a/b.md/c")).unwrap_err(),
        folder.write(&path("a"), b"x").unwrap_err(),
        folder.remove_file(&path("a")).unwrap_err(),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        messages,
        vec![
            "`a` is a folder, not a file; use `list` to see what it holds",
            "`nope/b.md` does not exist in the memory folder",
            "`a/b.md` is not a folder",
            "`a` is a folder, not a file; use `list` to see what it holds",
            "`a` is a folder, not a file; use `list` to see what it holds",
        ]
    );
}

#[cfg(unix)]
#[test]
fn links_are_never_followed_on_read_write_or_walk() {
    let (dir, folder) = folder();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.md"), "outside secret").unwrap();
    std::os::unix::fs::symlink(&outside, folder.root().join("escape")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.md"), folder.root().join("leak.md")).unwrap();
    // A link inside the folder is refused too: it could point into `.git`.
    std::fs::create_dir(folder.root().join(".git")).unwrap();
    std::fs::write(folder.root().join(".git/config"), "[core]").unwrap();
    std::os::unix::fs::symlink(".git/config", folder.root().join("config.md")).unwrap();

    for (attempt, shown) in [
        (folder.read(&path("leak.md")), "leak.md"),
        (folder.read(&path("escape/secret.md")), "escape"),
        (folder.read(&path("config.md")), "config.md"),
    ] {
        let error = attempt.unwrap_err();
        assert!(
            matches!(&error, FolderError::Symlink { path } if path == shown),
            "{error}"
        );
    }
    for write in [
        folder.write(&path("escape/new.md"), b"pwned"),
        folder.write(&path("leak.md"), b"pwned"),
        folder.write(&path("config.md"), b"pwned"),
        folder.create_new(&path("escape/new.md"), b"pwned"),
    ] {
        assert!(
            matches!(write, Err(FolderError::Symlink { .. })),
            "{write:?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.join("secret.md")).unwrap(),
        "outside secret"
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(folder.root().join(".git/config")).unwrap(),
        "[core]"
    );
    let walked: Vec<String> = folder
        .walk(&FolderPath::root())
        .unwrap()
        .map(|entry| entry.unwrap().path.to_string())
        .collect();
    assert_eq!(walked, Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn a_folder_replaced_by_a_link_after_it_was_listed_is_not_followed() {
    let (dir, folder) = folder();
    folder.write(&path("skills/x.md"), b"x").unwrap();
    let listed = folder.list_dir(&FolderPath::root()).unwrap();
    assert_eq!(names(&listed), vec!["skills"]);
    // Swap the folder for a link to the outside between the listing and the use.
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::remove_dir_all(folder.root().join("skills")).unwrap();
    std::os::unix::fs::symlink(&outside, folder.root().join("skills")).unwrap();
    let error = folder.write(&path("skills/x.md"), b"pwned").unwrap_err();
    assert!(matches!(error, FolderError::Symlink { .. }), "{error}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn a_writer_waiting_for_a_swap_lands_in_the_folder_swapped_in() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("memories");
    std::fs::create_dir(&root).unwrap();
    let (old, exclusive) = open_locked(&root, LockMode::Exclusive, false)
        .unwrap()
        .unwrap();
    let writer_root = root.clone();
    let writer = std::thread::spawn(move || {
        let folder = MemoryFolder::open_live_for_writing(&writer_root).unwrap();
        folder.create_new(&path("note.md"), b"kept").unwrap();
    });
    // The writer is blocked on the lock; swap a new folder in meanwhile.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let retired = dir.path().join("retired");
    std::fs::rename(&root, &retired).unwrap();
    let staged = dir.path().join("staged");
    std::fs::create_dir(&staged).unwrap();
    std::fs::rename(&staged, &root).unwrap();
    // The lock is held by the handle and its duplicate alike.
    drop((old, exclusive));
    writer.join().unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("note.md")).unwrap(),
        "kept"
    );
    assert!(!retired.join("note.md").exists());
}

#[test]
fn a_missing_folder_is_reported_and_created_only_for_writers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("memories");
    let error = MemoryFolder::open(&root).unwrap_err();
    assert!(matches!(error, FolderError::MissingRoot { .. }), "{error}");
    assert!(!Path::new(&root).exists());
    MemoryFolder::open_live_for_writing(&root).unwrap();
    assert!(root.is_dir());
}
