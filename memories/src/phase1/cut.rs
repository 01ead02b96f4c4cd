//! Cutting long text to a byte budget while keeping what matters: the head, the tail, and — from
//! the omitted middle — the lines a caller marks as evidence (error lines in a tool output, file
//! headers in a patch). Cuts land on line or char boundaries; the marker says how much went.

/// Share of the budget given to the head; the tail gets the rest (what a command printed last is
/// usually its verdict, so the tail is not starved).
const HEAD_SHARE_PERCENT: usize = 50;

/// At most this share of the budget is spent on evidence lines kept from the middle.
const KEPT_MIDDLE_SHARE_PERCENT: usize = 50;

/// Longest evidence line kept from the middle, in bytes.
const MAX_KEPT_LINE_BYTES: usize = 400;

/// `text` if it fits in `max_bytes`, else head + kept middle lines + marker + tail. The result
/// may exceed `max_bytes` by the marker and by the evidence lines (bounded by
/// `KEPT_MIDDLE_SHARE_PERCENT` of the budget).
pub fn cut_middle(text: &str, max_bytes: usize, is_evidence: impl Fn(&str) -> bool) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    let head_end = line_boundary_before(text, max_bytes * HEAD_SHARE_PERCENT / 100);
    let tail_start = line_boundary_after(text, text.len() - (max_bytes - head_end.min(max_bytes)));
    let tail_start = tail_start.max(head_end);
    let middle = &text[head_end..tail_start];
    let mut kept = String::new();
    let kept_budget = max_bytes * KEPT_MIDDLE_SHARE_PERCENT / 100;
    for line in middle.lines().filter(|line| is_evidence(line)) {
        let line = truncate_to_char_boundary(line.trim_end(), MAX_KEPT_LINE_BYTES);
        if kept.len() + line.len() + 1 > kept_budget {
            break;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    let omitted = middle.len() - kept.len().min(middle.len());
    let mut out = String::with_capacity(max_bytes + kept.len() + 64);
    out.push_str(&text[..head_end]);
    if !out.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
    if !kept.is_empty() {
        out.push_str("[… kept lines from the omitted part …]\n");
        out.push_str(&kept);
    }
    out.push_str(&format!("[… {omitted} bytes omitted …]\n"));
    out.push_str(&text[tail_start..]);
    out
}

/// True for lines that report a failure: the evidence a memory most needs.
pub fn is_error_line(line: &str) -> bool {
    const MARKERS: &[&str] = &[
        "error",
        "fail",
        "panic",
        "exception",
        "traceback",
        "fatal",
        "denied",
    ];
    let lower = line.to_ascii_lowercase();
    MARKERS.iter().any(|marker| lower.contains(marker))
}

/// The largest char boundary `<= index`.
pub fn truncate_to_char_boundary(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A cut point at or before `index`: just after a newline when one is near, else a char boundary.
fn line_boundary_before(text: &str, index: usize) -> usize {
    let index = truncate_to_char_boundary(text, index).len();
    match text[..index].rfind('\n') {
        Some(newline) if index - newline < index / 4 + 1 => newline + 1,
        _ => index,
    }
}

/// A cut point at or after `index`: just after a newline when one is near, else a char boundary.
fn line_boundary_after(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    let window = (text.len() - index) / 4 + 1;
    match text[index..].find('\n') {
        Some(offset) if offset < window => index + offset + 1,
        _ => index,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn short_text_is_unchanged() {
        assert_eq!(cut_middle("abc\n", 10, is_error_line), "abc\n");
    }

    #[test]
    fn long_text_keeps_head_tail_and_error_lines_from_the_middle() {
        let mut text = String::new();
        for n in 0..200 {
            text.push_str(&format!("line {n}\n"));
            if n == 100 {
                text.push_str("error[E0382]: borrow of moved value\n");
            }
        }
        let cut = cut_middle(&text, 200, is_error_line);
        assert!(cut.starts_with("line 0\n"), "{cut}");
        assert!(cut.ends_with("line 199\n"), "{cut}");
        assert!(cut.contains("error[E0382]: borrow of moved value"), "{cut}");
        assert!(cut.contains("bytes omitted"), "{cut}");
        assert!(cut.len() < 400, "{}", cut.len());
    }

    #[test]
    fn cuts_never_split_a_multibyte_char() {
        let text = "é".repeat(1000);
        let cut = cut_middle(&text, 101, |_| false);
        assert!(cut.contains("bytes omitted"));
        assert!(cut.chars().filter(|c| *c == 'é').count() > 10);
    }
}
