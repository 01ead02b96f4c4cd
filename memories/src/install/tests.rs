use super::*;
use pretty_assertions::assert_eq;

fn server() -> McpServerEntry {
    McpServerEntry {
        command: "/opt/bin/codex-memories".to_string(),
        args: vec!["mcp".to_string()],
    }
}

fn homes(dir: &Path) -> AgentHomes {
    AgentHomes {
        codex_home: dir.to_path_buf(),
        claude_home: dir.join(".claude"),
        claude_home_is_default: true,
        gemini_home: dir.join(".gemini"),
    }
}

fn install(dir: &Path, block: &str) -> Vec<AppliedEdit> {
    let plan = plan_install(Agent::Codex, &homes(dir), &server(), block).unwrap();
    apply(&plan).unwrap()
}

fn uninstall(dir: &Path) -> Vec<AppliedEdit> {
    apply(&plan_uninstall(Agent::Codex, &homes(dir)).unwrap()).unwrap()
}

#[test]
fn install_then_uninstall_restores_both_files_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    // No final newline, a comment and CRLF-free odd spacing: the exact bytes must come back.
    let config = "# mine\nmodel   = \"o3\"\n[mcp_servers.docs]\ncommand = \"docs\"";
    let agents = "Always answer in French.";
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    std::fs::write(dir.path().join("AGENTS.md"), agents).unwrap();
    let applied = install(dir.path(), "v1 summary");
    assert_eq!(applied.len(), 2);
    assert!(applied.iter().all(|edit| edit.backup.is_some()));
    let status = install_status(Agent::Codex, &homes(dir.path()));
    assert_eq!(status.mcp_server, Some(server()));
    assert!(status.summary_block);
    uninstall(dir.path());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("config.toml")).unwrap(),
        config
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("AGENTS.md")).unwrap(),
        agents
    );
    assert!(!install_status(Agent::Codex, &homes(dir.path())).installed());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(BACKUP_SUFFIX))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn files_install_created_are_deleted_by_uninstall() {
    let dir = tempfile::tempdir().unwrap();
    install(dir.path(), "summary");
    assert!(dir.path().join("config.toml").exists());
    uninstall(dir.path());
    assert!(!dir.path().join("config.toml").exists());
    assert!(!dir.path().join("AGENTS.md").exists());
}

#[test]
fn edits_the_user_made_after_install_survive_uninstall() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("AGENTS.md"), "mine\n").unwrap();
    install(dir.path(), "summary");
    let path = dir.path().join("AGENTS.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\nadded later\n")).unwrap();
    uninstall(dir.path());
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.starts_with("mine\n") && after.contains("added later"),
        "{after}"
    );
    assert!(!after.contains(BLOCK_BEGIN));
}

#[test]
fn installing_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    install(dir.path(), "summary");
    let plan = plan_install(Agent::Codex, &homes(dir.path()), &server(), "summary").unwrap();
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn refresh_rewrites_only_installed_blocks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("AGENTS.md"), "mine\n").unwrap();
    assert!(
        refresh_blocks(&homes(dir.path()), "new")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("AGENTS.md")).unwrap(),
        "mine\n"
    );
    install(dir.path(), "old summary");
    let changed = refresh_blocks(&homes(dir.path()), "new summary").unwrap();
    assert_eq!(changed, vec![dir.path().join("AGENTS.md")]);
    let text = std::fs::read_to_string(dir.path().join("AGENTS.md")).unwrap();
    assert!(
        text.contains("new summary") && !text.contains("old summary"),
        "{text}"
    );
}

#[test]
fn a_plan_is_not_applied_over_a_file_that_changed_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_install(Agent::Codex, &homes(dir.path()), &server(), "s").unwrap();
    std::fs::write(dir.path().join("config.toml"), "model = \"x\"\n").unwrap();
    let error = apply(&plan).unwrap_err();
    assert!(error.to_string().contains("changed while"), "{error}");
}

#[test]
fn the_plan_shows_a_diff_of_each_file() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_install(Agent::Codex, &homes(dir.path()), &server(), "s").unwrap();
    let diff = plan.edits[0].diff();
    assert!(diff.contains("+[mcp_servers.codex-memories]"), "{diff}");
    assert!(diff.contains("/dev/null"), "{diff}");
}

#[test]
fn claude_and_gemini_get_their_json_entry_and_block_and_lose_them_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let homes = homes(dir.path());
    std::fs::create_dir_all(&homes.claude_home).unwrap();
    std::fs::create_dir_all(&homes.gemini_home).unwrap();
    let claude_json = "{\n  \"numStartups\": 12,\n  \"projects\": {\n    \"/src/x\": {\"mcpServers\": {}}\n  }\n}\n";
    let gemini_settings = "{\n  \"security\": {\n    \"auth\": {\n      \"selectedType\": \"gemini-api-key\"\n    }\n  }\n}";
    let claude_md = "Prefer small diffs.\n";
    std::fs::write(dir.path().join(".claude.json"), claude_json).unwrap();
    std::fs::write(homes.claude_home.join("CLAUDE.md"), claude_md).unwrap();
    std::fs::write(homes.gemini_home.join("settings.json"), gemini_settings).unwrap();
    for agent in [Agent::Claude, Agent::Gemini] {
        apply(&plan_install(agent, &homes, &server(), "v1 facts").unwrap()).unwrap();
        let status = install_status(agent, &homes);
        assert_eq!(status.mcp_server, Some(server()), "{agent:?}");
        assert!(status.summary_block, "{agent:?}");
    }
    let claude: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(".claude.json")).unwrap())
            .unwrap();
    assert_eq!(claude["mcpServers"]["codex-memories"]["type"], "stdio");
    assert_eq!(claude["numStartups"], 12);
    for agent in [Agent::Claude, Agent::Gemini] {
        apply(&plan_uninstall(agent, &homes).unwrap()).unwrap();
        assert!(!install_status(agent, &homes).installed(), "{agent:?}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".claude.json")).unwrap(),
        claude_json
    );
    assert_eq!(
        std::fs::read_to_string(homes.claude_home.join("CLAUDE.md")).unwrap(),
        claude_md
    );
    assert_eq!(
        std::fs::read_to_string(homes.gemini_home.join("settings.json")).unwrap(),
        gemini_settings
    );
    assert!(!homes.gemini_home.join("GEMINI.md").exists());
}

#[test]
fn claude_keeps_its_json_config_inside_a_config_dir_from_the_environment() {
    let homes = AgentHomes {
        claude_home_is_default: false,
        ..homes(Path::new("/h"))
    };
    assert_eq!(
        homes.files(Agent::Claude).config,
        Path::new("/h/.claude/.claude.json")
    );
    let default = homes_default();
    assert_eq!(
        default.files(Agent::Claude).config,
        Path::new("/h/.claude.json")
    );
}

fn homes_default() -> AgentHomes {
    homes(Path::new("/h"))
}

#[test]
fn a_json_config_changed_by_the_agent_since_install_keeps_its_changes() {
    let dir = tempfile::tempdir().unwrap();
    let homes = homes(dir.path());
    let path = dir.path().join(".claude.json");
    std::fs::write(&path, "{\n  \"numStartups\": 1\n}\n").unwrap();
    apply(&plan_install(Agent::Claude, &homes, &server(), "s").unwrap()).unwrap();
    // Claude Code rewrites its file all the time (counters, projects).
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    value["numStartups"] = 2.into();
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    apply(&plan_uninstall(Agent::Claude, &homes).unwrap()).unwrap();
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(after, serde_json::json!({"numStartups": 2}));
}
