//! `codex-memories redact` run as a real process: stdin and files in, redacted text or a JSON
//! list of findings (without the secret values) out, and a clear error for a missing file.

use std::io::Write;
use std::process::{Output, Stdio};

use pretty_assertions::assert_eq;

mod test_binary;
use test_binary::binary;

const SAMPLE: &str = "user: deploy it\nexport DB_PASSWORD=Zq7mR2vL9x\nurl = postgres://app:s3cr3t-Pa55@db:5432/app\nnothing here\n";
const REDACTED_SAMPLE: &str = "user: deploy it\nexport DB_PASSWORD=[REDACTED_SECRET]\nurl = postgres://app:[REDACTED_SECRET]@db:5432/app\nnothing here\n";

fn codex_memories(args: &[&str], stdin: Option<&str>) -> std::io::Result<Output> {
    // Every command records its logs under the Codex home; keep them out of the real one.
    let home = tempfile::tempdir()?;
    let mut child = binary()
        .env("CODEX_HOME", home.path())
        .env_remove("CODEX_MEMORIES_SQLITE_HOME")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or_default().as_bytes())?;
    }
    child.wait_with_output()
}

#[test]
fn redact_reads_standard_input_by_default_and_prints_the_redacted_text() {
    let output = codex_memories(&["redact"], Some(SAMPLE)).expect("run codex-memories");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), REDACTED_SAMPLE);

    let dash = codex_memories(&["redact", "-"], Some(SAMPLE)).expect("run codex-memories");
    assert_eq!(String::from_utf8_lossy(&dash.stdout), REDACTED_SAMPLE);
}

#[test]
fn redact_json_lists_findings_without_the_secret_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("session.log");
    std::fs::write(&path, SAMPLE).expect("write sample");
    let output = codex_memories(
        &["redact", path.to_str().expect("utf-8 path"), "--json"],
        None,
    )
    .expect("run codex-memories");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("Zq7mR2vL9x") && !stdout.contains("s3cr3t-Pa55"));
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json report");
    assert_eq!(
        report,
        serde_json::json!({
            "findings": [
                {"family": "generic", "rule": "generic-password", "line": 2, "start": 35, "end": 45},
                {"family": "url-credentials", "rule": "url-credentials", "line": 3, "start": 67, "end": 78},
            ],
            "count": 2,
        })
    );
    assert_eq!(&SAMPLE[35..45], "Zq7mR2vL9x");
    assert_eq!(&SAMPLE[67..78], "s3cr3t-Pa55");
}

#[test]
fn redact_of_a_missing_file_names_it_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such.log");
    let output = codex_memories(&["redact", missing.to_str().expect("utf-8 path")], None)
        .expect("run codex-memories");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such.log"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn redact_reads_invalid_utf8_lossily_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("binary.log");
    std::fs::write(&path, b"\xff\xfe token=f9A2kQ7zL0pX3mN8\n").expect("write sample");
    let output = codex_memories(&["redact", path.to_str().expect("utf-8 path")], None)
        .expect("run codex-memories");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "\u{fffd}\u{fffd} token=[REDACTED_SECRET]\n"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("not valid UTF-8"));
}
