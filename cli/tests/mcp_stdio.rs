//! `codex-memories mcp` run as a real process and driven over stdio with newline-delimited
//! JSON-RPC, the way an MCP client does: the handshake, the tool list, each tool, pagination,
//! refusals as tool errors, and a stdout that carries nothing but JSON-RPC messages.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

mod controls_common;

use codex_memories::project_slug;
use controls_common::binary;
use controls_common::run_json;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// How long to wait for one message before declaring the server hung (a guard, not a timing).
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(60);
const GITHUB_TOKEN: &str = "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";

/// A Codex home whose `memories/` holds a few files, a `.git` and, on unix, a symlink out.
fn codex_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("tempdir");
    let root = home.path().join("memories");
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "MEMORY.md",
        "# Memory\nUse uv, not pip.\nRun tests with cargo nextest.\n",
    );
    write("memory_summary.md", "v1\nPython projects use uv.\n");
    write(
        "rollout_summaries/2026-05-01T10-00-00-abcd-fix.md",
        "Fixed the flaky Cargo build.\n",
    );
    write("skills/release/SKILL.md", "# Release\nTag, then push.\n");
    write(".git/config", "[core]\n");
    std::fs::write(home.path().join("outside.md"), "uv secret outside\n").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(home.path().join("outside.md"), root.join("leak.md"))
        .expect("symlink");
    home
}

/// A running server and the lines it has written.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
}

impl Client {
    /// Starts `codex-memories mcp --codex-home <codex_home>` and completes the handshake.
    fn start(codex_home: &Path) -> Self {
        Self::start_with(|command| {
            command
                .args(["mcp", "--codex-home"])
                .arg(codex_home)
                .env_remove("CODEX_HOME");
        })
    }

    /// Starts the binary with the arguments and environment `configure` sets, then completes
    /// the handshake.
    fn start_with(configure: impl FnOnce(&mut Command)) -> Self {
        let mut command = binary();
        configure(&mut command);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn codex-memories mcp");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut client = Self {
            child,
            stdin,
            lines,
            next_id: 1,
        };
        let initialized = client.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "mcp_stdio test", "version": "1"},
            }),
        );
        assert_eq!(initialized["result"]["protocolVersion"], "2025-06-18");
        assert_eq!(
            initialized["result"]["serverInfo"]["name"],
            "codex-memories"
        );
        client.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        client
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").expect("write to server");
        stdin.flush().expect("flush");
    }

    /// Sends a request and returns its response, checking every line read on the way.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = match self.lines.recv_timeout(MESSAGE_TIMEOUT) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => panic!("no answer to `{method}`: server hung"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("server closed stdout during `{method}`")
                }
            };
            let message = json_rpc(&line);
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
        }
    }

    /// Calls a tool; returns `(is_error, structured content or text)`.
    fn call(&mut self, tool: &str, arguments: Value) -> (bool, Value) {
        let response = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        let result = &response["result"];
        assert!(result.is_object(), "tools/call {tool}: {response}");
        let is_error = result["isError"].as_bool().unwrap_or(false);
        let text = result["content"][0]["text"]
            .as_str()
            .expect("text content")
            .to_string();
        if is_error {
            return (true, Value::String(text));
        }
        // The text content is the same JSON as the structured content.
        let from_text: Value = serde_json::from_str(&text).expect("JSON text content");
        assert_eq!(from_text, result["structuredContent"]);
        (false, from_text)
    }

    /// Closes stdin and checks that the server exits cleanly, without writing anything else
    /// but JSON-RPC.
    fn finish(mut self) {
        drop(self.stdin.take());
        while let Ok(line) = self.lines.recv_timeout(MESSAGE_TIMEOUT) {
            json_rpc(&line);
        }
        let status = self.child.wait().expect("wait for server");
        assert!(status.success(), "server exited with {status}");
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Only matters when a test failed midway: never leave a server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses one stdout line and checks it is a JSON-RPC 2.0 message.
fn json_rpc(line: &str) -> Value {
    let message: Value = serde_json::from_str(line)
        .unwrap_or_else(|error| panic!("stdout line is not JSON ({error}): {line}"));
    assert_eq!(message["jsonrpc"], "2.0", "{line}");
    let is_response = message.get("id").is_some()
        && (message.get("result").is_some() || message.get("error").is_some());
    let is_request_or_notification = message.get("method").is_some();
    assert!(
        is_response || is_request_or_notification,
        "not a JSON-RPC message: {line}"
    );
    message
}

#[test]
fn tools_list_offers_the_six_tools_with_input_schemas() {
    let home = codex_home();
    let mut client = Client::start(home.path());
    let response = client.request("tools/list", json!({}));
    let tools = response["result"]["tools"].as_array().expect("tools");
    let mut names: Vec<&str> = tools
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec![
            "add_ad_hoc_note",
            "add_note",
            "context",
            "list",
            "read",
            "search"
        ]
    );
    let required = |name: &str| {
        let tool = tools.iter().find(|t| t["name"] == name).expect("tool");
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        tool["inputSchema"]["required"].clone()
    };
    assert_eq!(required("add_note"), json!(["title", "body"]));
    assert_eq!(required("add_ad_hoc_note"), json!(["filename", "note"]));
    assert_eq!(required("read"), json!(["path"]));
    assert_eq!(required("list"), Value::Null);
    assert_eq!(required("search"), Value::Null);
    assert_eq!(required("context"), json!(["cwd"]));
    // Formats a JSON Schema validator does not know (schemars' `uint`, `uint32`, …) make
    // Gemini CLI warn on every call; counts are plain non-negative integers.
    let schemas = serde_json::to_string(tools).unwrap();
    assert!(!schemas.contains("\"format\":\"uint"), "{schemas}");
    client.finish();
}

