//! Canary: 20 fake secrets of different families are planted in rollouts (user messages, tool
//! arguments, tool outputs) and the whole pipeline runs with the agent consolidator against a
//! model server that echoes everything it is sent into its answers and into the memory files it
//! writes. Afterwards no secret appears in any request the server received, in any byte of the
//! databases (WAL files included), in any file under the memory folder or in any git object. A
//! second run plants each canary across the places phase 1 cuts long text (message, command
//! line and tool output head/tail boundaries, the cap on a kept error line): no request holds a
//! canary, nor any fragment of 8 or more of its characters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use std::path::Path;
use std::process::Command;

use codex_memories::redact;
use faults_support::{
    MockServer, Reply, agent_turn, answer, is_agent_request, request_text, run_json, stage_one,
    tool_call, write_session,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// A deterministic pseudo-random string over `alphabet` (xorshift on `seed`).
fn random(seed: u64, len: usize, alphabet: &str) -> String {
    let alphabet: Vec<char> = alphabet.chars().collect();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            alphabet[(state % alphabet.len() as u64) as usize]
        })
        .collect()
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_NUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BECH32: &str = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";

/// One planted secret: the text planted and the needle that must never appear again.
struct Canary {
    family: &'static str,
    planted: String,
    needle: String,
}

fn canary(family: &'static str, planted: String, needle: String) -> Canary {
    Canary {
        family,
        planted,
        needle,
    }
}

/// The 20 canaries; each needle is the secret part (random, so unique to this test).
fn canaries() -> Vec<Canary> {
    let mut all = Vec::new();
    let aws_id = format!("AKIA{}", random(1, 16, UPPER_NUM));
    all.push(canary(
        "aws-access-key-id",
        format!("export AWS_ACCESS_KEY_ID={aws_id}"),
        aws_id,
    ));
    let aws_secret = random(2, 40, B64);
    all.push(canary(
        "aws-secret-access-key",
        format!("aws_secret_access_key = {aws_secret}"),
        aws_secret,
    ));
    let ghp = format!("ghp_{}", random(3, 36, ALNUM));
    all.push(canary(
        "github",
        format!("git push https://{ghp}@github.com/acme/app"),
        ghp,
    ));
    let glpat = format!("glpat-{}", random(4, 20, ALNUM));
    all.push(canary("gitlab", format!("GITLAB_TOKEN={glpat}"), glpat));
    let slack = format!(
        "xoxb-{}-{}-{}",
        random(5, 11, "0123456789"),
        random(6, 13, "0123456789"),
        random(7, 24, ALNUM)
    );
    all.push(canary("slack", format!("slack bot token {slack}"), slack));
    let stripe = format!("sk_live_{}", random(8, 32, ALNUM));
    all.push(canary("stripe", format!("STRIPE_KEY={stripe}"), stripe));
    let openai = format!(
        "sk-proj-{}T3BlbkFJ{}",
        random(9, 74, ALNUM),
        random(10, 74, ALNUM)
    );
    all.push(canary("openai", format!("OPENAI_API_KEY={openai}"), openai));
    let anthropic = format!("sk-ant-api03-{}AA", random(11, 93, ALNUM));
    all.push(canary(
        "anthropic",
        format!("ANTHROPIC_API_KEY={anthropic}"),
        anthropic,
    ));
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjYW5hcnkt{}.{}",
        random(12, 30, ALNUM),
        random(13, 43, ALNUM)
    );
    all.push(canary(
        "jwt",
        format!("curl -H 'X-Session: {jwt}' https://api"),
        jwt,
    ));
    let pem_body = random(14, 64, B64);
    all.push(canary(
        "pem-private-key",
        format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{pem_body}\n{}\n{}==\n-----END RSA PRIVATE KEY-----",
            random(15, 64, B64),
            random(16, 40, B64)
        ),
        pem_body,
    ));
    let pg_pass = format!("Pg{}", random(17, 18, ALNUM));
    all.push(canary(
        "postgres-url",
        format!("DATABASE_URL=postgres://app_user:{pg_pass}@db.internal:5432/app"),
        pg_pass,
    ));
    let bearer = random(18, 48, ALNUM);
    all.push(canary(
        "bearer",
        format!("Authorization: Bearer {bearer}"),
        bearer,
    ));
    let password = format!("Tr0ub4dor-{}", random(19, 12, ALNUM));
    all.push(canary(
        "password-assignment",
        format!("password = \"{password}\""),
        password,
    ));
    let npm = format!("npm_{}", random(20, 36, ALNUM));
    all.push(canary(
        "npm",
        format!("//registry.npmjs.org/:_authToken={npm}"),
        npm,
    ));
    let hf = format!(
        "hf_{}",
        random(
            21,
            34,
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        )
    );
    all.push(canary("huggingface", format!("HF_TOKEN={hf}"), hf));
    let sendgrid = format!("SG.{}.{}", random(22, 22, ALNUM), random(23, 43, ALNUM));
    all.push(canary(
        "sendgrid",
        format!("SENDGRID_API_KEY={sendgrid}"),
        sendgrid,
    ));
    let twilio = format!("SK{}", random(24, 32, HEX));
    all.push(canary("twilio", format!("TWILIO_API_KEY={twilio}"), twilio));
    let google = format!("AIza{}", random(25, 35, ALNUM));
    all.push(canary(
        "google-api-key",
        format!("GOOGLE_API_KEY={google}"),
        google,
    ));
    let azure = format!("{}==", random(26, 86, B64));
    all.push(canary(
        "azure-connection-string",
        format!(
            "DefaultEndpointsProtocol=https;AccountName=canarystore;AccountKey={azure};EndpointSuffix=core.windows.net"
        ),
        azure.trim_end_matches('=').to_string(),
    ));
    let age = format!("AGE-SECRET-KEY-1{}", random(27, 58, BECH32));
    all.push(canary("age", format!("# age key\n{age}"), age));
    all
}

