//! Checks that turn a pattern match into a finding: placeholders and variables are not secrets,
//! opaque tokens need character variety or entropy, GitHub tokens carry a CRC32 checksum, and
//! base64 blobs are decoded far enough to see what they hold. Pure functions over bytes.

use super::REDACTED;
use super::rules::Check;

/// Minimum Shannon entropy, in bits per byte, of a value under a weak key such as `key`.
const WEAK_KEY_MIN_ENTROPY_BITS: f64 = 3.2;
/// The largest share of a random-looking value that word-like letter runs may cover.
const MAX_WORDLIKE_SHARE: f64 = 0.5;
/// Minimum length, in bytes, of a value under a weak key such as `key` or `auth`.
pub(super) const WEAK_KEY_MIN_BYTES: usize = 16;
/// Minimum length, in bytes, of an opaque token under a secret-named key.
pub(super) const TOKEN_MIN_BYTES: usize = 8;
/// Minimum length, in bytes, of a password.
pub(super) const PASSWORD_MIN_BYTES: usize = 4;
/// How many alphanumerics of a value are compared with the placeholder words and prefixes.
const PLACEHOLDER_COMPARE_BYTES: usize = 24;
/// Length of the base62 CRC32 suffix of a GitHub token.
const GITHUB_CHECKSUM_CHARS: usize = 6;

/// Values that stand for a secret without being one (compared lowercase, alphanumerics only).
const PLACEHOLDER_WORDS: &[&str] = &[
    "",
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "yes",
    "no",
    "empty",
    "blank",
    "na",
    "notset",
    "unset",
    "changeme",
    "changeit",
    "changethis",
    "password",
    "passwd",
    "pass",
    "pwd",
    "token",
    "key",
    "apikey",
    "secretkey",
    "accesstoken",
    "authtoken",
    "privatekey",
    "string",
    "str",
    "value",
    "text",
    "test",
    "testing",
    "example",
    "sample",
    "dummy",
    "fake",
    "placeholder",
    "redacted",
    "hidden",
    "masked",
    "required",
    "optional",
    "default",
    "foo",
    "bar",
    "baz",
    "foobar",
    "tbd",
    "todo",
    "fixme",
    "unknown",
    "secretvalue",
    "tokenvalue",
    "passwordhere",
    "tokenhere",
    "keyhere",
];

/// Prefixes of placeholder values (compared lowercase, alphanumerics only).
const PLACEHOLDER_PREFIXES: &[&str] = &[
    "your",
    "insert",
    "enter",
    "replace",
    "putyour",
    "changeme",
    "example",
    "placeholder",
    "dummy",
    "redacted",
    "xxxx",
];

/// Whether `value` is a placeholder, a variable or template reference, or already redacted.
pub(super) fn is_placeholder(value: &[u8]) -> bool {
    let value = trim_quotes(trim_ascii(value));
    if value.is_empty() || holds_redacted(value) || contains_ci(value, b"redacted") {
        return true;
    }
    let first = value[0];
    let last = value[value.len() - 1];
    // Variables and templates: $VAR ${VAR} $(cmd) %VAR% {{ x }} #{x} <x> [x] @VAR@ <%= %>.
    if first == b'$'
        && value
            .get(1)
            .is_some_and(|b| b.is_ascii_alphabetic() || b"_{(".contains(b))
    {
        return true;
    }
    if (first == b'%' && value.len() > 1 && (last == b'%' || value[1] == b'(' || value[1] == b's'))
        || (first == b'<' && last == b'>')
        || (first == b'{' && last == b'}')
        || (first == b'[' && last == b']')
        || (first == b'@' && last == b'@' && value.len() > 1)
        || contains(value, b"{{")
        || contains(value, b"${")
        || contains(value, b"#{")
        || contains(value, b"<%")
        || value.starts_with(b"&lt;")
    {
        return true;
    }
    // Masks: xxxx, ****, ...., ####, ____ and values of one repeated character.
    for mask in [
        &b"xxxx"[..],
        b"XXXX",
        b"****",
        b"....",
        b"####",
        b"____",
        b"\xe2\x80\xa6",
        b"a1b2c3",
        b"1a2b3c",
        b"abcdefgh",
        b"123456789",
    ] {
        if contains(value, mask) {
            return true;
        }
    }
    if value.len() >= 3 && value.iter().all(|&b| b == first) {
        return true;
    }
    let mut normal = [0u8; PLACEHOLDER_COMPARE_BYTES];
    let mut len = 0;
    for &b in value.iter().filter(|b| b.is_ascii_alphanumeric()) {
        if len == normal.len() {
            break;
        }
        normal[len] = b.to_ascii_lowercase();
        len += 1;
    }
    let normal = &normal[..len];
    let whole = value.iter().filter(|b| b.is_ascii_alphanumeric()).count() == len;
    // A placeholder prefix only counts on a value that does not itself look machine-made: a
    // random token may start with "your" by chance (`yOuR3FAQ9gD9…`).
    (whole && PLACEHOLDER_WORDS.iter().any(|w| normal == w.as_bytes()))
        || (PLACEHOLDER_PREFIXES
            .iter()
            .any(|p| normal.starts_with(p.as_bytes()))
            && !looks_random(value))
}

