//! The quality gate every stage-one answer passes before it is stored. A memory must have the
//! shape the prompt asks for — a `scope:` line, an `outcome:` line with one of its labels, and
//! bullets of real words — and its memory and summary must read as text, not bracket soup
//! (`{ 'from' -> { 12.4} }`, a summary of `][`). A memory that only says the session holds
//! nothing worth keeping, in whatever words ("This session holds no reusable signal", "Nothing
//! worth remembering."), is no output. An answer that fails is a failure with the reason, never
//! stored and so never injected.

use std::sync::LazyLock;

use regex::Regex;

use crate::phase1::output::StageOneOutput;

/// Real words (letter runs of two or more with a vowel) a memory's bullets need at least
/// ("prefers nextest" is a memory; `][`, `{ 12.4 }` and "ok" are not).
pub const MIN_MEMORY_WORDS: usize = 2;
/// Real words a rollout summary needs at least.
pub const MIN_SUMMARY_WORDS: usize = 2;
/// Share of letters among the non-space characters of a memory's bullets or a summary below
/// which the text is bracket soup, in percent. Offline memories of the example and fixture
/// sessions measure 74–90 %, a bullet of nothing but shell commands and versions about 50 %,
/// `{ 'from' -> { 12.4} }` 25 %.
pub const MIN_LETTER_SHARE_PERCENT: usize = 40;
/// A memory whose bullets hold at most this many real words and say "nothing worth keeping" is
/// no output; a longer one that says so in passing is a memory.
const NO_SIGNAL_MAX_WORDS: usize = 20;
/// The outcome labels the prompt offers.
pub const OUTCOME_LABELS: &[&str] = &["success", "partial", "failed", "abandoned", "unclear"];

/// What an answer that passed the gate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A memory worth storing.
    Memory,
    /// The memory says the session holds nothing worth keeping: no output.
    NoSignal,
}

/// Why an answer failed the gate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the answer failed the quality check: {0}")]
pub struct QualityError(pub String);

/// A sentence saying "nothing worth remembering": a few words about the session at most
/// (`This session holds`, `There is`), a negation, then within a few words a word for value or
/// for remembering.
static NO_SIGNAL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\W*(?:(?:this|the|session|conversation|transcript|chat|exchange|interaction|there|is|was|are|were|it|here|holds|has|had|contains|contained|includes|included|offers|offered|provides|provided|shows|showed|yields|yielded|produced|did|does|do|have|will|would|could|with|in|only|just|really|truly|otherwise)\W+){0,5}(?:no|nothing|none|not|isn't|wasn't|doesn't|didn't|without|lacks?|lacked)\b(?:\W+\w+){0,4}?\W+(?:reusable|worth|useful|durable|actionable|notable|noteworthy|memorable|significant|meaningful|lasting|relevant|signal|remember(?:ing)?|recording|storing|saving|learned|lessons?|takeaways?|insights?)\b",
    )
    .ok()
});

/// Words that make a "nothing …" sentence an addition to what came before ("nothing else worth
/// noting"), not a verdict on the session.
const ADDITION_WORDS: &[&str] = &[
    "else", "other", "more", "further", "besides", "beyond", "apart",
];

/// Judges a parsed memory.
pub fn check(output: &StageOneOutput) -> Result<Verdict, QualityError> {
    let fail = |reason: String| Err(QualityError(reason));
    let memory = Shape::of(&output.raw_memory);
    if says_no_signal(&memory.body) {
        return Ok(Verdict::NoSignal);
    }
    let Some(_scope) = memory.scope else {
        return fail("the raw memory has no `scope:` line".to_string());
    };
    let Some(outcome) = memory.outcome else {
        return fail("the raw memory has no `outcome:` line".to_string());
    };
    let label = outcome
        .trim_matches(|c: char| !c.is_ascii_alphabetic())
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !OUTCOME_LABELS.contains(&label.as_str()) {
        return fail(format!(
            "the outcome {outcome:?} is not one of {}",
            OUTCOME_LABELS.join(", ")
        ));
    }
    if let Some(share) = soup(&memory.body) {
        return fail(format!(
            "the raw memory is mostly brackets and symbols ({share} % letters)"
        ));
    }
    let words = real_words(&memory.body);
    if words < MIN_MEMORY_WORDS {
        return fail(format!(
            "the raw memory says too little ({words} real words after its scope and outcome \
             lines; at least {MIN_MEMORY_WORDS})"
        ));
    }
    if let Some(share) = soup(&output.rollout_summary) {
        return fail(format!(
            "the rollout summary is mostly brackets and symbols ({share} % letters)"
        ));
    }
    let summary_words = real_words(&output.rollout_summary);
    if summary_words < MIN_SUMMARY_WORDS {
        return fail(format!(
            "the rollout summary says too little ({summary_words} real words; at least \
             {MIN_SUMMARY_WORDS})"
        ));
    }
    Ok(Verdict::Memory)
}

/// A raw memory split into its required lines and the rest.
struct Shape<'a> {
    scope: Option<&'a str>,
    outcome: Option<&'a str>,
    body: String,
}

impl<'a> Shape<'a> {
    fn of(memory: &'a str) -> Self {
        let mut shape = Shape {
            scope: None,
            outcome: None,
            body: String::new(),
        };
        for line in memory.lines() {
            let bare = line.trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, '-' | '*' | '#' | '>' | '`' | '_')
            });
            if let Some(value) = field(bare, "scope") {
                shape.scope.get_or_insert(value);
            } else if let Some(value) = field(bare, "outcome") {
                shape.outcome.get_or_insert(value);
            } else {
                shape.body.push_str(line);
                shape.body.push('\n');
            }
        }
        shape
    }
}

/// The value of `name:` at the start of `line` (case-insensitive, `**scope**:` too).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let head = line.get(..name.len())?;
    if !head.eq_ignore_ascii_case(name) {
        return None;
    }
    let rest = line[name.len()..].trim_start_matches(['*', '`', '_']);
    rest.strip_prefix(':').map(str::trim)
}

/// Letter runs of two or more that hold a vowel: words, not `][`, `12.4` or `x`.
fn real_words(text: &str) -> usize {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|word| {
            word.chars().count() >= 2
                && word
                    .chars()
                    .any(|c| "aeiouyAEIOUY".contains(c) || !c.is_ascii())
        })
        .count()
}

/// The share of letters, in percent, when it is below [`MIN_LETTER_SHARE_PERCENT`].
fn soup(text: &str) -> Option<usize> {
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let share = letters * 100 / visible.max(1);
    (share < MIN_LETTER_SHARE_PERCENT).then_some(share)
}

/// Whether a short text says the session holds nothing worth keeping.
fn says_no_signal(text: &str) -> bool {
    let Some(pattern) = NO_SIGNAL.as_ref() else {
        return false;
    };
    real_words(text) <= NO_SIGNAL_MAX_WORDS
        && text.split(['.', ';', '!', '?', '\n']).any(|sentence| {
            pattern.is_match(sentence)
                && !sentence
                    .split(|c: char| !c.is_alphabetic())
                    .any(|word| ADDITION_WORDS.contains(&word.to_lowercase().as_str()))
        })
}

#[cfg(test)]
#[path = "quality_tests.rs"]
mod tests;
