//! Redacting text with the redaction module alone: what leaves the process or is stored passes
//! through `redact` first. Each secret is replaced by `[REDACTED_SECRET]`, and the findings say
//! which rule found what where.
//!
//! `cargo run -p codex-memories --example redact` redacts a sample; with an argument, that text.

fn main() {
    let text = std::env::args().nth(1).unwrap_or_else(|| {
        // A made-up key of the AWS shape, as an agent's tool output might show it.
        "export AWS_ACCESS_KEY_ID=AKIA80O2RAK1VRJNVGFY; cargo test -p ledger".to_string()
    });
    let redacted = codex_memories::redact(&text);
    println!("{}", redacted.text);
    for finding in &redacted.findings {
        println!("found by {} at bytes {:?}", finding.rule, finding.span);
    }
    if std::env::args().nth(1).is_none() {
        assert!(!redacted.text.contains("AKIA80O2RAK1VRJNVGFY"));
        assert!(!codex_memories::contains_secret(&redacted.text));
        assert!(redacted.text.contains("cargo test -p ledger"));
    }
}
