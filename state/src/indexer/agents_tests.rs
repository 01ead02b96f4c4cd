//! One index holds every agent's sessions: Codex rollouts, Claude Code transcripts (sidechains
//! attached to their parent) and Gemini CLI chats, each row saying its agent; an agent left out
//! by name is not touched; an agent's vanished folder keeps its threads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::DateTime;
use codex_protocol::Agent;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;
use crate::{Clock, Homes, ManualClock};

const CODEX_ID: &str = "019a93b9-f380-7600-98ff-000000000001";
const CLAUDE_ID: &str = "b1052fc4-c133-4cae-aa16-126020b1c055";
const GEMINI_ID: &str = "1d942429-db64-41cf-bc43-976ab831b159";

struct Home {
    _dir: tempfile::TempDir,
    homes: Homes,
}

fn write(path: &Path, lines: &[String]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(path, text).unwrap();
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let homes = Homes::under_codex_home(dir.path().join("codex")).with_agent_homes(
            Some(&dir.path().join("claude")),
            Some(&dir.path().join("gemini")),
        );
        let home = Self { _dir: dir, homes };
        home.write_codex();
        home.write_claude();
        home.write_gemini();
        home
    }

    fn claude_projects(&self) -> PathBuf {
        self.homes.claude_projects_dir().unwrap()
    }

    fn write_codex(&self) {
        let meta = json!({"timestamp": "2026-12-01T10:00:00.000Z", "type": "session_meta",
            "payload": {"id": CODEX_ID, "timestamp": "2026-12-01T10:00:00.000Z", "cwd": "/w/codex", "source": "cli"}});
        let user = json!({"timestamp": "2026-12-01T10:00:01.000Z", "type": "event_msg",
            "payload": {"type": "user_message", "message": "codex request"}});
        write(
            &self.homes.sessions_dir().join(format!(
                "2026/12/01/rollout-2026-12-01T10-00-00-{CODEX_ID}.jsonl"
            )),
            &[meta.to_string(), user.to_string()],
        );
    }

    fn write_claude(&self) {
        let prompt = format!(
            r#"{{"parentUuid":null,"isSidechain":false,"type":"user","message":{{"role":"user","content":"where is word counting?"}},"uuid":"u1","timestamp":"2026-12-06T17:46:38.000Z","entrypoint":"sdk-cli","cwd":"/home/dev/src/rust-wc","sessionId":"{CLAUDE_ID}","version":"2.1.328","gitBranch":"main"}}"#
        );
        let dir = self.claude_projects().join("-home-dev-src-rust-wc");
        write(&dir.join(format!("{CLAUDE_ID}.jsonl")), &[prompt]);
        let side = format!(
            r#"{{"parentUuid":null,"isSidechain":true,"agentId":"a1","type":"user","message":{{"role":"user","content":"Locate it"}},"uuid":"s1","timestamp":"2026-12-06T17:46:45.000Z","cwd":"/home/dev/src/rust-wc","sessionId":"{CLAUDE_ID}"}}"#
        );
        write(
            &dir.join(format!("{CLAUDE_ID}/subagents/agent-a1.jsonl")),
            &[side],
        );
    }

    fn write_gemini(&self) {
        let header = format!(
            r#"{{"sessionId":"{GEMINI_ID}","projectHash":"h","startTime":"2026-12-06T17:47:00.357Z","lastUpdated":"2026-12-06T17:47:00.357Z","kind":"main"}}"#
        );
        let context = r#"{"$set":{"messages":[{"id":"ctx","timestamp":"t","type":"user","content":[{"text":"<session_context>\n- **Workspace Directories:**\n  - /home/dev/src/py-calc\n</session_context>"}]}]}}"#;
        let prompt = r#"{"id":"u1","timestamp":"2026-12-06T17:47:00.420Z","type":"user","content":[{"text":"run the tests"}]}"#;
        write(
            &self
                .homes
                .gemini_tmp_dir()
                .unwrap()
                .join("py-calc/chats/session-2026-12-06T17-47-1d942429.jsonl"),
            &[header, context.to_string(), prompt.to_string()],
        );
    }

    async fn runtime(&self) -> StateRuntime {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_796_600_000, 0).unwrap(),
        ));
        StateRuntime::open_with_clock(self.homes.clone(), clock)
            .await
            .unwrap()
    }
}

async fn index_with(runtime: &StateRuntime, agents: AgentSelection) -> IndexReport {
    let options = IndexOptions {
        agents,
        ..IndexOptions::default()
    };
    runtime
        .index_sessions_with(&options, &|_| {})
        .await
        .unwrap()
}

fn only(agents: &[Agent]) -> AgentSelection {
    AgentSelection::Only(agents.iter().copied().collect::<BTreeSet<_>>())
}

