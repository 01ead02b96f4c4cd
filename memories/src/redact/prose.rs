//! Credentials written in prose: a secret word (`password`, `pw`, `passphrase`, `pin`, `token`,
//! `secret`, `api key`, …), a few words at most, a link (`is`, `was`, `is now`, `:`, `=`, `to`,
//! `'s`) and a value — "my db password is hunter2-Zq81!x", "pw: Wq7$vLp2eR", "the token is
//! 7f3c…", "password for the vpn: Kx82!mNq", "log in as root, password toor-8812". Ordinary
//! prose around those words ("the password is incorrect", "the token is valid for 24 hours",
//! "the key is to run cargo fmt") is kept by the value's shape: a password needs letters and a
//! digit or symbol and must not be a technical word (`utf-8`, `sha256-hashed`); a token needs
//! letters and digits; a value right after the word, with no link, needs more still. What the
//! assignment parser reads (`password = …`, `token: …` in code and config) is left to it.

use std::ops::Range;

use super::validate::{Classes, contains_ci, is_placeholder, is_repetitive};

/// Words skipped between the secret word and its link ("password *for the admin panel* is").
const MAX_SKIPPED_WORDS: usize = 6;
/// Bytes skipped between the secret word and its link.
const MAX_SKIPPED_BYTES: usize = 64;
/// The longest value considered, in bytes.
const MAX_VALUE_BYTES: usize = 128;
/// Shortest password, in bytes ("hunter2").
const MIN_PASSWORD_BYTES: usize = 6;
/// Shortest token or secret, in bytes.
const MIN_TOKEN_BYTES: usize = 8;
/// Shortest token taken with no link word ("bearer token eQ7v…"), in bytes.
const MIN_UNLINKED_TOKEN_BYTES: usize = 16;
/// Spaces a quoted password may hold.
const MAX_QUOTED_PASSWORD_SPACES: usize = 2;
/// PIN lengths, in digits.
const PIN_DIGITS: std::ops::RangeInclusive<usize> = 4..=8;

/// Words before `key` that make it a secret ("the API key is …"); a plain "key" is too common
/// in prose ("the key is to …").
const SECRET_KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "license",
    "licence",
    "auth",
    "signing",
    "encryption",
    "master",
    "deploy",
    "service",
    "account",
];

/// Technical words that follow "password is" / "token is" in ordinary prose: a value made of
/// these (alone or as the first part of `sha256-hashed`) is a description, not a secret.
const TECHNICAL_WORDS: &[&str] = &[
    "base64", "base32", "sha1", "sha224", "sha256", "sha384", "sha512", "md5", "utf8", "utf-8",
    "utf16", "utf-16", "bcrypt", "scrypt", "argon2", "argon2id", "argon2i", "pbkdf2", "hmac",
    "oauth2", "oauth", "jwt", "hs256", "hs512", "rs256", "rs512", "es256", "ed25519", "aes128",
    "aes256", "aes", "x509", "pkcs8", "pkcs12", "ipv4", "ipv6", "http2", "http1", "2fa", "mfa",
    "totp", "v1", "v2", "v3", "v4", "x86", "x86_64", "arm64", "aarch64", "win32", "win64",
];

/// Words that link the secret word to its value (each followed by a space).
const LINK_WORDS: &[&str] = &["is", "was", "are", "be", "to", "becomes", "became"];
/// Words that may follow a link before the value ("is *now* …", "was *set to* …").
const AFTER_LINK_WORDS: &[&str] = &["now", "still", "currently", "just", "set", "changed", "to"];

/// How strict the value check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A user-chosen password: letters and a digit or symbol.
    Password,
    /// A PIN: digits only.
    Pin,
    /// A token, secret or key: letters and digits.
    Token,
}

