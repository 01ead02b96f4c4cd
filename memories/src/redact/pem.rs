//! PEM private-key blocks, written with real newlines or with `\n` escapes (a key inside a JSON
//! string, a Java string concatenation). The `-----BEGIN … PRIVATE KEY-----` and `-----END …`
//! markers stay; the body between them is the secret. A block cut before its END marker (a
//! transcript trimmed in the middle) is redacted up to the last line that still looks like key
//! material.

use std::ops::Range;
use std::sync::LazyLock;

use regex::bytes::Regex;

use super::validate::holds_redacted;

/// How far after the BEGIN marker the END marker is looked for, in bytes.
const MAX_PEM_BODY_BYTES: usize = 64 * 1024;

static HEADER: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"^-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"));

/// The body of the private-key block whose BEGIN marker starts at `start`, if there is one.
pub(super) fn match_at(text: &[u8], start: usize) -> Option<Range<usize>> {
    let header = HEADER.as_ref().ok()?;
    let found = header.find(&text[start..])?;
    let body_start = start + found.end();
    let limit = text.len().min(body_start + MAX_PEM_BODY_BYTES);
    let window = &text[body_start..limit];
    let body_end = match memchr::memmem::find(window, b"-----END") {
        Some(end) => body_start + end,
        None => body_start + key_lines_len(window),
    };
    let body = trim_separators(text, body_start..body_end);
    let secret = &text[body.clone()];
    if body.is_empty() || holds_redacted(secret) {
        return None;
    }
    Some(body)
}

/// Narrows `range` past the separators around a body: whitespace, quotes, `+` and `,` of string
/// concatenations, and `\n`, `\r`, `\t` escapes.
fn trim_separators(text: &[u8], mut range: Range<usize>) -> Range<usize> {
    loop {
        let rest = &text[range.clone()];
        let step = match rest {
            [
                b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'+' | b',',
                ..,
            ] => 1,
            [b'\\', b'n' | b'r' | b't', ..] => 2,
            [b'\\', b'\\', ..] => 1,
            _ => 0,
        };
        if step == 0 {
            break;
        }
        range.start += step;
    }
    loop {
        let rest = &text[range.clone()];
        let step = match rest {
            [
                ..,
                b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'+' | b',',
            ] => 1,
            [.., b'\\', b'n' | b'r' | b't'] => 2,
            [.., b'\\'] => 1,
            _ => 0,
        };
        if step == 0 {
            break;
        }
        range.end -= step;
    }
    range
}

/// The length of the leading run of lines that look like key material (base64, or the
/// `Proc-Type:`/`DEK-Info:` headers of an encrypted key), lines being split by real newlines or
/// `\n` escapes.
fn key_lines_len(window: &[u8]) -> usize {
    let mut end = 0;
    let mut pos = 0;
    let mut blank_run = 0;
    while pos < window.len() {
        let (line_end, next) = next_line(window, pos);
        let line = strip_line(&window[pos..line_end]);
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                break;
            }
        } else if is_key_material(line) {
            blank_run = 0;
            end = line_end;
        } else {
            break;
        }
        pos = next;
    }
    end
}

/// The end of the line starting at `pos` and where the next one starts.
fn next_line(window: &[u8], pos: usize) -> (usize, usize) {
    let mut i = pos;
    while i < window.len() {
        match window[i] {
            b'\n' => return (i, i + 1),
            b'\\' if matches!(window.get(i + 1), Some(b'n')) => return (i, i + 2),
            _ => i += 1,
        }
    }
    (window.len(), window.len())
}

fn strip_line(line: &[u8]) -> &[u8] {
    let is_separator = |b: &u8| b" \t\r\"'+,\\".contains(b);
    let mut line = line;
    while let [first, rest @ ..] = line {
        if !is_separator(first) {
            break;
        }
        line = rest;
    }
    loop {
        if line.ends_with(b"\\r") {
            line = &line[..line.len() - 2];
            continue;
        }
        match line {
            [rest @ .., last] if is_separator(last) => line = rest,
            _ => break,
        }
    }
    line
}

fn is_key_material(line: &[u8]) -> bool {
    line.starts_with(b"Proc-Type:")
        || line.starts_with(b"DEK-Info:")
        || (line.len() <= 128
            && line
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b)))
}
