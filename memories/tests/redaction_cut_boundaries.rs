//! Redaction comes before every cut. A secret of each family is planted at every offset around
//! each place phase 1 cuts text — the head and tail boundaries of a long message, tool output,
//! patch and command line, and the 400-byte cap on an error line kept from an omitted middle —
//! and the stage-one request built from the rollout must hold no fragment of 8 or more of the
//! secret's characters. A request whose budget drops whole blocks is checked too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use codex_memories::build_stage_one_input;
use codex_memories::provider::{InputItem, ModelRequest};
use codex_memories::redact;
use codex_memories::{MAX_MESSAGE_BYTES, MAX_TOOL_INPUT_BYTES, MAX_TOOL_OUTPUT_BYTES};
use codex_protocol::{ContentItem, FunctionCallOutputBody, ResponseItem};
use serde_json::json;

/// Shortest fragment of a secret that counts as a leak, in characters.
const MIN_FRAGMENT_CHARS: usize = 8;
/// Longest evidence line kept from an omitted middle (`phase1::cut`), in bytes.
const MAX_KEPT_LINE_BYTES: usize = 400;
/// Offsets tried past each boundary beyond the planted text's own length.
const SLACK_BYTES: usize = 3;

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
const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BECH32: &str = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";

/// A planted secret: the text written into the session and the secret part that must not leak.
struct Secret {
    family: &'static str,
    planted: String,
    needle: String,
}

fn secret(family: &'static str, planted: String, needle: &str) -> Secret {
    Secret {
        family,
        planted,
        needle: needle.to_string(),
    }
}