/// Every needle found in `haystack`, by family.
fn leaks(canaries: &[Canary], haystack: &[u8]) -> Vec<&'static str> {
    canaries
        .iter()
        .filter(|c| memchr_find(haystack, c.needle.as_bytes()))
        .map(|c| c.family)
        .collect()
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// The server: stage-one requests get their own transcript back as the memory; the agent reads
/// raw_memories.md, writes everything it was sent into MEMORY.md, writes the summary, finishes.
fn echo(_index: usize, body: &Value) -> Reply {
    let text = format!(
        "{}\n{}",
        body["instructions"].as_str().unwrap_or_default(),
        request_text(body)
    );
    if !is_agent_request(body) {
        return stage_one(&request_text(body), &text);
    }
    let turn = agent_turn(body);
    match turn {
        0 => tool_call(
            "call_read",
            "read_file",
            &json!({"path": "raw_memories.md", "start_line": null, "end_line": null}),
        ),
        1 => tool_call(
            "call_memory",
            "write_file",
            &json!({"path": "MEMORY.md", "content": format!("# Memory\n{text}")}),
        ),
        2 => tool_call(
            "call_summary",
            "write_file",
            &json!({"path": "memory_summary.md", "content": format!("v1\n{text}")}),
        ),
        _ => answer("consolidated"),
    }
}

