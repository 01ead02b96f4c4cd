//! The file stem of a rollout summary: `<YYYY-MM-DDTHH-MM-SS>-<4 base62 chars>[-<slug>]`. The
//! timestamp is the thread's UUIDv7 time (UTC; the source's update time for older ids), the four
//! characters a stable hash of the id (so two threads started in the same second never collide
//! in practice), the slug the model's task name sanitised to lowercase ASCII alphanumerics and
//! `_`, at most 60 bytes.

use chrono::{DateTime, Utc};
use codex_protocol::ThreadId;

use crate::stable_hash::{fnv1a_64, hash_chars};

/// Longest slug kept in a stem, in bytes.
pub const MAX_STEM_SLUG_BYTES: usize = 60;
/// Characters of the id hash in a stem.
const HASH_CHARS: usize = 4;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The stem for `thread_id`; `fallback_time` (unix seconds) is used when the id is not UUIDv7.
pub fn summary_stem(thread_id: &ThreadId, fallback_time: i64, slug: Option<&str>) -> String {
    let time = thread_id
        .v7_timestamp_millis()
        .and_then(|millis| DateTime::<Utc>::from_timestamp_millis(millis as i64))
        .or_else(|| DateTime::<Utc>::from_timestamp(fallback_time, 0))
        .unwrap_or_default();
    let mut stem = format!(
        "{}-{}",
        time.format("%Y-%m-%dT%H-%M-%S"),
        id_hash(thread_id)
    );
    if let Some(slug) = slug.map(sanitize_slug).filter(|slug| !slug.is_empty()) {
        stem.push('-');
        stem.push_str(&slug);
    }
    stem
}

/// Lowercase ASCII alphanumerics kept, everything else `_`, at most 60 bytes, no trailing `_`.
pub fn sanitize_slug(slug: &str) -> String {
    let mut out: String = slug
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(MAX_STEM_SLUG_BYTES)
        .collect();
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Four base62 characters of the FNV-1a 64-bit hash of the id's text.
fn id_hash(thread_id: &ThreadId) -> String {
    hash_chars(
        fnv1a_64(thread_id.to_string().as_bytes()),
        BASE62,
        HASH_CHARS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn id() -> ThreadId {
        "019a93b9-f380-7600-98ff-940e6b99603c".parse().unwrap()
    }

    #[test]
    fn stem_is_fixed_for_a_known_thread() {
        assert_eq!(
            summary_stem(&id(), 0, Some("Fix LM Studio wiring!")),
            "2025-11-17T21-30-28-SBS9-fix_lm_studio_wiring"
        );
        assert_eq!(summary_stem(&id(), 0, None), "2025-11-17T21-30-28-SBS9");
    }

    #[test]
    fn non_v7_ids_use_the_fallback_time() {
        let v4: ThreadId = "30529251-54bd-4db3-82be-2d5304bf22ea".parse().unwrap();
        assert!(summary_stem(&v4, 1_745_141_400, None).starts_with("2025-04-20T09-30-00-"));
    }

    #[test]
    fn slugs_are_sanitised_and_capped() {
        assert_eq!(sanitize_slug("Über-fast  API__"), "_ber_fast__api");
        assert_eq!(sanitize_slug(&"a".repeat(100)).len(), MAX_STEM_SLUG_BYTES);
        assert_eq!(sanitize_slug("!!!"), "");
    }
}