#[test]
fn list_pages_through_the_folder_with_cursors_and_hides_git() {
    let home = codex_home();
    let mut client = Client::start(home.path());
    let mut paths = Vec::new();
    let mut cursor = Value::Null;
    let mut pages = 0;
    loop {
        let (is_error, page) = client.call("list", json!({"cursor": cursor, "max_results": 3}));
        assert!(!is_error, "{page}");
        pages += 1;
        for entry in page["entries"].as_array().expect("entries") {
            paths.push(entry["path"].as_str().expect("path").to_string());
        }
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(
        paths,
        vec![
            "MEMORY.md",
            "memory_summary.md",
            "rollout_summaries",
            "rollout_summaries/2026-05-01T10-00-00-abcd-fix.md",
            "skills",
            "skills/release",
            "skills/release/SKILL.md",
        ]
    );
    assert_eq!(pages, 3);
    let (is_error, message) = client.call("list", json!({"cursor": "bogus"}));
    assert!(is_error);
    assert!(
        message
            .as_str()
            .expect("text")
            .contains("bad cursor `bogus`"),
        "{message}"
    );
    client.finish();
}

#[test]
fn read_returns_a_window_of_lines_and_where_the_next_one_starts() {
    let home = codex_home();
    let mut client = Client::start(home.path());
    let (is_error, page) = client.call(
        "read",
        json!({"path": "MEMORY.md", "line_offset": 2, "max_lines": 1}),
    );
    assert!(!is_error, "{page}");
    assert_eq!(
        page,
        json!({
            "path": "MEMORY.md",
            "start_line": 2,
            "lines": ["Use uv, not pip."],
            "total_lines": 3,
            "next_line_offset": 3,
        })
    );
    client.finish();
}

#[test]
fn search_takes_one_query_or_several_with_any_and_all() {
    let home = codex_home();
    let mut client = Client::start(home.path());
    let (_, single) = client.call("search", json!({"query": "UV", "context_lines": 1}));
    assert_eq!(
        single,
        json!({
            "matches": [
                {"path": "MEMORY.md", "line": 2, "text": "Use uv, not pip.",
                 "matched_queries": ["UV"],
                 "before": ["# Memory"], "after": ["Run tests with cargo nextest."]},
                {"path": "memory_summary.md", "line": 2, "text": "Python projects use uv.",
                 "matched_queries": ["UV"],
                 "before": ["v1"], "after": []},
            ],
            "next_cursor": null,
        })
    );
    let lines = |page: &Value| -> Vec<String> {
        page["matches"]
            .as_array()
            .expect("matches")
            .iter()
            .map(|m| format!("{}:{}", m["path"].as_str().expect("path"), m["line"]))
            .collect()
    };
    let (_, any) = client.call(
        "search",
        json!({"queries": ["nextest", "tag,"], "match_mode": "any"}),
    );
    assert_eq!(
        lines(&any),
        vec!["MEMORY.md:3", "skills/release/SKILL.md:2"]
    );
    let (_, all) = client.call(
        "search",
        json!({"queries": ["uv", "python"], "match_mode": "all"}),
    );
    assert_eq!(lines(&all), vec!["memory_summary.md:2"]);
    let (_, exact) = client.call("search", json!({"query": "UV", "case_sensitive": true}));
    assert_eq!(lines(&exact), Vec::<String>::new());
    let (_, first) = client.call(
        "search",
        json!({"query": "u", "max_results": 2, "exact": true}),
    );
    let (_, second) = client.call(
        "search",
        json!({"query": "u", "max_results": 2, "cursor": first["next_cursor"]}),
    );
    let (_, whole) = client.call(
        "search",
        json!({"query": "u", "max_results": 4, "exact": true}),
    );
    let mut paged = lines(&first);
    paged.extend(lines(&second));
    assert_eq!(paged, lines(&whole));
    let (is_error, message) = client.call("search", json!({}));
    assert!(is_error);
    assert!(
        message.as_str().expect("text").contains("give `query`"),
        "{message}"
    );
    client.finish();
}

#[test]
fn traversal_git_and_symlink_paths_come_back_as_tool_errors() {
    let home = codex_home();
    let mut client = Client::start(home.path());
    let mut refused = vec!["../outside.md", "/etc/passwd", ".git/config"];
    if cfg!(unix) {
        refused.push("leak.md");
    }
    for path in refused {
        let (is_error, message) = client.call("read", json!({"path": path}));
        assert!(is_error, "{path}: {message}");
        let message = message.as_str().expect("text").to_string();
        let why = if path == "leak.md" {
            "`leak.md` is a symbolic link".to_string()
        } else {
            format!("`{path}` refused")
        };
        assert!(message.contains(&why), "{message}");
        assert!(!message.contains("uv secret outside"), "{message}");
    }
    let (is_error, message) = client.call("list", json!({"path": "../"}));
    assert!(is_error, "{message}");
    let (_, found) = client.call("search", json!({"query": "secret outside", "exact": true}));
    assert_eq!(found["matches"], json!([]));
    let (_, ranked) = client.call("search", json!({"query": "secret outside", "all": true}));
    assert_eq!(ranked["hits"], json!([]));
    // The server is still up after all those refusals.
    let pong = client.request("ping", json!({}));
    assert_eq!(pong["result"], json!({}));
    client.finish();
}

#[test]
fn add_note_writes_a_redacted_note_for_the_next_consolidation() {
    let home = codex_home();
    let mut client = Client::start(home.path());
    let body = format!("CI publishes with {GITHUB_TOKEN}; rotate it monthly.");
    let (is_error, written) = client.call(
        "add_note",
        json!({"title": "CI token rotation", "body": body}),
    );
    assert!(!is_error, "{written}");
    let path = written["path"].as_str().expect("path").to_string();
    assert!(
        path.starts_with("extensions/ad_hoc/notes/") && path.ends_with("-ci-token-rotation.md"),
        "{path}"
    );
    assert_eq!(written["redactions"], 1);
    let text = std::fs::read_to_string(home.path().join("memories").join(&path)).expect("note");
    assert!(!text.contains(GITHUB_TOKEN), "{text}");
    assert!(
        text.contains("CI publishes with [REDACTED_SECRET]; rotate it monthly."),
        "{text}"
    );
    // The note is then visible through the read tools, like any memory file.
    let (_, found) = client.call(
        "search",
        json!({"query": "rotate it monthly", "path": "extensions"}),
    );
    assert_eq!(found["matches"][0]["path"], json!(path));
    let (is_error, message) = client.call("add_note", json!({"title": "", "body": "x"}));
    assert!(is_error);
    assert!(
        message.as_str().expect("text").contains("`title`"),
        "{message}"
    );
    client.finish();
}

#[test]
fn codex_memory_tool_shapes_are_answered() {
    let home = codex_home();
    let root = home.path().join("memories");
    std::fs::write(
        root.join("skills/release/NOTES.md"),
        "alpha first\nmiddle\nneedle later\nMultiAgentV2 alpha needle\n",
    )
    .expect("write");
    let mut client = Client::start(home.path());
    let lines = |page: &Value| -> Vec<(Value, Value)> {
        page["matches"]
            .as_array()
            .expect("matches")
            .iter()
            .map(|m| (m["line"].clone(), m["end_line"].clone()))
            .collect()
    };
    // Codex's search: `queries` with a tagged `match_mode`, `normalized`.
    let (is_error, window) = client.call(
        "search",
        json!({"queries": ["alpha", "needle"], "path": "skills/release/NOTES.md",
               "match_mode": {"type": "all_within_lines", "line_count": 3}}),
    );
    assert!(!is_error, "{window}");
    assert_eq!(
        lines(&window),
        vec![(json!(1), json!(3)), (json!(4), Value::Null)]
    );
    let (_, same_line) = client.call(
        "search",
        json!({"queries": ["alpha", "needle"], "path": "skills",
               "match_mode": {"type": "all_on_same_line"}}),
    );
    assert_eq!(lines(&same_line), vec![(json!(4), Value::Null)]);
    let (_, named) = client.call(
        "search",
        json!({"queries": ["alpha", "needle"], "path": "skills", "match_mode": "all_on_same_line"}),
    );
    assert_eq!(named, same_line);
    let (_, normalized) = client.call(
        "search",
        json!({"queries": ["multi agent v2"], "normalized": true, "case_sensitive": false}),
    );
    assert_eq!(
        normalized["matches"][0]["path"],
        json!("skills/release/NOTES.md")
    );
    let (is_error, message) = client.call(
        "search",
        json!({"queries": ["alpha"], "match_mode": {"type": "all_within_lines", "line_count": 0}}),
    );
    assert!(is_error, "{message}");

    // Codex's note tool: the caller names the file; notes are append-only.
    let filename = "2026-05-21T09-30-05-deploy-days.md";
    let (is_error, written) = client.call(
        "add_ad_hoc_note",
        json!({"filename": filename, "note": format!("Deploy on Tuesdays; key {GITHUB_TOKEN}.")}),
    );
    assert!(!is_error, "{written}");
    assert_eq!(
        written["path"],
        json!(format!("extensions/ad_hoc/notes/{filename}"))
    );
    assert_eq!(written["redactions"], 1);
    let note =
        std::fs::read_to_string(root.join("extensions/ad_hoc/notes").join(filename)).expect("note");
    assert_eq!(note, "Deploy on Tuesdays; key [REDACTED_SECRET].\n");
    let (is_error, message) = client.call(
        "add_ad_hoc_note",
        json!({"filename": filename, "note": "again"}),
    );
    assert!(is_error);
    assert!(
        message.as_str().expect("text").contains("already exists"),
        "{message}"
    );
    let (is_error, message) = client.call(
        "add_ad_hoc_note",
        json!({"filename": "../../escape.md", "note": "x"}),
    );
    assert!(is_error);
    assert!(
        message.as_str().expect("text").contains("`filename`"),
        "{message}"
    );
    assert!(!home.path().join("escape.md").exists());
    client.finish();
}

#[test]
fn malformed_arguments_are_tool_errors_not_a_crash() {
    let home = codex_home();
    let mut client = Client::start(home.path());
    let (is_error, message) = client.call("read", json!({"file": "MEMORY.md"}));
    assert!(is_error, "{message}");
    let (is_error, _) = client.call("search", json!({"query": "uv", "match_mode": "some"}));
    assert!(is_error);
    let pong = client.request("ping", json!({}));
    assert_eq!(pong["result"], json!({}));
    client.finish();
}

#[test]
fn the_codex_home_comes_from_codex_home_in_the_environment() {
    let home = codex_home();
    let mut client = Client::start_with(|command| {
        command.arg("mcp").env("CODEX_HOME", home.path());
    });
    let (is_error, page) = client.call("read", json!({"path": "memory_summary.md"}));
    assert!(!is_error, "{page}");
    assert_eq!(page["lines"], json!(["v1", "Python projects use uv."]));
    client.finish();
}

#[test]
fn a_home_without_a_memory_folder_says_so_instead_of_failing() {
    let home = tempfile::tempdir().unwrap();
    let mut client = Client::start(home.path());
    let (is_error, message) = client.call("list", json!({}));
    assert!(is_error);
    assert!(
        message.as_str().unwrap().contains("does not exist yet"),
        "{message}"
    );
    client.finish();
}

#[test]
fn a_note_added_over_mcp_is_picked_up_by_the_next_consolidation() {
    let home = codex_home();
    let consolidate = || {
        binary()
            .args([
                "consolidate",
                "--consolidator",
                "offline",
                "--force",
                "--json",
                "--codex-home",
            ])
            .arg(home.path())
            .env_remove("CODEX_HOME")
            .env_remove("CODEX_MEMORIES_SQLITE_HOME")
            .output()
            .expect("run consolidate")
    };
    // A first consolidation sets the baseline the note will be a change against.
    let first = consolidate();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    let mut client = Client::start(home.path());
    let (is_error, written) = client.call(
        "add_note",
        json!({"title": "Deploy days", "body": "Deploys happen on Tuesdays only."}),
    );
    assert!(!is_error, "{written}");
    client.finish();

    let second = consolidate();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let report: Value = serde_json::from_slice(&second.stdout).expect("json report");
    assert_eq!(report["outcome"]["outcome"], "consolidated", "{report}");
    let memory =
        std::fs::read_to_string(home.path().join("memories/MEMORY.md")).expect("MEMORY.md");
    assert!(
        memory.contains("Deploys happen on Tuesdays only."),
        "{memory}"
    );
}

const LEDGER: &str = "github.com/acme/ledger";
const BILLING: &str = "github.com/acme/billing";

/// A Codex home whose memory folder has global memory and two projects' (ledger, billing) with
/// conflicting test commands, and a checkout of ledger (its origin in another URL form).
fn scoped_home() -> (tempfile::TempDir, std::path::PathBuf) {
    let home = tempfile::tempdir().expect("tempdir");
    let root = home.path().join("memories");
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "memory_summary.md",
        "v1\nThe user wants short commit messages.\n",
    );
    write(
        "MEMORY.md",
        "# Memory\n\n### Commits\n\nThe user wants tests run before every commit.\n",
    );
    for (key, command) in [(LEDGER, "just test"), (BILLING, "make check")] {
        let folder = format!("projects/{}", project_slug(key));
        write(
            &format!("{folder}/MEMORY.md"),
            &format!(
                "# {key}\n\n### Running the test suite\n\nTests run with `{command}`; never \
                 call the test tools directly.\n"
            ),
        );
        write(
            &format!("{folder}/summary.md"),
            &format!("# {key}\n\nRun the tests with `{command}`.\n"),
        );
    }
    let checkout = home.path().join("work/ledger");
    std::fs::create_dir_all(checkout.join(".git")).expect("mkdir");
    std::fs::write(checkout.join(".git/HEAD"), "ref: refs/heads/main\n").expect("write");
    std::fs::write(
        checkout.join(".git/config"),
        "[remote \"origin\"]\n\turl = git@github.com:acme/ledger.git\n",
    )
    .expect("write");
    std::fs::create_dir_all(checkout.join("src")).expect("mkdir");
    (home, checkout.join("src"))
}

