//! The binary under test, started the way every test needs it: with none of the developer's own
//! homes in reach. Each test names its Codex home; Claude Code's and Gemini CLI's folders default
//! to `~/.claude` and `~/.gemini` when those exist, so on a machine with either agent installed a
//! test that names no such folder would index the developer's own transcripts (and its counts
//! would be wrong). Here both default to a folder that does not exist, and the variables that
//! choose our own homes or a model key are removed.
#![allow(dead_code)]

use std::process::Command;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_codex-memories");

/// Where the agent homes point unless a test names them: a path that never exists.
pub const NO_AGENT_HOME: &str = "/nonexistent/codex-memories-tests/agent-home";

/// The binary with an environment that reaches no home the test did not name.
pub fn binary() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_MEMORIES_SQLITE_HOME")
        .env_remove("CODEX_MEMORIES_DIR")
        .env_remove("OPENAI_API_KEY")
        .env("CLAUDE_CONFIG_DIR", NO_AGENT_HOME)
        .env("GEMINI_CLI_HOME", NO_AGENT_HOME);
    command
}
