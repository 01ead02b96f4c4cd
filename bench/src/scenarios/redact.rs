//! `redact`: single-core throughput of `codex_memories::redact` on ~50 MB of a
//! synthetic rollout without secrets (the common case: almost every byte only passes the
//! prefilter) and on text dense with secrets (one every ~250 bytes, every family), each beside a
//! plain `memchr` newline count over the same bytes (the floor: one pass, no matching at all).
//! Times are the measuring thread's CPU time, so a loaded machine does not halve the figures.

use codex_memories::redact;
use codex_protocol::ThreadId;

use crate::report::{Better, Row};
use crate::scenarios::Options;
use crate::synthetic::{Rng, write_session};

/// Size of each workload, in bytes (full run / quick run).
const FULL_BYTES: u64 = 50 * 1024 * 1024;
const QUICK_BYTES: u64 = 5 * 1024 * 1024;
/// Targets from issue 6, in MB/s on one core.
const CLEAN_TARGET_MB_PER_S: f64 = 100.0;
const DENSE_TARGET_MB_PER_S: f64 = 30.0;
/// Passes per measurement; the fastest is kept.
const PASSES: usize = 3;

/// Measures redaction on clean and secret-dense text against a memchr scan.
pub fn run(options: &Options) -> anyhow::Result<Vec<Row>> {
    let target = if options.quick {
        QUICK_BYTES
    } else {
        FULL_BYTES
    };
    let mut rng = Rng::new(11);
    let mut clean = Vec::with_capacity(target as usize + 4096);
    write_session(
        &mut clean,
        ThreadId::new(),
        "/work/project",
        target,
        &mut rng,
    )?;
    let clean = String::from_utf8(clean)?;
    let (dense, planted) = dense_text(target as usize, &mut rng);

    let clean_findings = redact(&clean).findings.len();
    anyhow::ensure!(
        clean_findings == 0,
        "{clean_findings} findings in the secret-free workload"
    );
    let dense_findings = redact(&dense).findings.len();
    anyhow::ensure!(
        dense_findings == planted,
        "{dense_findings} findings for {planted} planted secrets"
    );

    let mut rows = Vec::new();
    for (label, text, target) in [
        (
            "redact: text without secrets, 1 core",
            &clean,
            CLEAN_TARGET_MB_PER_S,
        ),
        (
            "redact: text dense with secrets, 1 core",
            &dense,
            DENSE_TARGET_MB_PER_S,
        ),
    ] {
        let megabytes = text.len() as f64 / 1e6;
        let floor = fastest(|| {
            std::hint::black_box(memchr::memchr_iter(b'\n', text.as_bytes()).count());
        });
        let ours = fastest(|| {
            std::hint::black_box(redact(text));
        });
        rows.push(
            Row::new(
                format!("{label} ({megabytes:.0} MB)"),
                megabytes / ours,
                "MB/s",
            )
            .baseline(megabytes / floor, "memchr newline scan")
            .target(target, Better::Higher),
        );
    }
    Ok(rows)
}

fn fastest(mut pass: impl FnMut()) -> f64 {
    (0..PASSES)
        .map(|_| crate::cpu::seconds(&mut pass))
        .fold(f64::INFINITY, f64::min)
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

fn random(rng: &mut Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[rng.range(0, alphabet.len() as u64) as usize] as char)
        .collect()
}

/// About `target` bytes of transcript-like lines, one secret every ~250 bytes, cycling through
/// the families; returns the text and how many secrets it holds.
fn dense_text(target: usize, rng: &mut Rng) -> (String, usize) {
    let mut text = String::with_capacity(target + 1024);
    let mut planted = 0;
    while text.len() < target {
        let line = match planted % 12 {
            0 => format!("export GITHUB_TOKEN=ghp_{}", random(rng, ALNUM, 36)),
            1 => format!(
                "aws_access_key_id = AKIA{}",
                random(rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
            ),
            2 => format!("password = \"{}\"", random(rng, ALNUM, 14)),
            3 => format!(
                "DATABASE_URL=postgres://app:{}@db.internal:5432/app",
                random(rng, ALNUM, 16)
            ),
            4 => format!(
                "curl -H \"Authorization: Bearer {}\" https://api.example.com/v1/items",
                random(rng, ALNUM, 40)
            ),
            5 => format!(
                "SLACK_BOT_TOKEN=xoxb-{}-{}-{}",
                random(rng, b"0123456789", 12),
                random(rng, b"0123456789", 13),
                random(rng, ALNUM, 24)
            ),
            6 => format!(
                "client = OpenAI(api_key=\"sk-proj-{}\")",
                random(rng, ALNUM, 48)
            ),
            7 => format!("stripe.api_key = 'sk_live_{}'", random(rng, ALNUM, 24)),
            8 => format!(
                "\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n{}\\n-----END PRIVATE KEY-----\\n\"",
                random(rng, ALNUM, 64),
                random(rng, ALNUM, 64)
            ),
            9 => format!(
                "session=eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
                random(rng, ALNUM, 40),
                random(rng, ALNUM, 43)
            ),
            10 => format!(
                "SENDGRID_API_KEY=SG.{}.{}",
                random(rng, ALNUM, 22),
                random(rng, ALNUM, 43)
            ),
            _ => format!(
                "api_token: {}{}",
                random(rng, HEX, 20),
                random(rng, ALNUM, 12)
            ),
        };
        planted += 1;
        text.push_str(
            "tool output (exit 0): updated the deployment config and restarted the service\n",
        );
        text.push_str(&line);
        text.push_str(
            "\nassistant: the build passed; 128 tests ok, 2 ignored, see the log for details\n",
        );
    }
    (text, planted)
}
