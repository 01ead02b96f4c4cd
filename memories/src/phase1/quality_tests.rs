use pretty_assertions::assert_eq;

use super::*;

fn output(raw_memory: &str, rollout_summary: &str) -> StageOneOutput {
    StageOneOutput {
        raw_memory: raw_memory.to_string(),
        rollout_summary: rollout_summary.to_string(),
        rollout_slug: None,
    }
}

const GOOD_MEMORY: &str = "scope: /home/dev/src/ledger\noutcome: success\n- user preference: \"use uv, not pip\"\n- failed: `cargo test -p ledger` (exit 101): thread 'x' panicked at src/round.rs:88\n- worked: `cargo test -p ledger` after switching to banker's rounding in round.rs";
const GOOD_SUMMARY: &str = "Request: fix the failing ledger rounding test.\nRan `cargo test -p ledger` (exit 101), changed src/round.rs to banker's rounding, reran: ok.";

#[track_caller]
fn assert_rejected(raw_memory: &str, summary: &str, reason: &str) {
    let error = check(&output(raw_memory, summary)).unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("the answer failed the quality check: "),
        "{text}"
    );
    assert!(text.contains(reason), "{text}");
}

#[test]
fn a_memory_with_its_lines_and_real_words_passes() {
    assert_eq!(
        check(&output(GOOD_MEMORY, GOOD_SUMMARY)),
        Ok(Verdict::Memory)
    );
    let markdown =
        "**Scope**: /repo\n**Outcome:** partial\n* the user wants clippy clean before commit";
    assert_eq!(check(&output(markdown, GOOD_SUMMARY)), Ok(Verdict::Memory));
}

#[test]
fn bracket_soup_is_rejected() {
    assert_rejected("{ 'from' -> { 12.4} }", GOOD_SUMMARY, "no `scope:` line");
    assert_rejected(
        "scope: /repo\noutcome: success\n- { 'from' -> { 12.4} } [[ ]] ## {{ 'to' }} -> {{ 9.1 }}",
        GOOD_SUMMARY,
        "brackets and symbols",
    );
    assert_rejected(GOOD_MEMORY, "][", "summary is mostly brackets");
    assert_rejected(GOOD_MEMORY, "Done.", "summary says too little");
    assert_rejected(
        GOOD_MEMORY,
        "{ [ ( 'user' ) ] } -> {{ 12 }} :: [ 'build' ] => ( 'green' ) ;; {} [] () <> ## ** // ==",
        "summary is mostly brackets",
    );
}

#[test]
fn a_memory_without_its_required_lines_is_rejected() {
    assert_rejected(
        "- run cargo test before committing",
        GOOD_SUMMARY,
        "no `scope:` line",
    );
    assert_rejected(
        "scope: /repo\n- run cargo test before committing",
        GOOD_SUMMARY,
        "no `outcome:` line",
    );
    assert_rejected(
        "scope: /repo\noutcome: great\n- run cargo test before committing",
        GOOD_SUMMARY,
        "not one of success, partial, failed, abandoned, unclear",
    );
    assert_rejected(
        "scope: /repo\noutcome: success\n- ok",
        GOOD_SUMMARY,
        "says too little",
    );
}

#[test]
fn no_reusable_signal_in_any_wording_is_no_output() {
    for said in [
        "This session holds no reusable signal",
        "Nothing worth remembering.",
        "scope: /repo\noutcome: unclear\n- No reusable signal; the user only said hi.",
        "There is nothing of lasting value in this session.",
        "The session contains no durable lessons.",
        "scope: /repo\noutcome: abandoned\n- It was just a greeting. Nothing to remember.",
        "No useful information was exchanged.",
        "The conversation did not produce anything noteworthy.",
    ] {
        assert_eq!(
            check(&output(said, "The user greeted the assistant and left.")),
            Ok(Verdict::NoSignal),
            "{said}"
        );
    }
}

#[test]
fn a_memory_that_mentions_a_negation_in_passing_is_kept() {
    for memory in [
        "scope: /repo\noutcome: success\n- pip is not useful here; the user wants uv",
        "scope: /repo\noutcome: success\n- user prefers uv\n- nothing else worth noting",
        "scope: /repo\noutcome: failed\n- no memory leak after the fix to src/pool.rs",
        "scope: /repo\noutcome: success\n- never print the token; the user wants it kept out of logs",
    ] {
        assert_eq!(
            check(&output(memory, GOOD_SUMMARY)),
            Ok(Verdict::Memory),
            "{memory}"
        );
    }
}
