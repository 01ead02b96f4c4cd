//! A project's folder name under `projects/`: the key's last path segments made safe
//! (`acme-ledger`), then `-` and eight characters of a stable hash of the whole key, so
//! `github.com/acme/ledger` and `gitlab.com/acme/ledger` are two folders that both read well.
//! The same key always gives the same slug, on every platform and build.

use crate::stable_hash::{fnv1a_64, hash_chars};

/// Longest readable part of a slug, in bytes (the hash and its `-` come on top).
pub const MAX_SLUG_BYTES: usize = 40;
/// Characters of the key's hash in a slug (base 36, about 41 bits).
const SLUG_HASH_CHARS: usize = 8;
const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// The readable part when a key has no usable characters.
const FALLBACK_NAME: &str = "project";

/// The folder name of the project whose key is `key`.
pub fn project_slug(key: &str) -> String {
    let segments: Vec<&str> = key.split(['/', '\\']).filter(|s| !s.is_empty()).collect();
    // An origin key starts with its host, which the hash already tells apart: keep the owner
    // and the repository. A folder key keeps its last folder only.
    let readable_segments = if key.starts_with('/') || key.contains(":\\") {
        &segments[segments.len().saturating_sub(1)..]
    } else if segments.len() > 1 {
        &segments[segments.len().saturating_sub(2).max(1)..]
    } else {
        &segments[..]
    };
    let mut readable = String::new();
    for segment in readable_segments {
        for c in segment.chars() {
            let c = if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            };
            if c == '-' && (readable.is_empty() || readable.ends_with('-')) {
                continue;
            }
            readable.push(c);
        }
        if !readable.is_empty() && !readable.ends_with('-') {
            readable.push('-');
        }
    }
    readable.truncate(MAX_SLUG_BYTES);
    let readable = readable.trim_matches(['-', '.']);
    let readable = if readable.is_empty() {
        FALLBACK_NAME
    } else {
        readable
    };
    let hash = hash_chars(fnv1a_64(key.as_bytes()), BASE36, SLUG_HASH_CHARS);
    format!("{readable}-{hash}")
}
