//! The compiled rule set and the scan. One Aho-Corasick automaton over every rule's triggers
//! finds the few places worth a look (text without a trigger costs one pass of the automaton);
//! each trigger hands its rules a small window around it; overlapping findings merge into one
//! span named by the highest-priority rule. Compiled once per process.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use regex::bytes::Regex;

use super::family::Family;
use super::rules::{self, Matcher, Rule};
use super::{Finding, REDACTED, assignment, pem, prose, validate};

/// The rule table compiled: the prefilter, which rules each trigger wakes (with the length of
/// the rule's own trigger, a prefix of the one found), and each rule's regex (None for rules
/// that are not regexes).
pub(super) struct RuleSet {
    prefilter: AhoCorasick,
    rules: Vec<&'static Rule>,
    rules_by_trigger: Vec<Vec<(usize, usize)>>,
    regexes: Vec<Option<Regex>>,
}

/// Why the rule table did not compile (a bug in the table, caught by the unit tests).
#[derive(Debug, thiserror::Error)]
pub(super) enum BuildError {
    #[error("rule {rule}: bad pattern: {source}")]
    Pattern {
        rule: &'static str,
        source: regex::Error,
    },
    #[error("prefilter: {0}")]
    Prefilter(#[from] aho_corasick::BuildError),
}

/// The longest secret a regex rule may match, in bytes (windows widen up to this).
const MAX_SECRET_BYTES: usize = 1024 * 1024;
/// How much a window widens when a match reaches its end.
const WINDOW_GROWTH: usize = 8;

pub(super) static RULE_SET: LazyLock<Result<RuleSet, BuildError>> = LazyLock::new(RuleSet::build);

impl RuleSet {
    fn build() -> Result<Self, BuildError> {
        let rules: Vec<&'static Rule> = rules::all().collect();
        let mut triggers: Vec<String> = Vec::new();
        let mut regexes = Vec::with_capacity(rules.len());
        for rule in &rules {
            for trigger in rule.triggers {
                let lower = trigger.to_ascii_lowercase();
                if !triggers.contains(&lower) {
                    triggers.push(lower);
                }
            }
            let regex = match rule.matcher {
                Matcher::Regex { pattern, .. } => {
                    Some(Regex::new(pattern).map_err(|source| BuildError::Pattern {
                        rule: rule.name,
                        source,
                    })?)
                }
                Matcher::Pem | Matcher::Assignment | Matcher::Prose => None,
            };
            regexes.push(regex);
        }
        // Leftmost-longest search reports `password`, never the `pass` it starts with: each
        // trigger wakes the rules of every trigger that is a prefix of it. Triggers starting
        // inside a match are found because the search resumes one byte after a match start.
        let rules_by_trigger = triggers
            .iter()
            .map(|found| {
                let mut woken = Vec::new();
                for (index, rule) in rules.iter().enumerate() {
                    for trigger in rule.triggers {
                        let lower = trigger.to_ascii_lowercase();
                        if found.starts_with(&lower) && !woken.contains(&(index, lower.len())) {
                            woken.push((index, lower.len()));
                        }
                    }
                }
                woken.sort_unstable();
                woken
            })
            .collect();
        let prefilter = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            // Hundreds of short case-insensitive triggers defeat any literal prefilter; the
            // plain DFA loop measured faster.
            .prefilter(false)
            .build(&triggers)?;
        Ok(Self {
            prefilter,
            rules,
            rules_by_trigger,
            regexes,
        })
    }
}

/// One accepted match before merging.
#[derive(Debug, Clone)]
struct Candidate {
    span: Range<usize>,
    priority: usize,
    family: Family,
    rule: &'static str,
}

/// Every secret in `text`, merged and in order; with `first_only`, stops at the first one.
pub(super) fn find(text: &str, first_only: bool) -> Vec<Finding> {
    let set = match RULE_SET.as_ref() {
        Ok(set) => set,
        // Fail closed: without rules, nothing in the text can be vouched for.
        Err(_) if text.is_empty() => return Vec::new(),
        Err(_) => {
            return vec![Finding {
                family: Family::Generic,
                rule: "rule-set-unavailable",
                span: 0..text.len(),
            }];
        }
    };
    let bytes = text.as_bytes();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut pos = 0;
    while let Some(hit) = set.prefilter.find(Input::new(bytes).span(pos..bytes.len())) {
        for &(index, trigger_len) in &set.rules_by_trigger[hit.pattern().as_usize()] {
            let trigger = hit.start()..hit.start() + trigger_len;
            let Some(candidate) = try_rule(set, index, bytes, trigger) else {
                continue;
            };
            if first_only {
                let first = merge(text, vec![candidate]);
                if !first.is_empty() {
                    return first;
                }
            } else {
                candidates.push(candidate);
            }
        }
        pos = hit.start() + 1;
    }
    merge(text, candidates)
}

fn try_rule(set: &RuleSet, index: usize, bytes: &[u8], trigger: Range<usize>) -> Option<Candidate> {
    let rule = set.rules[index];
    let candidate = |span: Range<usize>, family: Family, name: &'static str| Candidate {
        span,
        priority: index,
        family,
        rule: name,
    };
    match rule.matcher {
        Matcher::Pem => {
            pem::match_at(bytes, trigger.start).map(|span| candidate(span, rule.family, rule.name))
        }
        Matcher::Assignment => assignment::match_at(bytes, trigger)
            .map(|found| candidate(found.span, found.family, found.rule)),
        Matcher::Prose => {
            prose::match_at(bytes, trigger).map(|span| candidate(span, rule.family, rule.name))
        }
        Matcher::Regex {
            before,
            after,
            word_start,
            check,
            ..
        } => {
            let regex = set.regexes[index].as_ref()?;
            // A marker counts as a word: a trigger glued to it was glued to the secret before.
            if word_start && glued_to_a_word(bytes, trigger.start) {
                return None;
            }
            let start = trigger.start.saturating_sub(before);
            let mut after = after;
            loop {
                let end = bytes.len().min(trigger.end + after);
                // The window may cut a token: widen and retry when the match reaches the
                // window's end, or (anchored rules) when nothing matched but the window ends
                // inside a run of token characters.
                let cut = end < bytes.len() && after < MAX_SECRET_BYTES;
                let inside_token =
                    cut && is_token_byte(bytes[end - 1]) && is_token_byte(bytes[end]);
                match regex_at(regex, &bytes[start..end], trigger.start - start) {
                    Some((whole_end, _)) if cut && start + whole_end == end => {
                        after *= WINDOW_GROWTH;
                    }
                    None if before == 0 && inside_token => after *= WINDOW_GROWTH,
                    Some((_, secret)) => {
                        let span = start + secret.start..start + secret.end;
                        if !validate::passes(check, &bytes[span.clone()]) {
                            return None;
                        }
                        return Some(candidate(span, rule.family, rule.name));
                    }
                    None => return None,
                }
            }
        }
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.+/=-".contains(&b)
}

/// The first match of `regex` in `window` that covers `offset`: where it ends and the range
/// of its secret (group `s`, else the whole match). Finds with the fast engines first and
/// asks for captures only on the covering match.
fn regex_at(regex: &Regex, window: &[u8], offset: usize) -> Option<(usize, Range<usize>)> {
    let mut at = 0;
    while let Some(whole) = regex.find_at(window, at) {
        if whole.start() > offset {
            return None;
        }
        if whole.end() > offset {
            let captures = regex.captures_at(&window[..whole.end()], whole.start())?;
            let secret = captures.name("s").or_else(|| captures.get(0))?;
            return Some((whole.end(), secret.range()));
        }
        at = whole.end().max(whole.start() + 1);
    }
    None
}

/// Sorts candidates, unions overlapping spans (the earliest, then highest-priority, candidate
/// names the merged finding) and widens each span to character boundaries.
fn merge(text: &str, mut candidates: Vec<Candidate>) -> Vec<Finding> {
    candidates.sort_by_key(|c| (c.span.start, c.priority, std::cmp::Reverse(c.span.end)));
    let mut findings: Vec<Finding> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let span = char_aligned(text, candidate.span);
        if span.is_empty() || validate::holds_redacted(&text.as_bytes()[span.clone()]) {
            continue;
        }
        // A value touching a marker is what is left of one already redacted: taking it again
        // would make a second pass differ from the first.
        if text[span.end..].starts_with(REDACTED) || text[..span.start].ends_with(REDACTED) {
            continue;
        }
        if let Some(last) = findings.last_mut()
            && span.start < last.span.end
        {
            last.span.end = last.span.end.max(span.end);
            continue;
        }
        findings.push(Finding {
            family: candidate.family,
            rule: candidate.rule,
            span,
        });
    }
    findings
}

fn char_aligned(text: &str, mut span: Range<usize>) -> Range<usize> {
    span.end = span.end.min(text.len());
    while !text.is_char_boundary(span.start) {
        span.start -= 1;
    }
    while !text.is_char_boundary(span.end) {
        span.end += 1;
    }
    span
}

/// Whether the text before `start` runs into the token (so the trigger is inside a longer word).
/// A marker counts as a word: a trigger glued to it was glued to the secret before. An escape
/// sequence (`\n`, `\r`, `\t` in JSON or shell text) ends a word, though its letter is one.
fn glued_to_a_word(bytes: &[u8], start: usize) -> bool {
    let before = &bytes[..start];
    let Some(&last) = before.last() else {
        return false;
    };
    if before.ends_with(REDACTED.as_bytes()) {
        return true;
    }
    let escaped = matches!(last, b'n' | b'r' | b't')
        && before.len() >= 2
        && before[before.len() - 2] == b'\\';
    last.is_ascii_alphanumeric() && !escaped
}