/// The value of a credential written in prose whose secret word is `text[hit]`.
pub(super) fn match_at(text: &[u8], hit: Range<usize>) -> Option<Range<usize>> {
    // Most hits sit inside a longer word (`mapping`, `bypass`, `monkey`): out first.
    if hit.start > 0 && is_word_byte(text[hit.start - 1]) {
        return None;
    }
    let word = &text[hit.clone()];
    let is = |w: &[u8]| word.eq_ignore_ascii_case(w);
    let class = if [
        "password",
        "passwd",
        "passphrase",
        "passcode",
        "pwd",
        "pw",
        "pass",
    ]
    .iter()
    .any(|w| is(w.as_bytes()))
    {
        Class::Password
    } else if is(b"pin") {
        Class::Pin
    } else if is(b"token") || is(b"secret") || (is(b"key") && qualified_key(text, hit.start)) {
        Class::Token
    } else {
        return None;
    };
    let unknown_to_assignments = is(b"pw") || is(b"pin") || is(b"passcode") || is(b"key");
    let mut pos = hit.end;
    // `password's` links to its value; `passwords`, `tokens`, `pinned` are other words.
    if let Some(after) = possessive_at(text, pos) {
        return value_at(text, after, class, true);
    }
    if text.get(pos).is_some_and(|b| is_word_byte(*b)) {
        return None;
    }
    // Code and config (`password = …`, `"token": …`) belong to the assignment parser, which
    // does not know `pw`, `pin`, `passcode` or a key named by the word before it.
    let mut direct = pos;
    while text.get(direct).is_some_and(|b| b"\"'`\\]".contains(b)) {
        direct += 1;
    }
    let direct = skip_spaces(text, direct);
    if matches!(text.get(direct), Some(b'=' | b':')) && !unknown_to_assignments {
        return None;
    }
    for skipped in 0..=MAX_SKIPPED_WORDS {
        pos = skip_spaces(text, pos);
        if pos - hit.end > MAX_SKIPPED_BYTES {
            return None;
        }
        if let Some(after) = link_at(text, pos) {
            if let Some(value) = value_at(text, after, class, true) {
                return Some(value);
            }
            // A plain word after the link ("is valid", "was rotated; new one is …", "to the
            // admin panel is …") may be followed by the real link; anything else ends the look.
            if word_at(text, after).0.is_empty() {
                return None;
            }
        } else if skipped == 0
            && pos > hit.end
            && let Some(value) = value_at(text, pos, class, false)
        {
            // No link at all, a space: "log in as root, password toor-8812".
            return Some(value);
        }
        pos = skip_word(text, pos)?;
    }
    None
}