#[test]
fn planted_secrets_never_reach_the_model_the_databases_the_files_or_git() {
    let canaries = canaries();
    for c in &canaries {
        let redacted = redact(&c.planted).text;
        assert!(
            !redacted.contains(&c.needle),
            "the redactor misses the {} canary: {redacted}",
            c.family
        );
    }

    let home = tempfile::tempdir().unwrap();
    // Five sessions of four secrets each: user message, tool arguments, tool output (two).
    for (n, chunk) in canaries.chunks(4).enumerate() {
        let n = n as u32 + 1;
        let arguments =
            json!({"command": ["bash", "-lc", format!("deploy-{n} {}", chunk[1].planted)]})
                .to_string();
        write_session(
            home.path(),
            n,
            &format!(
                "canary-session-{n}: please deploy; my credential: {}",
                chunk[0].planted
            ),
            &arguments,
            &format!(
                "deploy log {n}:\n{}\n{}\nexit 0",
                chunk[2].planted, chunk[3].planted
            ),
        );
    }
    let planted: Vec<u8> = files_under(&home.path().join("sessions"))
        .iter()
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect();
    // The needles are present in the input as written (JSON escaping aside, every needle is
    // free of characters JSON escapes), so the scans below can see them.
    assert_eq!(leaks(&canaries, &planted).len(), canaries.len());

    let server = MockServer::start(echo);
    let report = run_json(
        home.path(),
        &[
            "run",
            "--provider",
            "openai",
            "--base-url",
            &server.base_url,
            "--model",
            "m",
            "--consolidator",
            "agent",
            "--json",
        ],
    );
    assert_eq!(report["extract"]["succeeded"], 5, "{report:#}");
    assert_eq!(
        report["phase2"]["outcome"]["outcome"], "consolidated",
        "{report:#}"
    );

    let bodies = server.bodies();
    assert!(bodies.len() >= 5 + 4, "{} requests", bodies.len());
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(
            leaks(&canaries, body.as_bytes()),
            Vec::<&str>::new(),
            "request {i}"
        );
    }

    let memory_root = home.path().join("memories");
    let memory = std::fs::read_to_string(memory_root.join("MEMORY.md")).unwrap();
    assert!(
        memory.contains("canary-session-3"),
        "the echo did not reach MEMORY.md: {memory}"
    );
    let mut leaked = Vec::new();
    for path in files_under(&home.path().join("codex-memories"))
        .into_iter()
        .chain(files_under(&memory_root))
    {
        let found = leaks(&canaries, &std::fs::read(&path).unwrap());
        if !found.is_empty() {
            leaked.push((path, found));
        }
    }
    assert_eq!(leaked, Vec::new(), "secrets in files");

    // Git objects are compressed on disk: read every object, loose or packed, through git.
    if let Ok(output) = Command::new("git")
        .arg("-C")
        .arg(&memory_root)
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .output()
    {
        assert!(output.status.success());
        assert!(
            memchr_find(&output.stdout, b"canary-session-3"),
            "git objects do not hold the memory text"
        );
        assert_eq!(
            leaks(&canaries, &output.stdout),
            Vec::<&str>::new(),
            "git objects"
        );
    } else {
        println!("notice: git is not installed; git objects were not scanned");
    }

    // Forgetting a canary session with the offline consolidator, which keeps what the agent
    // wrote into MEMORY.md (the echo of session 3 among it): forget deletes the lines still
    // holding the session and makes the baseline again, its own check finds nothing, and no
    // canary may be anywhere — the thread index's tombstone included.
    let forgotten = faults_support::thread_id(3);
    let output = faults_support::run(
        home.path(),
        &[
            "forget",
            &forgotten,
            "--provider",
            "offline",
            "--consolidator",
            "offline",
            "--json",
        ],
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut leaked = Vec::new();
    let mut holding = Vec::new();
    for path in files_under(&home.path().join("codex-memories"))
        .into_iter()
        .chain(files_under(&memory_root))
    {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if memchr_find(&bytes, b"canary-session-3") {
            holding.push(path.display().to_string());
        }
        let found = leaks(&canaries, &bytes);
        if !found.is_empty() {
            leaked.push((path, found));
        }
    }
    assert_eq!(holding, Vec::<String>::new(), "{report:#}");
    assert!(
        report["lines_scrubbed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|file| file.as_str().unwrap().ends_with("MEMORY.md")),
        "{report:#}"
    );
    assert_eq!(report["check"]["remains"], json!([]), "{report:#}");
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(leaked, Vec::new(), "secrets in files after forget");
}

/// Shortest fragment of a canary that counts as a leak, in characters.
const MIN_FRAGMENT_CHARS: usize = 8;
/// Where phase 1 cuts: long texts keep a head and a tail of half their limit each (messages 8 000
/// bytes, tool inputs and outputs 3 000), and an error line kept from the middle is capped at 400.
const MESSAGE_HEAD_BYTES: usize = 4_000;
const TOOL_HEAD_BYTES: usize = 1_500;
const KEPT_LINE_BYTES: usize = 400;

/// Words without digits or secrets, no newline.
fn filler(len: usize) -> String {
    "the quick brown fox jumps over a lazy dog while rain falls "
        .chars()
        .cycle()
        .take(len)
        .collect()
}

/// `len` bytes of filler with `planted` set off by spaces so the byte at `cut` falls in the
/// middle of it.
fn straddling(planted: &str, cut: usize, len: usize) -> String {
    let start = cut.saturating_sub(planted.len() / 2).max(1);
    format!(
        "{} {planted} {}",
        filler(start - 1),
        filler(len.saturating_sub(start + planted.len() + 1))
    )
}

/// Every fragment of `needle` of [`MIN_FRAGMENT_CHARS`] characters found in `haystack`.
fn fragments_in(needle: &str, haystack: &str) -> Vec<String> {
    let chars: Vec<char> = needle.chars().collect();
    chars
        .windows(MIN_FRAGMENT_CHARS)
        .map(|window| window.iter().collect::<String>())
        .filter(|fragment| haystack.contains(fragment.as_str()))
        .collect()
}

#[test]
fn canaries_across_every_cut_boundary_never_reach_the_model() {
    let canaries = canaries();
    let home = tempfile::tempdir().unwrap();
    // One session per canary: it straddles the head cut of the user message, the head cut of
    // the command line, the tail cut of the tool output and the cap of an error line kept from
    // the output's omitted middle.
    for (n, canary) in canaries.iter().enumerate() {
        let n = n as u32 + 1;
        let message = straddling(
            &canary.planted,
            MESSAGE_HEAD_BYTES,
            2 * MESSAGE_HEAD_BYTES + 600,
        );
        let script = straddling(&canary.planted, TOOL_HEAD_BYTES, 2 * TOOL_HEAD_BYTES + 600);
        let arguments = json!({"command": ["bash", "-lc", script]}).to_string();
        let tail = straddling(&canary.planted, 200, 2 * TOOL_HEAD_BYTES);
        let error_line = format!(
            "error: {}",
            straddling(&canary.planted, KEPT_LINE_BYTES - 7, KEPT_LINE_BYTES + 200)
        );
        let lines = format!("{}\n", filler(39)).repeat(TOOL_HEAD_BYTES / 40 + 5);
        let output = format!("{lines}{error_line}\n{lines}{tail}");
        write_session(
            home.path(),
            n,
            &format!("canary-cut-{n}: {message}"),
            &arguments,
            &output,
        );
    }

    let server = MockServer::start(echo);
    let report = run_json(
        home.path(),
        &[
            "extract",
            "--provider",
            "openai",
            "--base-url",
            &server.base_url,
            "--model",
            "m",
            "--max-rollouts",
            "50",
            "--json",
        ],
    );
    assert_eq!(report["extract"]["succeeded"], canaries.len(), "{report:#}");

    let bodies = server.bodies();
    assert_eq!(bodies.len(), canaries.len());
    let mut cut = 0;
    let mut leaked = Vec::new();
    for body in &bodies {
        cut += usize::from(body.contains("bytes omitted"));
        for canary in &canaries {
            let found = fragments_in(&canary.needle, body);
            if !found.is_empty() {
                leaked.push((canary.family, found));
            }
        }
    }
    assert_eq!(cut, canaries.len(), "every session was cut");
    assert_eq!(leaked, Vec::new(), "canary fragments in requests");
}

#[test]
fn failure_reasons_quoting_secrets_are_redacted_in_the_jobs_table_the_logs_and_the_report() {
    let canaries = canaries();
    let home = tempfile::tempdir().unwrap();
    write_session(
        home.path(),
        1,
        "deploy the service",
        &json!({"command": ["bash", "-lc", "deploy"]}).to_string(),
        "exit 0",
    );
    // A server whose error body (plain text, one canary a line) quotes every canary: the
    // failure reason quotes the body.
    let quoted: Vec<String> = canaries.iter().map(|c| c.planted.clone()).collect();
    let body = format!("rejected:\n{}\n", quoted.join("\n"));
    let server = MockServer::start(move |_, _| Reply::Status(400, body.clone()));
    let output = faults_support::run(
        home.path(),
        &[
            "run",
            "--provider",
            "openai",
            "--base-url",
            &server.base_url,
            "--model",
            "m",
            "--consolidator",
            "offline",
            "--json",
        ],
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["extract"]["failed"].as_array().map(Vec::len),
        Some(1),
        "{report:#}"
    );
    let memories_db = faults_support::db_path(home.path(), "memories_1.sqlite");
    let reason = faults_support::query_one(&memories_db, "SELECT last_error FROM jobs");
    assert!(reason.contains("rejected"), "{reason}");
    let logs = faults_support::query_one(
        &faults_support::db_path(home.path(), "logs_1.sqlite"),
        "SELECT COUNT(*) FROM logs WHERE body LIKE '%rejected%'",
    );
    assert_ne!(logs, "0");
    let mut leaked = Vec::new();
    for path in files_under(&home.path().join("codex-memories")) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let found = leaks(&canaries, &bytes);
        if !found.is_empty() {
            leaked.push((path, found));
        }
    }
    assert_eq!(leaked, Vec::new(), "secrets in the databases");
    // What the run printed (its JSON report, its warnings) quotes the reason redacted too.
    assert_eq!(
        leaks(&canaries, &output.stdout),
        Vec::<&str>::new(),
        "secrets in the run's report"
    );
    assert_eq!(
        leaks(&canaries, &output.stderr),
        Vec::<&str>::new(),
        "secrets in the run's warnings"
    );
}