#[test]
fn ranked_search_gives_the_projects_entries_as_the_cli_does_and_never_another_projects() {
    let (home, cwd) = scoped_home();
    let cwd_text = cwd.display().to_string();
    let mut client = Client::start(home.path());
    let (is_error, report) = client.call(
        "search",
        json!({"query": "how do I run the tests", "cwd": cwd_text}),
    );
    assert!(!is_error, "{report}");
    let projects: Vec<&str> = report["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|hit| hit["project"].as_str().expect("project"))
        .collect();
    assert_eq!(report["hits"][0]["project"], LEDGER, "{report}");
    assert_eq!(
        report["hits"][0]["path"],
        format!("projects/{}/MEMORY.md", project_slug(LEDGER))
    );
    assert!(!projects.contains(&BILLING), "{projects:?}");
    let cli = run_json(
        home.path(),
        &[
            "search",
            "how do I run the tests",
            "--cwd",
            &cwd_text,
            "--json",
        ],
    );
    assert_eq!(report, cli);

    let (_, everywhere) = client.call("search", json!({"query": "make check", "all": true}));
    assert_eq!(everywhere["hits"][0]["project"], BILLING, "{everywhere}");
    let (_, by_key) = client.call(
        "search",
        json!({"query": "make check", "project": LEDGER, "max_results": 3}),
    );
    assert!(
        by_key["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .all(|hit| hit["project"] != BILLING),
        "{by_key}"
    );
    let (is_error, message) = client.call(
        "search",
        json!({"query": "tests", "cwd": "relative/folder"}),
    );
    assert!(is_error);
    assert!(
        message.as_str().expect("text").contains("absolute"),
        "{message}"
    );
    client.finish();
}

#[test]
fn context_gives_what_prompt_cwd_prints_and_never_another_projects_memory() {
    let (home, cwd) = scoped_home();
    let cwd_text = cwd.display().to_string();
    let mut client = Client::start(home.path());
    let (is_error, context) = client.call(
        "context",
        json!({"cwd": cwd_text, "query": "run the tests before I commit"}),
    );
    assert!(!is_error, "{context}");
    let instructions = context["instructions"].as_str().expect("instructions");
    assert!(
        instructions.contains("short commit messages"),
        "{instructions}"
    );
    assert!(instructions.contains("just test"), "{instructions}");
    assert!(!instructions.contains("make check"), "{instructions}");
    assert_eq!(context["project"], LEDGER);
    assert_eq!(context["project_summary"], true);
    assert!(
        context["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|entry| entry["project"] != BILLING),
        "{context}"
    );
    let cli = run_json(
        home.path(),
        &[
            "prompt",
            "--cwd",
            &cwd_text,
            "--query",
            "run the tests before I commit",
            "--json",
        ],
    );
    assert_eq!(context, cli);

    let (_, small) = client.call(
        "context",
        json!({"cwd": cwd_text, "query": "tests", "budget": 20}),
    );
    assert_eq!(small["budget_tokens"], 20);
    let (is_error, message) = client.call("context", json!({"query": "tests"}));
    assert!(is_error, "{message}");
    let (is_error, message) = client.call("context", json!({"cwd": "src"}));
    assert!(is_error);
    assert!(
        message.as_str().expect("text").contains("absolute"),
        "{message}"
    );
    client.finish();
}
