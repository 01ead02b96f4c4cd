//! `install codex` / `uninstall codex` over the real binary: the plan is shown and nothing is
//! written without `--yes` (stdin is never a terminal here), the MCP server and the summary block
//! land in the Codex home's files with the user's text kept, the block follows consolidations,
//! and uninstall gives the files back byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod controls_common;

use controls_common::{BIN, binary, example_home, offline_run, run, run_json, run_ok};
use pretty_assertions::assert_eq;

const CONFIG: &str =
    "# my settings\nmodel = \"o3\"  # fast\n\n[mcp_servers.docs]\ncommand = \"docs-server\"\n";
const AGENTS: &str = "Answer in French.\n";

fn read(home: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(home.join(name)).unwrap()
}

#[test]
fn without_yes_install_only_shows_the_plan() {
    let home = example_home();
    std::fs::write(home.path().join("config.toml"), CONFIG).unwrap();
    let stdout = run_ok(home.path(), &["install", "codex"]);
    assert!(stdout.contains("+[mcp_servers.codex-memories]"), "{stdout}");
    assert!(stdout.contains("dry run: nothing written"), "{stdout}");
    assert_eq!(read(home.path(), "config.toml"), CONFIG);
    assert!(!home.path().join("AGENTS.md").exists());
}

#[test]
fn install_registers_the_server_keeps_the_summary_in_agents_md_and_uninstall_restores_the_bytes() {
    let home = example_home();
    std::fs::write(home.path().join("config.toml"), CONFIG).unwrap();
    std::fs::write(home.path().join("AGENTS.md"), AGENTS).unwrap();
    let report = run_json(home.path(), &["install", "codex", "--yes", "--json"]);
    assert_eq!(report["applied"], true);
    let config = read(home.path(), "config.toml");
    assert!(config.starts_with(CONFIG), "{config}");
    let table: toml::Table = config.parse().unwrap();
    let ours = &table["mcp_servers"]["codex-memories"];
    let command = ours["command"].as_str().unwrap();
    assert_eq!(
        std::fs::canonicalize(command).unwrap(),
        std::fs::canonicalize(BIN).unwrap()
    );
    let args: Vec<&str> = ours["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arg| arg.as_str().unwrap())
        .collect();
    assert_eq!(args[..2], ["mcp", "--codex-home"]);
    let agents = read(home.path(), "AGENTS.md");
    assert!(
        agents.starts_with(AGENTS) && agents.contains("No memories yet"),
        "{agents}"
    );

    // A consolidation refreshes the block with the new summary.
    offline_run(home.path());
    let summary = read(home.path(), "memories/memory_summary.md");
    let first_fact = summary.lines().nth(1).unwrap();
    let agents = read(home.path(), "AGENTS.md");
    assert!(
        agents.contains(first_fact),
        "{first_fact:?} not in {agents}"
    );
    assert!(!agents.contains("No memories yet"), "{agents}");

    // Installing again changes nothing; uninstall restores both files exactly.
    assert!(run_ok(home.path(), &["install", "codex", "--yes"]).contains("nothing to change"));
    run_ok(home.path(), &["uninstall", "codex", "--yes"]);
    assert_eq!(read(home.path(), "config.toml"), CONFIG);
    assert_eq!(read(home.path(), "AGENTS.md"), AGENTS);
    let status = run_json(home.path(), &["uninstall", "codex", "--json"]);
    assert_eq!(status["plan"]["edits"].as_array().unwrap().len(), 0);
}

#[test]
fn an_unknown_agent_is_a_usage_error_listing_the_choices() {
    let home = example_home();
    let output = run(home.path(), &["install", "cursor"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("codex"), "{stderr}");
}

#[test]
fn a_config_that_is_not_toml_is_refused_and_left_alone() {
    let home = example_home();
    std::fs::write(home.path().join("config.toml"), "[broken\n").unwrap();
    let output = run(home.path(), &["install", "codex", "--yes"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("config.toml") && stderr.contains("cannot be edited safely"),
        "{stderr}"
    );
    assert_eq!(read(home.path(), "config.toml"), "[broken\n");
}

/// Runs the binary with `$HOME` (and so `~/.claude`, `~/.claude.json`, `~/.gemini`) in `home`.
fn run_in_home(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    binary()
        .args(args)
        .env("HOME", home)
        .env("CODEX_HOME", home.join(".codex"))
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("GEMINI_CLI_HOME")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn claude_and_gemini_are_plugged_in_through_their_json_settings_and_taken_out_exactly() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join(".claude")).unwrap();
    std::fs::create_dir_all(h.join(".gemini")).unwrap();
    let claude_json = "{\n  \"numStartups\": 4,\n  \"mcpServers\": {\n    \"docs\": {\n      \"type\": \"stdio\",\n      \"command\": \"docs\"\n    }\n  }\n}\n";
    let settings = "{\n  \"security\": {\n    \"auth\": {\n      \"selectedType\": \"gemini-api-key\"\n    }\n  }\n}\n";
    std::fs::write(h.join(".claude.json"), claude_json).unwrap();
    std::fs::write(h.join(".gemini/settings.json"), settings).unwrap();
    for agent in ["claude", "gemini"] {
        let output = run_in_home(h, &["install", agent, "--yes"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let claude: serde_json::Value = serde_json::from_str(&read(h, ".claude.json")).unwrap();
    assert_eq!(claude["mcpServers"]["codex-memories"]["args"][0], "mcp");
    assert_eq!(claude["mcpServers"]["docs"]["command"], "docs");
    let gemini: serde_json::Value =
        serde_json::from_str(&read(h, ".gemini/settings.json")).unwrap();
    assert!(gemini["mcpServers"]["codex-memories"]["command"].is_string());
    assert!(read(h, ".claude/CLAUDE.md").contains("codex-memories:begin"));
    assert!(read(h, ".gemini/GEMINI.md").contains("codex-memories:begin"));
    for agent in ["claude", "gemini"] {
        assert!(
            run_in_home(h, &["uninstall", agent, "--yes"])
                .status
                .success()
        );
    }
    assert_eq!(read(h, ".claude.json"), claude_json);
    assert_eq!(read(h, ".gemini/settings.json"), settings);
    assert!(!h.join(".claude/CLAUDE.md").exists());
    assert!(!h.join(".gemini/GEMINI.md").exists());
}

#[test]
fn install_gemini_edits_the_folder_gemini_cli_home_names_the_one_whose_chats_are_read() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let gemini_cli_home = h.join("elsewhere");
    let output = binary()
        .args(["install", "gemini", "--yes"])
        .env("HOME", h)
        .env("CODEX_HOME", h.join(".codex"))
        .env_remove("CLAUDE_CONFIG_DIR")
        .env("GEMINI_CLI_HOME", &gemini_cli_home)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        read(&gemini_cli_home, ".gemini/settings.json").contains("codex-memories"),
        "the MCP server is registered where Gemini CLI reads its settings"
    );
    assert!(
        !h.join(".gemini").exists(),
        "nothing is written to ~/.gemini"
    );
}
