use pretty_assertions::assert_eq;

use crate::redact::redact;

/// `input` redacts to `expected` with a `prose-credential` finding.
#[track_caller]
fn assert_prose_redacts(input: &str, expected: &str) {
    let result = redact(input);
    assert_eq!(result.text, expected);
    assert!(
        result.findings.iter().any(|f| f.rule == "prose-credential"),
        "{:?}",
        result.findings
    );
    assert_eq!(redact(&result.text).text, result.text, "not idempotent");
}

#[track_caller]
fn assert_prose_keeps(input: &str) {
    let result = redact(input);
    assert_eq!(result.text, input, "findings: {:?}", result.findings);
}

#[test]
fn a_password_after_is_was_or_to_is_redacted() {
    assert_prose_redacts(
        "my db password is hunter2-Zq81!x",
        "my db password is [REDACTED_SECRET]",
    );
    assert_prose_redacts(
        "my password was Blue7whale",
        "my password was [REDACTED_SECRET]",
    );
    assert_prose_redacts(
        "I set the password to Plum_Tree_42 yesterday",
        "I set the password to [REDACTED_SECRET] yesterday",
    );
    assert_prose_redacts(
        "the password is now Qq!9zzTop",
        "the password is now [REDACTED_SECRET]",
    );
}

#[test]
fn words_between_the_secret_word_and_its_link_are_skipped() {
    assert_prose_redacts(
        "the password for the staging box is Zx8!pLq2",
        "the password for the staging box is [REDACTED_SECRET]",
    );
    assert_prose_redacts(
        "password for staging: Pa55word!2024",
        "password for staging: [REDACTED_SECRET]",
    );
    assert_prose_redacts(
        "the token was revoked; the new one is t0kQ81mVx9",
        "the token was revoked; the new one is [REDACTED_SECRET]",
    );
}

#[test]
fn short_secret_words_and_pins_are_read() {
    assert_prose_redacts("pw: Xk9#mq2Lz", "pw: [REDACTED_SECRET]");
    assert_prose_redacts("PW is Lima-Oscar-5", "PW is [REDACTED_SECRET]");
    assert_prose_redacts("the door pin is 7391", "the door pin is [REDACTED_SECRET]");
    assert_prose_redacts("passcode = 55Birch!", "passcode = [REDACTED_SECRET]");
}

#[test]
fn tokens_secrets_and_named_keys_are_redacted() {
    assert_prose_redacts(
        "the token is 9f8a7b6c5d4e3f2a1b0c",
        "the token is [REDACTED_SECRET]",
    );
    assert_prose_redacts(
        "the api key is AbC123dEf456GhI789, keep it safe",
        "the api key is [REDACTED_SECRET], keep it safe",
    );
    assert_prose_redacts(
        "the secret is qwerty-77-zz",
        "the secret is [REDACTED_SECRET]",
    );
    assert_prose_redacts("my password's Cobalt%19", "my password's [REDACTED_SECRET]");
}

#[test]
fn a_value_right_after_the_word_needs_a_stronger_shape() {
    assert_prose_redacts(
        "use the password S3cure!Pass to log in",
        "use the password [REDACTED_SECRET] to log in",
    );
    assert_prose_keeps("use the password prompt to log in");
    assert_prose_keeps("the PIN 1234 is the demo default");
    assert_prose_keeps("send the token ab12cd34 along");
}

#[test]
fn quoted_values_are_taken_whole() {
    assert_prose_redacts(
        "the wifi password is `Orchid 88`",
        "the wifi password is `[REDACTED_SECRET]`",
    );
}

#[test]
fn ordinary_prose_about_secrets_is_kept() {
    for prose in [
        "The password is incorrect, please try again.",
        "The token is valid for 24 hours.",
        "the key is to run cargo fmt first",
        "The password is hashed with bcrypt.",
        "The password is sha256-hashed and utf-8 encoded.",
        "The password must be at least 12 characters long.",
        "The token count is 18756.",
        "Session token expiry: 3600 seconds.",
        "The pass rate was 97% on the nightly run.",
        "It passed 42 tests.",
        "pw: see the team vault",
        "The token is in GITHUB_TOKEN; never print it.",
        "The secret key is stored in AWS Secrets Manager.",
        "The password is 16 characters long.",
        "The token is v2 now.",
        "The password is config.db_password, read at startup.",
        "The token is $GITHUB_TOKEN in CI.",
        "The password is <your-password>.",
        "The token is at ~/.config/gh/hosts.yml.",
        "Tokens: 1523 in, 211 out.",
        "max_tokens: 4096",
    ] {
        assert_prose_keeps(prose);
    }
}