/// One secret per redaction family, in the surroundings that make it recognisable.
fn secrets() -> Vec<Secret> {
    let mut all = Vec::new();
    let aws = format!("AKIA{}", random(1, 16, UPPER_NUM));
    all.push(secret(
        "aws",
        format!("export AWS_ACCESS_KEY_ID={aws}"),
        &aws,
    ));
    let aws_secret = random(2, 40, B64);
    all.push(secret(
        "aws-secret",
        format!("aws_secret_access_key = {aws_secret}"),
        &aws_secret,
    ));
    let gcp = format!("AIza{}", random(3, 35, ALNUM));
    all.push(secret("gcp", format!("{{\"api_key\": \"{gcp}\"}}"), &gcp));
    let azure = random(4, 86, B64);
    all.push(secret(
        "azure",
        format!("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={azure}==;EndpointSuffix=core.windows.net"),
        &azure,
    ));
    let github = format!("ghp_{}", random(5, 36, ALNUM));
    all.push(secret(
        "github",
        format!("git push https://{github}@github.com/acme/app"),
        &github,
    ));
    let gitlab = format!("glpat-{}", random(6, 20, ALNUM));
    all.push(secret("gitlab", format!("GITLAB_TOKEN={gitlab}"), &gitlab));
    let slack = format!(
        "xoxb-{}-{}-{}",
        random(7, 12, "0123456789"),
        random(8, 13, "0123456789"),
        random(9, 24, ALNUM)
    );
    all.push(secret("slack", format!("bot token {slack}"), &slack));
    let stripe = format!("sk_live_{}", random(10, 24, ALNUM));
    all.push(secret(
        "stripe",
        format!("Stripe.api_key = \"{stripe}\""),
        &stripe,
    ));
    let twilio = format!("SK{}", random(11, 32, HEX));
    all.push(secret(
        "twilio",
        format!("TWILIO_API_KEY={twilio}"),
        &twilio,
    ));
    let sendgrid = format!("SG.{}.{}", random(12, 22, ALNUM), random(13, 43, ALNUM));
    all.push(secret(
        "sendgrid",
        format!("sendgrid.setApiKey('{sendgrid}')"),
        &sendgrid,
    ));
    let mailgun = format!("key-{}", random(14, 32, HEX));
    all.push(secret(
        "mailgun",
        format!("var apiKey = process.env.MAILGUN_API || '{mailgun}'"),
        &mailgun,
    ));
    let shopify = format!("shpat_{}", random(15, 32, HEX));
    all.push(secret(
        "shopify",
        format!("$token = \"{shopify}\";"),
        &shopify,
    ));
    let npm = format!("npm_{}", random(16, 36, ALNUM));
    all.push(secret(
        "npm",
        format!("//registry.npmjs.org/:_authToken={npm}"),
        &npm,
    ));
    let pypi = format!("pypi-AgEIcHlwaS5vcmc{}", random(17, 60, ALNUM));
    all.push(secret("pypi", format!("password: {pypi}"), &pypi));
    let crates = format!("cio{}", random(18, 32, ALNUM));
    all.push(secret(
        "crates-io",
        format!("CARGO_REGISTRY_TOKEN={crates}"),
        &crates,
    ));
    let docker = format!("dckr_pat_{}", random(19, 27, ALNUM));
    all.push(secret(
        "docker-hub",
        format!("docker login -u acme -p {docker}"),
        &docker,
    ));
    let hf = format!("hf_{}", random(20, 34, LETTERS));
    all.push(secret("huggingface", format!("HF_TOKEN={hf}"), &hf));
    let openai = format!(
        "sk-proj-{}T3BlbkFJ{}",
        random(21, 74, ALNUM),
        random(22, 74, ALNUM)
    );
    all.push(secret(
        "openai",
        format!("OPENAI_API_KEY={openai}"),
        &openai,
    ));
    let anthropic = format!("sk-ant-api03-{}AA", random(23, 93, ALNUM));
    all.push(secret(
        "anthropic",
        format!("ANTHROPIC_API_KEY={anthropic}"),
        &anthropic,
    ));
    let groq = format!("gsk_{}", random(24, 52, ALNUM));
    all.push(secret(
        "ai-provider",
        format!("const apiKey = '{groq}';"),
        &groq,
    ));
    let doppler = format!("dp.pt.{}", random(25, 43, ALNUM));
    all.push(secret("saas", format!("DOPPLER_TOKEN={doppler}"), &doppler));
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjdXQt{}.{}",
        random(26, 30, ALNUM),
        random(27, 43, ALNUM)
    );
    all.push(secret("jwt", format!("Cookie: session={jwt}"), &jwt));
    let pem = format!(
        "{}\n{}\n{}==",
        random(28, 64, B64),
        random(29, 64, B64),
        random(30, 40, B64)
    );
    all.push(secret(
        "private-key",
        format!("-----BEGIN RSA PRIVATE KEY-----\n{pem}\n-----END RSA PRIVATE KEY-----"),
        &pem,
    ));
    let wireguard = format!("{}=", random(31, 43, B64));
    all.push(secret(
        "wireguard",
        format!("[Interface]\nPrivateKey = {wireguard}"),
        &wireguard,
    ));
    let age = format!("AGE-SECRET-KEY-1{}", random(32, 58, BECH32));
    all.push(secret("age", format!("# age key\n{age}"), &age));
    let bcrypt = random(
        33,
        53,
        "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    );
    all.push(secret(
        "password-hash",
        format!("admin:$2b$12${bcrypt}:19000:0:99999:7:::"),
        &bcrypt,
    ));
    let url_password = format!("Pg{}", random(34, 18, ALNUM));
    all.push(secret(
        "url-credentials",
        format!("DATABASE_URL=postgres://app:{url_password}@db.internal:5432/app"),
        &url_password,
    ));
    let odbc = format!("Xk9#{}", random(35, 12, ALNUM));
    all.push(secret(
        "connection-string",
        format!("Server=sql01;Database=Orders;User Id=svc;Password={odbc};Encrypt=True;"),
        &odbc,
    ));
    let bearer = random(36, 48, ALNUM);
    all.push(secret(
        "http-auth",
        format!("curl -H \"Authorization: Bearer {bearer}\" https://api.example.com"),
        &bearer,
    ));
    let netrc = format!("Nr{}", random(37, 16, ALNUM));
    all.push(secret(
        "netrc",
        format!("machine api.example.com\n  login deploy\n  password {netrc}"),
        &netrc,
    ));
    let password = format!("Tr0ub4dor-{}", random(38, 12, ALNUM));
    all.push(secret(
        "generic",
        format!("password = \"{password}\""),
        &password,
    ));
    all
}

/// Filler that holds no secret and no fragment of one: words, no digits, no newline.
fn filler(len: usize) -> &'static str {
    static FILLER: LazyLock<String> = LazyLock::new(|| {
        "the quick brown fox jumps over a lazy dog while rain falls ".repeat(MAX_MESSAGE_BYTES / 16)
    });
    &FILLER[..len.min(FILLER.len())]
}

/// Filler lines of 40 bytes (newline included), at least `len` bytes of them.
fn filler_lines(len: usize) -> String {
    format!("{}\n", filler(39)).repeat(len.div_ceil(40))
}

fn user(text: String) -> ResponseItem {
    ResponseItem::Message {
        id: None,
        role: "user".to_string(),
        content: vec![ContentItem::InputText { text }],
    }
}

fn tool_output(text: String) -> ResponseItem {
    let body = json!({"output": text, "metadata": {"exit_code": 1, "duration_seconds": 0.5}});
    ResponseItem::FunctionCallOutput {
        call_id: "c1".to_string(),
        output: FunctionCallOutputBody::Text(body.to_string()),
    }
}

