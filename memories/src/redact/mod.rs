//! Secret redaction for everything that leaves the process or lands on disk: rendered
//! transcripts before upload and model outputs before they are stored. It owns the rule set and
//! the replacement; it does not decide *what* gets redacted upstream (callers pass whole texts).
//! The invariant: only the secret part of a match is replaced by [`REDACTED`] (keys, separators,
//! quotes, URL structure and PEM markers stay), and redacting redacted text changes nothing.

mod assignment;
mod family;
mod pem;
mod prose;
mod rules;
mod scan;
mod validate;

use std::ops::Range;

pub use family::Family;

/// What replaces every secret.
pub const REDACTED: &str = "[REDACTED_SECRET]";

/// One secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The kind of credential (cloud key, VCS token, private key, …).
    pub family: Family,
    /// The rule that matched, e.g. `github-token` or `generic-password`.
    pub rule: &'static str,
    /// The byte range of the secret in the input text (exactly what was replaced).
    pub span: Range<usize>,
}

/// A redacted text and what was taken out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The input with every secret replaced by [`REDACTED`].
    pub text: String,
    /// The secrets, in input order, without overlaps.
    pub findings: Vec<Finding>,
}

/// [`redact`] as the databases' text filter: what the thread index stores of a session and every
/// log row's body pass through it before they are written.
pub fn redacting_filter() -> codex_state::TextFilter {
    codex_state::TextFilter(std::sync::Arc::new(|text: &str| redact(text).text))
}

/// Replaces every secret in `text` by [`REDACTED`] and reports where they were.
pub fn redact(text: &str) -> Redacted {
    let findings = scan::find(text, false);
    if findings.is_empty() {
        return Redacted {
            text: text.to_string(),
            findings,
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for finding in &findings {
        out.push_str(&text[last..finding.span.start]);
        out.push_str(REDACTED);
        last = finding.span.end;
    }
    out.push_str(&text[last..]);
    Redacted {
        text: out,
        findings,
    }
}

/// Whether `text` holds at least one secret (stops at the first one).
pub fn contains_secret(text: &str) -> bool {
    !scan::find(text, true).is_empty()
}

#[cfg(test)]
mod tests;