/// Whether `value` looks like an opaque machine-made token rather than a word or identifier.
pub(super) fn looks_random(value: &[u8]) -> bool {
    if value.len() < WEAK_KEY_MIN_BYTES
        || !value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_.~-".contains(b))
        || is_uuid(value)
    {
        return false;
    }
    let classes = Classes::of(value);
    if !(classes.digit && (classes.lower || classes.upper)) {
        return false;
    }
    if is_hex(value) {
        return value.len() >= 32;
    }
    if is_word_path(value) || wordlike_share(value) > MAX_WORDLIKE_SHARE {
        return false;
    }
    entropy_bits(value) >= WEAK_KEY_MIN_ENTROPY_BITS
}

/// Whether `value` reads as words joined by `_`, `-` or `.` (`created_at_desc`, `my-app.v2`):
/// at least two segments, all but digits-only ones made of letters.
pub(super) fn is_word_path(value: &[u8]) -> bool {
    let segments: Vec<&[u8]> = value
        .split(|b| b"_-.".contains(b))
        .filter(|s| !s.is_empty())
        .collect();
    segments.len() >= 2
        && segments.iter().all(|s| {
            s.iter().all(u8::is_ascii_digit)
                || (s.len() >= 2 && s.iter().all(u8::is_ascii_alphabetic))
        })
}

/// Which character classes a value uses.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Classes {
    pub lower: bool,
    pub upper: bool,
    pub digit: bool,
    pub other: bool,
}

impl Classes {
    pub(super) fn of(value: &[u8]) -> Self {
        let mut classes = Classes::default();
        for &b in value {
            match b {
                b'a'..=b'z' => classes.lower = true,
                b'A'..=b'Z' => classes.upper = true,
                b'0'..=b'9' => classes.digit = true,
                _ => classes.other = true,
            }
        }
        classes
    }

    pub(super) fn count(self) -> usize {
        [self.lower, self.upper, self.digit, self.other]
            .iter()
            .filter(|&&c| c)
            .count()
    }
}

/// Shannon entropy of `value` in bits per byte.
pub(super) fn entropy_bits(value: &[u8]) -> f64 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in value {
        counts[b as usize] += 1;
    }
    let len = value.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// `8-4-4-4-12` hex digits.
pub(super) fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Only hex digits.
pub(super) fn is_hex(value: &[u8]) -> bool {
    !value.is_empty() && value.iter().all(u8::is_ascii_hexdigit)
}

/// Applies a rule's check to the captured secret.
pub(super) fn passes(check: Check, secret: &[u8]) -> bool {
    if holds_redacted(secret) {
        return false;
    }
    match check {
        Check::Shape => true,
        Check::Variety => has_variety(secret),
        Check::GitHubChecksum => github_checksum_ok(secret) || has_variety(secret),
        Check::Credential => !is_placeholder(secret),
        Check::CliPassword => {
            !is_placeholder(secret)
                && !secret
                    .iter()
                    .all(|b| b.is_ascii_digit() || b":.-".contains(b))
        }
        Check::Token => is_token(secret),
        Check::Base64Pem => base64_pem_ok(secret),
        Check::BasicAuth => {
            let decoded = base64_decode(secret);
            decoded.contains(&b':') && decoded.iter().all(|b| (0x20..0x7f).contains(b))
        }
    }
}

