//! Generic `key = value` assignments: a key ending in a secret word (`password`, `token`,
//! `secret`, `api_key`, …) followed by a separator (`=`, `:`, `:=`, `=>`, `==`, a flag's space)
//! and a value, in code, env files, YAML, JSON (also with `\"` escapes) and shell. The key,
//! separator and quotes stay; the value is the secret only when it is neither a placeholder, a
//! variable, a call, a path nor a plain word — see [`KeyClass`] for how strict each key is.

use std::ops::Range;

use super::REDACTED;
use super::family::Family;
use super::rules::Check;
use super::validate::{
    Classes, PASSWORD_MIN_BYTES, TOKEN_MIN_BYTES, contains_ci, is_hex, is_placeholder,
    is_repetitive, is_word_path, looks_random, passes,
};

/// How far left of the trigger a key may start, in bytes.
const MAX_KEY_BYTES: usize = 80;
/// How far before the key the word `public` disqualifies it, in bytes.
const PUBLIC_CONTEXT_BYTES: usize = 8;
/// How many spaces or tabs may surround the separator.
const MAX_PADDING_BYTES: usize = 32;
/// The longest value considered, in bytes (parsing stops at the value's end, so a large bound
/// costs nothing; long JWTs and session tokens must fit).
const MAX_VALUE_BYTES: usize = 64 * 1024;
/// The most spaces a quoted password may hold (`"open sesame"` yes, a sentence no).
const MAX_PASSWORD_SPACES: usize = 2;

/// Words before `key` that make the key a secret (`apiKey`, `PRIVATE_KEY`, `accesskey`).
const SECRET_KEY_COMPOUNDS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "auth",
    "license",
    "licence",
    "client",
    "master",
    "encryption",
    "signing",
    "consumer",
    "app",
    "account",
    "shared",
    "subscription",
    "service",
    "deploy",
    "stream",
    "admin",
    "session",
    "webhook",
    "query",
    "insert",
    "device",
    "preshared",
    "rest",
    "developer",
    "io",
    "ssh",
    "hmac",
    "jwt",
    "cipher",
    "crypt",
    "sign",
    "root",
    "write",
    "ingest",
    "ingestion",
    "storage",
    "server",
];

/// Unquoted words that follow `password:` in prose and logs, not passwords.
const PROSE_WORDS: &[&str] = &[
    "incorrect",
    "invalid",
    "wrong",
    "missing",
    "expired",
    "changed",
    "updated",
    "reset",
    "saved",
    "field",
    "length",
    "must",
    "should",
    "cannot",
    "the",
    "your",
    "for",
    "and",
    "not",
    "from",
    "with",
    "prompt",
    "input",
    "hash",
    "hashed",
    "policy",
    "manager",
    "protected",
    "authentication",
    "login",
    "accepted",
    "rejected",
    "ok",
    "set",
];

/// File extensions that make a value a path to a secret, not the secret.
const FILE_EXTENSIONS: &[&str] = &[
    ".pem",
    ".key",
    ".json",
    ".txt",
    ".p12",
    ".pfx",
    ".crt",
    ".cer",
    ".env",
    ".yaml",
    ".yml",
    ".toml",
    ".jks",
    ".keystore",
    ".gpg",
    ".asc",
    ".ini",
    ".conf",
    ".cfg",
];

/// How strict the value check is, decided by how the key ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    /// `password`, `passwd`, `pwd`, `pass`, `passphrase`: user-chosen, short values count.
    Password,
    /// `token`, `secret`, `api_key`, `private_key`, …: opaque values of 8 bytes or more.
    Secret,
    /// Plain `key`, `auth`, `login`, `credentials`: only values that look machine-random.
    Weak,
}

/// A generic assignment whose value is a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Assignment {
    pub span: Range<usize>,
    pub rule: &'static str,
    pub family: Family,
}

