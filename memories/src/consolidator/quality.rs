//! The quality gate on what a model consolidation produces, before anything is kept: a
//! `memory_summary.md` whose first line is exactly `v1` and whose body holds real words, and a
//! `MEMORY.md` that is not empty, holds real words and is not bracket soup (`{ 'from' -> { 12.4} }`,
//! `][` — what a small model emits when it loses the thread). A rejected answer fails the
//! consolidation with the reason; the memory folder is left as it was.

/// Fewest real words (two or more letters) a `memory_summary.md` body must hold.
pub const MIN_SUMMARY_WORDS: usize = 2;
/// Fewest real words a `MEMORY.md` must hold.
pub const MIN_MEMORY_WORDS: usize = 3;
/// Most bracket-like characters per letter before a text counts as bracket soup.
const MAX_BRACKETS_PER_LETTER: f64 = 0.25;

/// A consolidation output that failed the gate, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the answer failed the quality check: {0}")]
pub struct QualityRejection(pub String);

/// Checks the text of `memory_summary.md`.
pub fn check_summary_text(text: &str) -> Result<(), QualityRejection> {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some("v1") {
        return Err(QualityRejection(
            "memory_summary.md must start with the line `v1`".to_string(),
        ));
    }
    let body: String = lines.collect::<Vec<_>>().join("\n");
    check_words("memory_summary.md", &body, MIN_SUMMARY_WORDS)
}

/// Checks the text of `MEMORY.md`.
pub fn check_memory_text(text: &str) -> Result<(), QualityRejection> {
    check_words("MEMORY.md", text, MIN_MEMORY_WORDS)
}

fn check_words(file: &str, text: &str, min_words: usize) -> Result<(), QualityRejection> {
    if text.trim().is_empty() {
        return Err(QualityRejection(format!("{file} is empty")));
    }
    let words = real_words(text);
    if words < min_words {
        return Err(QualityRejection(format!(
            "{file} holds {words} real words; at least {min_words} are needed"
        )));
    }
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let brackets = text
        .chars()
        .filter(|c| matches!(c, '{' | '}' | '[' | ']' | '<' | '>' | '|' | '\\'))
        .count();
    if brackets as f64 > letters as f64 * MAX_BRACKETS_PER_LETTER {
        return Err(QualityRejection(format!(
            "{file} is mostly brackets ({brackets} brackets for {letters} letters), not prose"
        )));
    }
    Ok(())
}

/// Words of two or more letters (Markdown markers, numbers and single letters do not count).
fn real_words(text: &str) -> usize {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|word| word.chars().count() >= 2)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_real_summary_and_memory_pass() {
        assert_eq!(
            check_summary_text("v1\n- The user prefers cargo nextest.\n"),
            Ok(())
        );
        assert_eq!(
            check_memory_text("# Memory\n## /repo\n- CI uses cargo nextest; run `just test`.\n"),
            Ok(())
        );
    }

    #[test]
    fn a_summary_without_its_v1_line_or_words_is_rejected() {
        let rejected = |text: &str| check_summary_text(text).unwrap_err().to_string();
        assert!(rejected("- prefers nextest\n").contains("`v1`"));
        assert!(rejected("v1\n").contains("memory_summary.md is empty"));
        assert!(rejected("v1\n- a 1 2\n").contains("0 real words"));
    }

    #[test]
    fn empty_and_bracket_soup_memories_are_rejected() {
        let rejected = |text: &str| check_memory_text(text).unwrap_err().to_string();
        assert_eq!(
            rejected("  \n"),
            "the answer failed the quality check: MEMORY.md is empty"
        );
        assert!(rejected("][").contains("real words"));
        assert!(
            rejected("{ 'from' -> { 12.4} } [[ {to} ]] {{ 'into' }} [ <of> ] {and} {the}")
                .contains("mostly brackets")
        );
    }
}
