//! Shared setup of the `controls_*` tests: a temporary Codex home copied from the example
//! sessions (mtimes a day back, so every session is idle enough), and the real binary run on it.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::Value;

#[path = "../test_binary/mod.rs"]
mod test_binary;
#[allow(unused_imports)] // not every test starts the binary itself
pub use test_binary::{BIN, binary};
/// The Rust session of the examples (the one the forget test plants a sentence in).
pub const RUST_THREAD: &str = "019df1d4-69b8-78f7-9da1-494c73cf256d";
/// The Python session of the examples.
pub const PYTHON_THREAD: &str = "019dfd4d-8810-7690-b372-969f7f65d54d";
/// How far back the copied sessions' mtimes are set.
pub const DAY: Duration = Duration::from_secs(86_400);

pub fn examples_home() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/codex-home")
}

/// A temporary Codex home holding a copy of the example sessions, each moved in time to have
/// finished a day ago (its last line's time is its version and age).
pub fn example_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    copy_tree(&examples_home(), home.path());
    home
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            finish_session_at(&target, SystemTime::now() - DAY);
        }
    }
}

/// Moves the session at `path` in time so that its last line was written at `time` (which is
/// its version and what the idle and age rules see), and sets its mtime to match.
pub fn finish_session_at(path: &Path, time: SystemTime) {
    let text = std::fs::read_to_string(path).unwrap();
    let text = codex_protocol::rebase_timestamps(&text, chrono::DateTime::from(time));
    std::fs::write(path, text).unwrap();
    set_mtime(path, time);
}

pub fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// The copied rollout file of `thread_id`.
pub fn rollout_of(home: &Path, thread_id: &str) -> PathBuf {
    find_file(&home.join("sessions"), thread_id).unwrap()
}

fn find_file(dir: &Path, needle: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, needle) {
                return Some(found);
            }
        } else if path.to_string_lossy().contains(needle) {
            return Some(path);
        }
    }
    None
}

/// Runs the binary on `home` with stdin closed (never a terminal).
pub fn run(home: &Path, args: &[&str]) -> Output {
    binary()
        .args(args)
        .arg("--codex-home")
        .arg(home)
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_MEMORIES_SQLITE_HOME")
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs the binary and returns its stdout, failing on a non-zero exit.
pub fn run_ok(home: &Path, args: &[&str]) -> String {
    let output = run(home, args);
    assert!(
        output.status.success(),
        "{args:?} failed ({}): {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub fn run_json(home: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&run_ok(home, args)).unwrap()
}

/// `run` with the offline provider and consolidator.
pub fn offline_run(home: &Path) -> String {
    run_ok(
        home,
        &["run", "--provider", "offline", "--consolidator", "offline"],
    )
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}