/// Whether the `key` at `start` follows a word that makes it a secret ("api key").
fn qualified_key(text: &[u8], start: usize) -> bool {
    let before = &text[..start];
    let Some(separator) = before.last() else {
        return false;
    };
    if !b" -_".contains(separator) {
        return false;
    }
    let previous = &before[..before.len() - 1];
    let word_start = previous
        .iter()
        .rposition(|b| !b.is_ascii_alphabetic())
        .map_or(0, |p| p + 1);
    let previous = &previous[word_start..];
    SECRET_KEY_QUALIFIERS
        .iter()
        .any(|q| previous.eq_ignore_ascii_case(q.as_bytes()))
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn skip_spaces(text: &[u8], mut pos: usize) -> usize {
    while text.get(pos).is_some_and(|b| *b == b' ' || *b == b'\t') {
        pos += 1;
    }
    pos
}

/// After `'s` / `’s` and a space, where the value starts.
fn possessive_at(text: &[u8], pos: usize) -> Option<usize> {
    let rest = &text[pos..];
    let after = if rest.starts_with(b"'s ") {
        pos + 3
    } else if rest.starts_with("\u{2019}s ".as_bytes()) {
        pos + "\u{2019}s ".len()
    } else {
        return None;
    };
    Some(skip_spaces(text, after))
}

/// A link at `pos` (`:`, `=`, `is`, `was`, `to`, … and the words that may follow it): where the
/// value starts.
fn link_at(text: &[u8], pos: usize) -> Option<usize> {
    let rest = &text[pos..];
    if matches!(rest.first(), Some(b':' | b'=')) {
        return Some(skip_spaces(text, pos + 1));
    }
    let (word, end) = word_at(text, pos);
    let word = word.to_ascii_lowercase();
    if !LINK_WORDS.iter().any(|w| w.as_bytes() == word.as_slice()) || text.get(end) != Some(&b' ') {
        return None;
    }
    let mut after = skip_spaces(text, end);
    for _ in 0..2 {
        let (next, next_end) = word_at(text, after);
        let next = next.to_ascii_lowercase();
        if AFTER_LINK_WORDS
            .iter()
            .any(|w| w.as_bytes() == next.as_slice())
            && text.get(next_end) == Some(&b' ')
        {
            after = skip_spaces(text, next_end);
        }
    }
    if text.get(after) == Some(&b':') {
        after = skip_spaces(text, after + 1);
    }
    Some(after)
}

/// The run of letters at `pos` and where it ends.
fn word_at(text: &[u8], pos: usize) -> (&[u8], usize) {
    let mut end = pos;
    while text.get(end).is_some_and(u8::is_ascii_alphabetic) {
        end += 1;
    }
    (&text[pos..end], end)
}

/// Past the word at `pos` — letters, digits, `-` or `'`, then at most a `,` or `;` — or `None`
/// where there is no such word (a symbol, the end of a sentence or line).
fn skip_word(text: &[u8], pos: usize) -> Option<usize> {
    let mut end = pos;
    while text
        .get(end)
        .is_some_and(|b| b.is_ascii_alphanumeric() || b"-'".contains(b))
    {
        end += 1;
    }
    if end == pos {
        return None;
    }
    if text.get(end).is_some_and(|b| b",;".contains(b)) {
        end += 1;
    }
    text.get(end)
        .is_none_or(|b| *b == b' ' || *b == b'\t' || *b == b':' || *b == b'=')
        .then_some(end)
}

/// The value at `pos` when it has the shape of a secret of `class`; `linked` says whether a link
/// word stood before it (without one, the shape must be stronger).
fn value_at(text: &[u8], pos: usize, class: Class, linked: bool) -> Option<Range<usize>> {
    let (range, quoted) = value_range(text, pos)?;
    let value = &text[range.clone()];
    secret_shaped(value, class, linked, quoted).then_some(range)
}

/// The quoted or bare value starting at `pos`, without surrounding sentence punctuation, and
/// whether it was quoted. A bare value starts with a letter, a digit or a password symbol (not
/// `-`, a bracket or a slash: flags, markers and paths) and holds no backslash (an escape).
fn value_range(text: &[u8], pos: usize) -> Option<(Range<usize>, bool)> {
    let limit = text.len().min(pos + MAX_VALUE_BYTES);
    let rest = &text[pos..limit];
    for (open, close) in [
        ("\"", "\""),
        ("'", "'"),
        ("`", "`"),
        ("\u{201c}", "\u{201d}"),
        ("\u{2018}", "\u{2019}"),
        ("\u{ab}", "\u{bb}"),
    ] {
        if let Some(inner) = rest.strip_prefix(open.as_bytes()) {
            let end = inner
                .windows(close.len())
                .position(|w| w == close.as_bytes())?;
            let start = pos + open.len();
            return (end > 0).then_some((start..start + end, true));
        }
    }
    let first = *rest.first()?;
    if !(first.is_ascii_alphanumeric() || b"!@#$%^&*+~?".contains(&first)) {
        return None;
    }
    let mut end = rest
        .iter()
        .position(|b| b.is_ascii_whitespace() || !b.is_ascii())
        .unwrap_or(rest.len());
    while end > 0 && b".,;:)\"'`".contains(&rest[end - 1]) {
        end -= 1;
    }
    let value = &rest[..end];
    (end > 0 && !value.contains(&b'\\')).then_some((pos..pos + end, false))
}

/// Whether `value` is shaped like a secret of `class`. Only a quoted password may hold spaces,
/// a couple at most (`"open sesame 9"`).
fn secret_shaped(value: &[u8], class: Class, linked: bool, quoted: bool) -> bool {
    let spaces = value.iter().filter(|b| b.is_ascii_whitespace()).count();
    let spaces_allowed = if quoted && class == Class::Password {
        MAX_QUOTED_PASSWORD_SPACES
    } else {
        0
    };
    if spaces > spaces_allowed
        || is_placeholder(value)
        || contains_ci(value, b"://")
        || value.starts_with(b"/")
        || value.starts_with(b"~/")
        || value.starts_with(b"./")
        || is_technical(value)
    {
        return false;
    }
    let classes = Classes::of(value);
    let letters = classes.lower || classes.upper;
    match class {
        Class::Pin => {
            linked && PIN_DIGITS.contains(&value.len()) && value.iter().all(u8::is_ascii_digit)
        }
        Class::Password => {
            value.len() >= MIN_PASSWORD_BYTES
                && !is_reference(value)
                && match (letters, linked) {
                    (true, true) => classes.digit || has_symbol(value),
                    (true, false) => classes.digit,
                    (false, linked) => {
                        linked && classes.digit && !classes.other && !is_repetitive(value)
                    }
                }
        }
        Class::Token => {
            let min = if linked {
                MIN_TOKEN_BYTES
            } else {
                MIN_UNLINKED_TOKEN_BYTES
            };
            value.len() >= min
                && letters
                && classes.digit
                && !is_reference(value)
                && !is_repetitive(value)
        }
    }
}

/// A symbol a password uses, not one that joins words (`-`, `_`, `.`) or writes prose (`'`).
fn has_symbol(value: &[u8]) -> bool {
    value
        .iter()
        .any(|b| b.is_ascii_punctuation() && !b"-_.'\"".contains(b))
}

/// `config.password`, `env.TOKEN_2`: a dotted reference, not a literal.
fn is_reference(value: &[u8]) -> bool {
    let segments: Vec<&[u8]> = value.split(|b| *b == b'.').collect();
    segments.len() >= 2
        && segments.iter().all(|segment| {
            segment.first().is_some_and(u8::is_ascii_alphabetic)
                && segment
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        })
}

/// A technical word, or one leading a compound (`sha256-hashed`, `utf-8`, `base64_encoded`).
fn is_technical(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    TECHNICAL_WORDS.iter().any(|word| {
        let word = word.as_bytes();
        lower == word || (lower.starts_with(word) && b"-_.".contains(&lower[word.len()]))
    })
}

#[cfg(test)]
#[path = "prose_tests.rs"]
mod tests;