fn patch(text: String) -> ResponseItem {
    ResponseItem::CustomToolCall {
        id: None,
        status: None,
        call_id: "c2".to_string(),
        name: "apply_patch".to_string(),
        input: text,
    }
}

fn command(script: String) -> ResponseItem {
    ResponseItem::FunctionCall {
        id: None,
        name: "shell".to_string(),
        arguments: json!({"command": ["bash", "-lc", script], "workdir": "/repo"}).to_string(),
        call_id: "c3".to_string(),
    }
}

/// A place where phase 1 cuts text, and how to build an item with `planted` starting at a
/// given byte offset from that place.
struct Boundary {
    name: &'static str,
    /// The cut's byte offset in the item's text, given the text's length.
    at: fn(usize) -> usize,
    /// The text's length.
    len: usize,
    /// The item holding `text`.
    item: fn(String) -> ResponseItem,
    /// Filler around the planted text: one line (a byte cut) or many short lines.
    lines: bool,
}

fn boundaries() -> Vec<Boundary> {
    // Each long text is cut to head + tail of half the limit each (`phase1::cut`).
    let message_len = MAX_MESSAGE_BYTES + 400;
    let output_len = MAX_TOOL_OUTPUT_BYTES + 400;
    let input_len = MAX_TOOL_INPUT_BYTES + 400;
    vec![
        Boundary {
            name: "message head",
            at: |_| MAX_MESSAGE_BYTES / 2,
            len: message_len,
            item: user,
            lines: false,
        },
        Boundary {
            name: "message tail",
            at: |len| len - MAX_MESSAGE_BYTES / 2,
            len: message_len,
            item: user,
            lines: false,
        },
        Boundary {
            name: "tool output head",
            at: |_| MAX_TOOL_OUTPUT_BYTES / 2,
            len: output_len,
            item: tool_output,
            lines: false,
        },
        Boundary {
            name: "tool output tail",
            at: |len| len - MAX_TOOL_OUTPUT_BYTES / 2,
            len: output_len,
            item: tool_output,
            lines: false,
        },
        Boundary {
            name: "tool output head, lines",
            at: |_| MAX_TOOL_OUTPUT_BYTES / 2,
            len: output_len,
            item: tool_output,
            lines: true,
        },
        Boundary {
            name: "patch head",
            at: |_| MAX_TOOL_INPUT_BYTES / 2,
            len: input_len,
            item: patch,
            lines: false,
        },
        Boundary {
            name: "patch tail",
            at: |len| len - MAX_TOOL_INPUT_BYTES / 2,
            len: input_len,
            item: patch,
            lines: false,
        },
        Boundary {
            name: "command line head",
            at: |_| MAX_TOOL_INPUT_BYTES / 2,
            len: input_len,
            item: command,
            lines: false,
        },
        Boundary {
            name: "command line tail",
            at: |len| len - MAX_TOOL_INPUT_BYTES / 2,
            len: input_len,
            item: command,
            lines: false,
        },
    ]
}

/// The text of `len` bytes with `planted` starting at byte `start`, set off from the filler by
/// a space (or a newline between lines) on each side as a secret is in real text.
fn text_with(planted: &str, start: usize, len: usize, lines: bool) -> String {
    let start = start.max(1);
    let after = len.saturating_sub(start + planted.len() + 1);
    if lines {
        let mut head = filler_lines(start);
        head.truncate(start - 1);
        format!("{head}\n{planted}\n{}", filler_lines(after))
    } else {
        format!("{} {planted} {}", filler(start - 1), filler(after))
    }
}

/// An error line in the omitted middle of a tool output, over the 400-byte evidence cap, with
/// `planted` starting at `start` bytes into the line.
fn evidence_text(planted: &str, start: usize) -> String {
    let line = format!(
        "error: {} {planted} {}",
        filler(start.saturating_sub(8)),
        filler(100)
    );
    // Head and tail each a little over half the limit: the line sits in the omitted middle.
    let around = filler_lines(MAX_TOOL_OUTPUT_BYTES / 2 + 200);
    format!("{around}{line}\n{around}")
}

/// Writes a rollout holding `items` and returns its path.
fn write_rollout(dir: &Path, name: &str, items: &[ResponseItem]) -> PathBuf {
    let ts = "2026-11-20T10:00:00.000Z";
    let text = format!(
        "{}\n",
        json!({"timestamp": ts, "type": "session_meta", "payload": {
            "id": "019a93b9-0000-7000-8000-000000000001", "timestamp": ts, "cwd": "/repo",
            "originator": "codex_cli_rs", "cli_version": "0.58.0", "source": "cli",
            "model_provider": "openai"}})
    );
    let mut text = text.into_bytes();
    for item in items {
        let line = json!({"timestamp": ts, "type": "response_item", "payload": item});
        serde_json::to_writer(&mut text, &line).unwrap();
        text.push(b'\n');
    }
    let path = dir.join(format!("rollout-{name}.jsonl"));
    std::fs::write(&path, text).unwrap();
    path
}