/// The assignment whose key ends with the trigger at `hit`, if its value is a secret.
pub(super) fn match_at(text: &[u8], hit: Range<usize>) -> Option<Assignment> {
    if continues_identifier(text, hit.end) {
        return None;
    }
    let word = &text[hit.clone()];
    let is = |w: &[u8]| word.eq_ignore_ascii_case(w);
    let (mut class, needs_boundary) = if is(b"password") || is(b"passwd") || is(b"passphrase") {
        (KeyClass::Password, false)
    } else if is(b"pwd") || is(b"pass") {
        (KeyClass::Password, true)
    } else if is(b"secret") || is(b"token") || is(b"crumb") || is(b"_pat") || is(b"-pat") {
        (KeyClass::Secret, false)
    } else if is(b"key") || is(b"auth") || is(b"login") {
        (KeyClass::Weak, true)
    } else if is(b"credential") || is(b"credentials") {
        (KeyClass::Weak, false)
    } else {
        return None;
    };
    let boundary = boundary_before(text, hit.start);
    if needs_boundary && !boundary && !is(b"key") {
        return None;
    }

    // Closing quote of a quoted key, then the separator: most triggers stop here.
    let mut pos = hit.end;
    let mut key_quoted = false;
    if matches!(text.get(pos..pos + 2), Some([b'\\', b'"' | b'\''])) {
        pos += 2;
        key_quoted = true;
    } else if matches!(text.get(pos), Some(b'"' | b'\'' | b'`')) {
        pos += 1;
        key_quoted = true;
    }
    if key_quoted && text.get(pos) == Some(&b']') {
        pos += 1;
    }
    let padded = skip_padding(text, pos);
    let had_padding = padded > pos;
    pos = padded;
    let separator = separator_at(text, pos, key_quoted);
    let key_start = key_start(text, hit.start);
    let key = &text[key_start..hit.end];
    let flag = key.first() == Some(&b'-');
    match separator {
        Some(len) => pos += len,
        None if flag && had_padding => {}
        None => return None,
    }
    pos = skip_padding(text, pos);

    // `${DB_PASSWORD:-default}`, `%API_TOKEN%`: a variable's name, not an assignment.
    if key_start >= 1 && matches!(text[key_start - 1], b'{' | b'%' | b'(') {
        return None;
    }
    // `public key: age1…`, `PUBLIC_KEY=…`: public halves are not secrets.
    let context = &text[key_start.saturating_sub(PUBLIC_CONTEXT_BYTES)..hit.end];
    if contains_ci(context, b"public") || contains_ci(context, b"publishable") {
        return None;
    }
    if is(b"key") {
        let normal_key: Vec<u8> = key
            .iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .map(u8::to_ascii_lowercase)
            .collect();
        let compound = SECRET_KEY_COMPOUNDS
            .iter()
            .any(|c| normal_key.ends_with(&[c.as_bytes(), b"key"].concat()));
        if compound {
            class = KeyClass::Secret;
        } else if !boundary {
            return None;
        }
    }
    let word = word.to_ascii_lowercase();

    let value = value_at(text, pos)?;
    let secret = &text[value.range.clone()];
    if !value_is_secret(class, secret, &value, key, &word, flag) {
        return None;
    }
    let (rule, family) = if flag {
        ("cli-flag-secret", Family::Generic)
    } else {
        match class {
            KeyClass::Password
                if value.quote == Quote::None && text.get(value.range.end) == Some(&b';') =>
            {
                ("connection-string-password", Family::ConnectionString)
            }
            KeyClass::Password => ("generic-password", Family::Generic),
            KeyClass::Secret => ("generic-secret", Family::Generic),
            KeyClass::Weak => ("generic-key", Family::Generic),
        }
    };
    Some(Assignment {
        span: value.range,
        rule,
        family,
    })
}

/// Whether the identifier goes on after `pos` (`password_file`, `token-type`, `keys`).
fn continues_identifier(text: &[u8], pos: usize) -> bool {
    match text.get(pos) {
        Some(b) if b.is_ascii_alphanumeric() || *b == b'_' => true,
        Some(b'-' | b'.') => text.get(pos + 1).is_some_and(u8::is_ascii_alphanumeric),
        _ => false,
    }
}

/// Whether the trigger at `pos` starts a word: not after a lowercase letter, unless it starts a
/// camel-case hump (`dbPass`, `sonarLogin`).
fn boundary_before(text: &[u8], pos: usize) -> bool {
    let Some(previous) = pos.checked_sub(1).map(|p| text[p]) else {
        return true;
    };
    !previous.is_ascii_lowercase() || text[pos].is_ascii_uppercase()
}

fn key_start(text: &[u8], end_of_search: usize) -> usize {
    let floor = end_of_search.saturating_sub(MAX_KEY_BYTES);
    let mut start = end_of_search;
    while start > floor {
        let b = text[start - 1];
        if b.is_ascii_alphanumeric() || b"_.$-".contains(&b) {
            start -= 1;
        } else {
            break;
        }
    }
    start
}

