//! Byte-for-byte snapshots of a memory folder and the phase-2 leftovers beside it, shared by the
//! transaction tests of both crates (the cli crate's tests include this file by `#[path]`).
#![allow(dead_code, clippy::unwrap_used)] // each test binary uses what it needs

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `root` (`.git` included) with its bytes, and every folder (`None`).
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if entry.file_type().unwrap().is_dir() {
                found.insert(relative, None);
                pending.push(path);
            } else {
                found.insert(relative, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    found
}

/// The staging or retired folders phase 2 left beside the memory folder at `root`.
pub fn leftovers(root: &Path) -> Vec<String> {
    let name = root.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(root.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|other| other.starts_with(&format!(".{name}.phase2-")))
        .collect()
}
