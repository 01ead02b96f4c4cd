//! Text that came from sessions (titles, memories, log bodies), made safe to print on a
//! terminal: ANSI escape sequences (colours, cursor moves, window titles, hyperlinks) and other
//! control characters are removed, so a session cannot rewrite or hide what the user reads.
//! Newlines and tabs stay. `--json` output needs none of this: JSON escapes control characters.

use std::borrow::Cow;

/// `text` without escape sequences and control characters other than `\n` and `\t`.
pub fn printable(text: &str) -> Cow<'_, str> {
    let stripped = console::strip_ansi_codes(text);
    if !stripped.chars().any(is_unprintable) {
        return stripped;
    }
    Cow::Owned(stripped.chars().filter(|c| !is_unprintable(*c)).collect())
}

/// Control characters a terminal acts on (C0 and C1, DEL), except newline and tab.
fn is_unprintable(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_control_characters_are_removed_and_text_is_kept() {
        let hostile = "fix \u{1b}[31mred\u{1b}[0m tests\u{1b}]0;owned\u{7}\u{1b}[2J done\r\u{8}\u{9b}1m\n\tnext";
        assert_eq!(printable(hostile), "fix red tests done\n\tnext");
        assert!(matches!(printable("plain text\n"), Cow::Borrowed(_)));
    }
}
