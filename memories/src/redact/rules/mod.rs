//! The rule table: every rule names its family, the literal triggers the prefilter looks for,
//! and how a match is confirmed around a trigger (an anchored regex, the PEM scanner, or the
//! generic assignment parser). Order is priority: when two rules claim the same bytes, the
//! earlier one names the finding. Patterns are byte regexes; the part to replace is the group
//! named `s` (or the whole match when there is none). The rules themselves live in `tokens.rs`
//! and `services.rs` (prefixed tokens) and `credentials.rs` (keys, hashes, URLs, headers, config).

mod credentials;
mod services;
mod tokens;

use super::family::Family;

/// How far past the end of a trigger a token is first looked for, in bytes; the scan widens
/// the window when a match reaches its end (anchored patterns stop where the match does, so a
/// wide window costs nothing).
pub(super) const TOKEN_AFTER_BYTES: usize = 64 * 1024;
/// How far past the trigger an unanchored (`around`) pattern looks, in bytes: these tokens
/// have a fixed length and the regex scans the whole window.
pub(super) const AROUND_AFTER_BYTES: usize = 256;
/// How far past a base64-PEM trigger the encoded key may reach, in bytes.
pub(super) const BASE64_PEM_AFTER_BYTES: usize = 16 * 1024;

/// The validation applied to what a regex captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// The regex shape is enough.
    Shape,
    /// At least two character classes and no long run of one character.
    Variety,
    /// GitHub tokens: a valid CRC32 checksum, or else enough variety.
    GitHubChecksum,
    /// A user-chosen credential: anything but a placeholder or variable.
    Credential,
    /// An opaque token after a keyword: not a placeholder, at least 8 bytes, not a plain word.
    Token,
    /// Base64 that decodes to a PEM private-key header.
    Base64Pem,
    /// Base64 that decodes to `user:password`.
    BasicAuth,
    /// A password given on a command line: a credential, and not a number, port or mapping.
    CliPassword,
}

/// How a rule confirms a trigger.
#[derive(Debug, Clone, Copy)]
pub(super) enum Matcher {
    /// A regex run on the bytes from `before` bytes ahead of the trigger to `after` bytes past
    /// its end; a match must cover the trigger's first byte. With `before == 0` patterns start
    /// with `^` and `word_start` asks that the trigger not follow a letter or digit.
    Regex {
        pattern: &'static str,
        before: usize,
        after: usize,
        word_start: bool,
        check: Check,
    },
    /// A PEM private-key block (real newlines or `\n` escapes), markers kept.
    Pem,
    /// A generic `key = value` assignment whose key ends with the trigger word.
    Assignment,
    /// A credential written in prose: the trigger word, a link (`is`, `:`, `to`), a value.
    Prose,
}

/// One detection rule.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rule {
    pub name: &'static str,
    pub family: Family,
    /// Literals found case-insensitively by the prefilter.
    pub triggers: &'static [&'static str],
    pub matcher: Matcher,
}

/// A token that starts at its trigger, on a word start.
pub(super) const fn token(
    name: &'static str,
    family: Family,
    triggers: &'static [&'static str],
    pattern: &'static str,
    check: Check,
) -> Rule {
    Rule {
        name,
        family,
        triggers,
        matcher: Matcher::Regex {
            pattern,
            before: 0,
            after: TOKEN_AFTER_BYTES,
            word_start: true,
            check,
        },
    }
}

/// A match that starts at its trigger, wherever the trigger sits.
pub(super) const fn anchored(
    name: &'static str,
    family: Family,
    triggers: &'static [&'static str],
    pattern: &'static str,
    check: Check,
) -> Rule {
    Rule {
        name,
        family,
        triggers,
        matcher: Matcher::Regex {
            pattern,
            before: 0,
            after: TOKEN_AFTER_BYTES,
            word_start: false,
            check,
        },
    }
}

/// A match whose trigger sits up to `before` bytes inside it.
pub(super) const fn around(
    name: &'static str,
    family: Family,
    triggers: &'static [&'static str],
    pattern: &'static str,
    before: usize,
    check: Check,
) -> Rule {
    Rule {
        name,
        family,
        triggers,
        matcher: Matcher::Regex {
            pattern,
            before,
            after: AROUND_AFTER_BYTES,
            word_start: false,
            check,
        },
    }
}

/// The rule groups in priority order: private keys, then prefixed tokens, then credentials
/// recognised by their surroundings, the generic assignment last.
const GROUPS: &[&[Rule]] = &[
    credentials::PRIVATE_KEYS,
    tokens::TOKENS,
    services::SERVICES,
    credentials::CREDENTIALS,
];

/// Every rule, in priority order.
pub(super) fn all() -> impl Iterator<Item = &'static Rule> {
    GROUPS.iter().flat_map(|group| group.iter())
}