fn skip_padding(text: &[u8], mut pos: usize) -> usize {
    let limit = text.len().min(pos + MAX_PADDING_BYTES);
    while pos < limit && matches!(text[pos], b' ' | b'\t') {
        pos += 1;
    }
    pos
}

/// The length of the separator at `pos`, if there is one.
fn separator_at(text: &[u8], pos: usize, key_quoted: bool) -> Option<usize> {
    let rest = text.get(pos..)?;
    for separator in [&b":="[..], b"=>", b"===", b"!==", b"==", b"!="] {
        if rest.starts_with(separator) {
            return Some(separator.len());
        }
    }
    match rest {
        [b'=', ..] => Some(1),
        [b':', b':', ..] => None,
        [b':', ..] => Some(1),
        [b',', ..] if key_quoted => Some(1),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Plain,
    Escaped,
}

#[derive(Debug)]
struct Value {
    range: Range<usize>,
    quote: Quote,
    /// Unquoted and followed by `(` or `[`: a call or an index, i.e. code.
    followed_by_code: bool,
}

/// The value starting at `pos`: quoted (`"…"`, `'…'`, `` `…` ``, `\"…\"`) or a bare word.
fn value_at(text: &[u8], pos: usize) -> Option<Value> {
    let limit = text.len().min(pos + MAX_VALUE_BYTES);
    let first = *text.get(pos)?;
    if first == b'\\' && matches!(text.get(pos + 1), Some(b'"' | b'\'')) {
        let quote = text[pos + 1];
        let start = pos + 2;
        let mut i = start;
        while i + 1 < limit {
            match text[i] {
                b'\\' if text[i + 1] == quote => {
                    return Some(Value {
                        range: start..i,
                        quote: Quote::Escaped,
                        followed_by_code: false,
                    });
                }
                b'\n' => return None,
                _ => i += 1,
            }
        }
        return None;
    }
    let mut pos = pos;
    // Typographic opening quotes («, “, ‘, „): the value starts after them and, being bare,
    // ends at the first non-ASCII byte, i.e. the closing quote.
    for opening in ["\u{ab}", "\u{201c}", "\u{2018}", "\u{201e}"] {
        if text[pos..].starts_with(opening.as_bytes()) {
            pos += opening.len();
        }
    }
    if matches!(first, b'"' | b'\'' | b'`') {
        let start = pos + 1;
        let mut i = start;
        while i < limit {
            match text[i] {
                b'\\' => i += 2,
                b'\n' => break,
                b if b == first => {
                    return Some(Value {
                        range: start..i,
                        quote: Quote::Plain,
                        followed_by_code: false,
                    });
                }
                _ => i += 1,
            }
        }
        // No closing quote (a cut text): read on as a bare word.
        pos = start;
    }
    let mut end = pos;
    while end < limit && !is_bare_stop(text[end]) {
        end += 1;
    }
    // Cut short by an earlier redaction: what is left belongs to a secret already replaced.
    if text[end..].starts_with(REDACTED.as_bytes()) {
        return None;
    }
    // Sentence punctuation is not part of the value.
    while end - pos > 1 && matches!(text[end - 1], b'.' | b':') {
        end -= 1;
    }
    if end == pos {
        return None;
    }
    let after = skip_padding(text, end);
    let followed_by_code = matches!(text.get(after), Some(b'(' | b'['));
    Some(Value {
        range: pos..end,
        quote: Quote::None,
        followed_by_code,
    })
}

/// Bytes that end an unquoted value; non-ASCII ones too (`«`, `”`, `—` delimit, not belong).
fn is_bare_stop(b: u8) -> bool {
    !b.is_ascii() || b.is_ascii_whitespace() || b"\"'`,;&<>(){}[]\\|".contains(&b)
}

/// Whether a value under a key of `class` is a secret.
fn value_is_secret(
    class: KeyClass,
    secret: &[u8],
    value: &Value,
    key: &[u8],
    word: &[u8],
    flag: bool,
) -> bool {
    if secret.is_empty() || value.followed_by_code || is_placeholder(secret) {
        return false;
    }
    if secret.eq_ignore_ascii_case(key) || secret.eq_ignore_ascii_case(word) {
        return false;
    }
    if secret.starts_with(b"-----BEGIN") || contains_ci(secret, b"://") || is_path(secret) {
        return false;
    }
    if flag && secret.first() == Some(&b'-') {
        return false;
    }
    let bare = value.quote == Quote::None;
    if is_dotted_identifier(secret) {
        return false;
    }
    // Pieces of string concatenation (`"+new Buffer("`, `'.$p['`, `",label:"`).
    if matches!(secret.first(), Some(b',' | b';' | b')' | b'+' | b'.'))
        || matches!(secret.last(), Some(b'(' | b'[' | b'+'))
    {
        return false;
    }
    if is_route(secret) {
        return false;
    }
    let classes = Classes::of(secret);
    let spaces = secret.iter().filter(|b| b.is_ascii_whitespace()).count();
    match class {
        KeyClass::Password => {
            if secret.len() < PASSWORD_MIN_BYTES || spaces > MAX_PASSWORD_SPACES {
                return false;
            }
            if bare {
                let lower = secret.to_ascii_lowercase();
                if PROSE_WORDS.iter().any(|w| lower == w.as_bytes()) {
                    return false;
                }
                // `password = hashed` in lowercase code is a variable, not a literal.
                let code_key = !key.iter().any(u8::is_ascii_uppercase);
                if code_key && is_identifier(secret) && !classes.digit {
                    return false;
                }
            }
            true
        }
        KeyClass::Secret => {
            if secret.len() < TOKEN_MIN_BYTES || spaces > 0 {
                return false;
            }
            if contains_ci(secret, bare_word(word)) {
                return false;
            }
            if secret.iter().all(u8::is_ascii_digit) || is_repetitive(secret) {
                return false;
            }
            if bare && (is_identifier(secret) && !classes.digit || is_word_path(secret)) {
                return false;
            }
            classes.count() >= 2 || secret.len() >= 16
        }
        KeyClass::Weak => {
            // Docker's `"auth": "base64(user:password)"`.
            if word == b"auth"
                && passes(Check::BasicAuth, secret)
                && secret.len() >= TOKEN_MIN_BYTES
            {
                return true;
            }
            if !looks_random(secret) || has_word_prefix(secret) {
                return false;
            }
            let sha_like = is_hex(secret) && matches!(secret.len(), 40 | 64);
            !(sha_like && word != b"login")
        }
    }
}

/// The trigger word without the `_`/`-` that `_pat` carries.
fn bare_word(word: &[u8]) -> &[u8] {
    match word {
        [b'_' | b'-', rest @ ..] => rest,
        _ => word,
    }
}

fn is_identifier(value: &[u8]) -> bool {
    matches!(value.first(), Some(b) if b.is_ascii_alphabetic() || *b == b'_')
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// `config.password`, `process.env.TOKEN`, `self.api_key`: a reference, not a literal. Segments
/// may end in a couple of digits (`v2`), never mix them in like a token does.
fn is_dotted_identifier(value: &[u8]) -> bool {
    let segments: Vec<&[u8]> = value.split(|&b| b == b'.').collect();
    segments.len() >= 2
        && segments.iter().all(|segment| {
            let letters = segment
                .iter()
                .take_while(|b| b.is_ascii_alphabetic() || **b == b'_' || **b == b'$')
                .count();
            letters > 0
                && segment.len() - letters <= 2
                && segment[letters..].iter().all(u8::is_ascii_digit)
        })
}

/// `sccache-v1-2d5f…`, `build_7f3a…`: a name with a digest, not a credential.
fn has_word_prefix(value: &[u8]) -> bool {
    let Some(end) = value.iter().position(|b| b"-_.".contains(b)) else {
        return false;
    };
    end >= 3 && value[..end].iter().all(u8::is_ascii_lowercase)
}

/// Routes, anchors, ARNs and addresses made of plain words and numbers
/// (`cms/sites/passwords#update`, `#add-password`, `arn:aws:iam::aws:policy/ChangePassword`).
fn is_route(value: &[u8]) -> bool {
    (value.iter().any(|b| b"/:".contains(b)) || value.starts_with(b"#"))
        && value
            .split(|b| !b.is_ascii_alphanumeric())
            .all(|s| s.iter().all(u8::is_ascii_alphabetic) || s.iter().all(u8::is_ascii_digit))
}

fn is_path(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower.starts_with(b"./") || lower.starts_with(b"../") || lower.starts_with(b"~/") {
        return true;
    }
    if FILE_EXTENSIONS
        .iter()
        .any(|ext| lower.ends_with(ext.as_bytes()))
    {
        return true;
    }
    lower.starts_with(b"/")
        && lower.iter().filter(|&&b| b == b'/').count() >= 2
        && !lower.iter().any(|b| b"+=".contains(b))
}