async fn rows(runtime: &StateRuntime) -> Vec<(Agent, String, String, String)> {
    let mut rows: Vec<_> = runtime
        .list_threads(10)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.agent, row.id.to_string(), row.title, row.cwd))
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn every_agent_s_sessions_are_indexed_with_their_agent_and_a_sidechain_is_not_a_thread() {
    let home = Home::new();
    let runtime = home.runtime().await;
    let report = index_with(&runtime, AgentSelection::Present).await;
    assert_eq!((report.threads_added, report.failed), (3, vec![]));
    assert_eq!(
        rows(&runtime).await,
        vec![
            (
                Agent::Codex,
                CODEX_ID.to_string(),
                "codex request".to_string(),
                "/w/codex".to_string()
            ),
            (
                Agent::Claude,
                CLAUDE_ID.to_string(),
                "where is word counting?".to_string(),
                "/home/dev/src/rust-wc".to_string()
            ),
            (
                Agent::Gemini,
                GEMINI_ID.to_string(),
                "run the tests".to_string(),
                "/home/dev/src/py-calc".to_string()
            ),
        ]
    );
    let claude = runtime
        .get_thread(CLAUDE_ID.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        runtime.count_threads_by_agent().await.unwrap(),
        vec![(Agent::Codex, 1), (Agent::Claude, 1), (Agent::Gemini, 1)]
    );
    let gemini: Vec<String> = runtime
        .list_agent_threads(Agent::Gemini, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.id.to_string())
        .collect();
    assert_eq!(gemini, vec![GEMINI_ID.to_string()]);
    // The sidechain's last line dates the session.
    assert_eq!(claude.updated_at, 1_796_579_205_000);
    assert_eq!(claude.source, "exec");
}

#[tokio::test]
async fn a_change_in_a_sidechain_reads_its_session_again() {
    let home = Home::new();
    let runtime = home.runtime().await;
    index_with(&runtime, AgentSelection::Present).await;
    let side = home.claude_projects().join(format!(
        "-home-dev-src-rust-wc/{CLAUDE_ID}/subagents/agent-a1.jsonl"
    ));
    let mut text = std::fs::read_to_string(&side).unwrap();
    text.push_str(&format!(
        r#"{{"parentUuid":"s1","isSidechain":true,"type":"user","message":{{"role":"user","content":"more"}},"uuid":"s2","timestamp":"2026-12-06T17:50:00.000Z","sessionId":"{CLAUDE_ID}"}}"#
    ));
    text.push('\n');
    std::fs::write(&side, text).unwrap();
    let report = index_with(&runtime, AgentSelection::Present).await;
    assert_eq!((report.parsed, report.unchanged), (1, 2));
}

#[tokio::test]
async fn an_agent_left_out_by_name_is_not_touched() {
    let home = Home::new();
    let runtime = home.runtime().await;
    index_with(&runtime, AgentSelection::Present).await;
    std::fs::remove_dir_all(home.claude_projects()).unwrap();
    let report = index_with(&runtime, only(&[Agent::Codex])).await;
    assert_eq!(
        (report.files_seen, report.removed, report.unreadable_roots),
        (1, 0, vec![])
    );
    assert_eq!(rows(&runtime).await.len(), 3);
}

#[tokio::test]
async fn a_vanished_claude_home_keeps_its_threads_and_is_reported_as_claude_s() {
    let home = Home::new();
    let runtime = home.runtime().await;
    index_with(&runtime, AgentSelection::Present).await;
    let claude_home = home.homes.claude_home.clone().unwrap();
    std::fs::rename(&claude_home, claude_home.with_file_name("claude.away")).unwrap();
    let report = index_with(&runtime, AgentSelection::Present).await;
    assert_eq!(report.removed, 0);
    assert_eq!(
        report
            .unreadable_roots
            .iter()
            .map(|root| (root.agent, root.path.clone(), root.kept_threads))
            .collect::<Vec<_>>(),
        vec![(Agent::Claude, home.claude_projects(), 1)]
    );
}

/// `../shared/fixtures/transcripts/<name>`, when it exists.
fn transcripts(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/transcripts")
        .join(name);
    dir.is_dir().then_some(dir)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[tokio::test]
async fn the_real_claude_and_gemini_sessions_index_with_a_title_cwd_and_agent() {
    let (Some(claude), Some(gemini)) = (
        transcripts("claude-code-2.1.328"),
        transcripts("gemini-cli-0.61.0"),
    ) else {
        eprintln!("skipping: ../shared/fixtures/transcripts is absent");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let homes = Homes::under_codex_home(dir.path().join("codex")).with_agent_homes(
        Some(&dir.path().join("claude")),
        Some(&dir.path().join("gemini")),
    );
    copy_tree(&claude, &homes.claude_projects_dir().unwrap());
    copy_tree(&gemini, &homes.gemini_tmp_dir().unwrap());
    let runtime = StateRuntime::open(homes).await.unwrap();
    let report = runtime.index_sessions(&|_| {}).await.unwrap();
    assert_eq!((report.threads_added, report.failed), (6, vec![]));
    let mut found: Vec<(Agent, String, String)> = runtime
        .list_threads(10)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.agent, row.cwd, row.title))
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (
                Agent::Claude,
                "/home/dev/src/node-greet".to_string(),
                "explain the greet module".to_string()
            ),
            (
                Agent::Claude,
                "/home/dev/src/py-calc".to_string(),
                "run the tests and fix the failing one".to_string()
            ),
            (
                Agent::Claude,
                "/home/dev/src/rust-wc".to_string(),
                "where is the word counting implemented? check the tests still pass".to_string()
            ),
            (
                Agent::Claude,
                "/home/dev/src/shell-backup".to_string(),
                "what does backup.sh do?".to_string()
            ),
            (
                Agent::Gemini,
                "/home/dev/src/node-greet".to_string(),
                "make sure the node tests pass".to_string()
            ),
            (
                Agent::Gemini,
                "/home/dev/src/py-calc".to_string(),
                "run the tests and fix the failing one".to_string()
            ),
        ]
    );
}