/// All the text a request sends.
fn request_text(request: &ModelRequest) -> String {
    let mut text = request.instructions.clone();
    for item in &request.input {
        if let InputItem::Message { text: message, .. } = item {
            text.push_str(message);
        }
    }
    text
}

/// Finds fragments of one secret: every window of [`MIN_FRAGMENT_CHARS`] characters, searched
/// in one pass.
struct FragmentFinder {
    windows: Vec<String>,
    searcher: AhoCorasick,
}

impl FragmentFinder {
    fn new(needle: &str) -> Self {
        let chars: Vec<char> = needle.chars().collect();
        let windows: Vec<String> = chars
            .windows(MIN_FRAGMENT_CHARS)
            .map(|window| window.iter().collect())
            .collect();
        let searcher = AhoCorasick::new(&windows).unwrap();
        Self { windows, searcher }
    }

    /// The first fragment found in `haystack`.
    fn find(&self, haystack: &str) -> Option<&str> {
        self.searcher
            .find(haystack)
            .map(|found| self.windows[found.pattern().as_usize()].as_str())
    }
}

fn build(path: &Path, context_window: Option<u64>) -> String {
    let input =
        build_stage_one_input(path, context_window, None, &|text: &str| redact(text).text).unwrap();
    request_text(&input.request)
}

#[test]
fn no_cut_leaves_a_fragment_of_a_secret_in_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = secrets();
    let mut leaks = Vec::new();
    for (index, secret) in secrets.iter().enumerate() {
        let fragments = FragmentFinder::new(&secret.needle);
        assert!(
            fragments.find(&redact(&secret.planted).text).is_none(),
            "the redactor misses the {} secret: {}",
            secret.family,
            secret.planted
        );
        let planted_len = secret.planted.len();
        for boundary in boundaries() {
            let cut = (boundary.at)(boundary.len);
            // Every start from wholly before the cut to just past it: the cut falls at every
            // byte of the planted text.
            let items: Vec<ResponseItem> = (cut.saturating_sub(planted_len + SLACK_BYTES)
                ..=cut + SLACK_BYTES)
                .map(|start| {
                    (boundary.item)(text_with(
                        &secret.planted,
                        start,
                        boundary.len,
                        boundary.lines,
                    ))
                })
                .collect();
            let path = write_rollout(
                dir.path(),
                &format!("{index}-{}", boundary.name.replace(' ', "-")),
                &items,
            );
            let sent = build(&path, Some(100_000_000));
            assert!(
                sent.contains("bytes omitted"),
                "{}: nothing was cut",
                boundary.name
            );
            if let Some(fragment) = fragments.find(&sent) {
                leaks.push(format!(
                    "{} at {}: {fragment:?}",
                    secret.family, boundary.name
                ));
            }
        }
        // The evidence-line cap: the secret straddles byte 400 of a kept error line.
        let items: Vec<ResponseItem> = (MAX_KEPT_LINE_BYTES
            .saturating_sub(planted_len + SLACK_BYTES)
            ..=MAX_KEPT_LINE_BYTES + SLACK_BYTES)
            .map(|start| tool_output(evidence_text(&secret.planted, start)))
            .collect();
        let path = write_rollout(dir.path(), &format!("{index}-evidence"), &items);
        let sent = build(&path, Some(100_000_000));
        assert!(
            sent.contains("kept lines from the omitted part"),
            "no evidence line kept"
        );
        if let Some(fragment) = fragments.find(&sent) {
            leaks.push(format!(
                "{} at the evidence-line cap: {fragment:?}",
                secret.family
            ));
        }
    }
    assert_eq!(leaks, Vec::<String>::new());
}

#[test]
fn a_budget_that_drops_blocks_leaves_no_fragment_either() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = secrets();
    let items: Vec<ResponseItem> = secrets
        .iter()
        .flat_map(|secret| {
            [
                user(format!("{} {}", filler(300), secret.planted)),
                tool_output(format!("{}\n{}", filler(2_000), secret.planted)),
            ]
        })
        .collect();
    let path = write_rollout(dir.path(), "budget", &items);
    // A window small enough that most blocks are dropped from the middle.
    let sent = build(&path, Some(4_000));
    assert!(
        sent.contains("omitted from the middle"),
        "nothing was dropped"
    );
    let leaks: Vec<&str> = secrets
        .iter()
        .filter(|secret| FragmentFinder::new(&secret.needle).find(&sent).is_some())
        .map(|secret| secret.family)
        .collect();
    assert_eq!(leaks, Vec::<&str>::new());
}