/// At least two of lower/upper/digit, and no character making up half the value.
fn has_variety(secret: &[u8]) -> bool {
    let classes = Classes::of(secret);
    let alnum_classes = [classes.lower, classes.upper, classes.digit]
        .iter()
        .filter(|&&c| c)
        .count();
    if alnum_classes < 2 {
        return false;
    }
    let mut counts = [0usize; 256];
    for &b in secret {
        counts[b as usize] += 1;
    }
    counts.iter().all(|&c| c * 2 <= secret.len())
}

/// An opaque credential after a keyword: long enough, not a placeholder, not a plain word or a
/// number.
fn is_token(secret: &[u8]) -> bool {
    if secret.len() < TOKEN_MIN_BYTES || is_placeholder(secret) {
        return false;
    }
    if secret.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let classes = Classes::of(secret);
    classes.digit || (classes.lower && classes.upper) || classes.other
}

/// GitHub's checksum: the last six characters are the base62 CRC32 of the random part.
fn github_checksum_ok(token: &[u8]) -> bool {
    let Some(underscore) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &token[underscore + 1..];
    if body.len() <= GITHUB_CHECKSUM_CHARS {
        return false;
    }
    let (random, checksum) = body.split_at(body.len() - GITHUB_CHECKSUM_CHARS);
    base62_fixed(crc32(random), GITHUB_CHECKSUM_CHARS) == checksum
}

fn base62_fixed(mut value: u32, width: usize) -> Vec<u8> {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(value % 62) as usize];
        value /= 62;
    }
    out
}

/// CRC-32 (IEEE, reflected), bitwise: tokens are short and this runs once per candidate.
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

/// Whether base64 (possibly wrapped with newlines or `\n` escapes) decodes to a PEM
/// private-key header.
fn base64_pem_ok(encoded: &[u8]) -> bool {
    let head = base64_decode(&encoded[..encoded.len().min(128)]);
    contains(&head, b"PRIVATE KEY")
}

/// Decodes standard base64, skipping characters outside the alphabet (wrapping, escapes);
/// stops at padding.
pub(super) fn base64_decode(encoded: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    let mut previous = 0u8;
    for &b in encoded {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' if previous == b'\\' && (b == b'n' || b == b'r') => {
                previous = b;
                continue;
            }
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => {
                previous = b;
                continue;
            }
        };
        previous = b;
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// The value without one pair of surrounding quotes (`'$VAR'` inside a shell string).
fn trim_quotes(value: &[u8]) -> &[u8] {
    match value {
        [b'"' | b'\'', inner @ .., b'"' | b'\''] => inner,
        [b'"' | b'\'', rest @ ..] => rest,
        _ => value,
    }
}

/// Whether one character makes up more than half of the value (`0000…00aa`).
pub(super) fn is_repetitive(value: &[u8]) -> bool {
    let mut counts = [0usize; 256];
    for &b in value {
        counts[b as usize] += 1;
    }
    counts.iter().any(|&c| c * 2 > value.len())
}

/// The share of the value covered by word-like letter runs (`Connection`, `String`, `secret`):
/// high in identifiers, low in random tokens.
pub(super) fn wordlike_share(value: &[u8]) -> f64 {
    let mut covered = 0usize;
    let mut i = 0;
    while i < value.len() {
        let start = i;
        if value[i].is_ascii_uppercase() {
            i += 1;
        }
        let lower_start = i;
        while i < value.len() && value[i].is_ascii_lowercase() {
            i += 1;
        }
        if i - lower_start >= 4 {
            covered += i - start;
        }
        if i == start {
            i += 1;
        }
    }
    covered as f64 / value.len().max(1) as f64
}

pub(super) fn trim_ascii(value: &[u8]) -> &[u8] {
    value.trim_ascii()
}

/// Whether `value` holds the replacement marker (then it was redacted already).
pub(super) fn holds_redacted(value: &[u8]) -> bool {
    memchr::memchr_iter(b'[', value).any(|i| value[i..].starts_with(REDACTED.as_bytes()))
}

/// Substring test for the short needles and values checked here (no searcher to build).
pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub(super) fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}
