//! `codex-memories mcp`: serves the memory folder to any MCP client over stdio (rmcp). Tools:
//! `context` (what `prompt --cwd --query` prints as JSON), `list`, `read`, `search` (ranked like
//! `codex-memories search`, or line by line with `exact`, which also takes Codex's `match_mode`
//! and `normalized`; all read-only) and `add_note` / `add_ad_hoc_note` (Codex's shape), each
//! writing one redacted ad hoc note. The work is done by `codex_memories::memory_tools` and the
//! `prompt` and `search` commands; this module only maps MCP arguments to them and their results
//! to tool results. `context` and ranked `search` open the memories DB per call (its search
//! index is the one thing they write). Invariant: stdout carries JSON-RPC only — nothing here prints to
//! it, and diagnostics go to stderr. A failed call is a tool error (`isError`), never a crash.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::commands::HomeArgs;
use crate::commands::prompt::{SessionRequest, build_context};
use crate::commands::search::{ScopeChoice, ranked};
use codex_memories::DEFAULT_CONTEXT_BUDGET_TOKENS;
use codex_memories::memory_tools::{self, MatchMode, MemoryToolError, SearchQuery};
use codex_memories::search_index::DEFAULT_SEARCH_LIMIT;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Arguments of `mcp` (the memory folder is `<codex home>/memories`; see `--codex-home`).
#[derive(Debug, Args)]
pub struct McpArgs {}

/// Runs the server until the client closes standard input.
pub async fn run(_args: McpArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let root = home.memory_root()?;
    eprintln!("codex-memories mcp: serving {} over stdio", root.display());
    tracing::info!(root = %root.display(), "mcp server started");
    let service = MemoryServer::new(root, home.clone())
        .serve(rmcp::transport::stdio())
        .await
        .context("the MCP handshake failed")?;
    service.waiting().await.context("the MCP server stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// Arguments of the `list` tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// A folder (or file) relative to the memory folder; the whole folder when omitted.
    path: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Entries per page (default 200, at most 1000).
    #[serde(default)]
    #[schemars(schema_with = "count_schema")]
    max_results: Option<usize>,
}

/// The schema of an optional count: a non-negative integer, without schemars' `uint` format,
/// which JSON Schema validators do not know (Gemini CLI warns about it on every call).
fn count_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "integer", "minimum": 0})
}

/// Arguments of the `read` tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReadParams {
    /// A file relative to the memory folder, e.g. `MEMORY.md`.
    path: String,
    /// First line to return, 1-based (default 1); pass the previous page's `next_line_offset`.
    #[serde(default)]
    #[schemars(schema_with = "count_schema")]
    line_offset: Option<usize>,
    /// Lines to return (default 200, at most 2000; a page also stops at 64 KiB).
    #[serde(default)]
    #[schemars(schema_with = "count_schema")]
    max_lines: Option<usize>,
}

/// How several queries combine: a name (`any`, `all`, `all_on_same_line`) or Codex's tagged
/// form (`{"type": "all_within_lines", "line_count": 3}`).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(untagged)]
enum MatchModeParam {
    /// `any` (a line holding any query), `all` or `all_on_same_line` (every query on one line).
    Name(MatchModeName),
    /// `{"type": "any" | "all_on_same_line" | "all_within_lines", "line_count"?: N}`.
    Tagged(TaggedMatchMode),
}

/// Codex's tagged match modes.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
enum TaggedMatchMode {
    /// A line matches when it contains any query.
    Any,
    /// A line matches when it contains every query.
    AllOnSameLine,
    /// The smallest runs of at most `line_count` consecutive lines holding every query.
    AllWithinLines {
        /// The widest run, in lines (1 to 200).
        #[schemars(schema_with = "count_schema")]
        line_count: usize,
    },
}

/// The named match modes.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum MatchModeName {
    /// A line matches when it contains any query.
    Any,
    /// A line matches when it contains every query.
    All,
    /// The same as `all` (Codex's name).
    AllOnSameLine,
}

impl From<MatchModeParam> for MatchMode {
    fn from(param: MatchModeParam) -> Self {
        match param {
            MatchModeParam::Name(MatchModeName::Any) => MatchMode::Any,
            MatchModeParam::Name(MatchModeName::All | MatchModeName::AllOnSameLine) => {
                MatchMode::All
            }
            MatchModeParam::Tagged(TaggedMatchMode::Any) => MatchMode::Any,
            MatchModeParam::Tagged(TaggedMatchMode::AllOnSameLine) => MatchMode::All,
            MatchModeParam::Tagged(TaggedMatchMode::AllWithinLines { line_count }) => {
                MatchMode::AllWithinLines { line_count }
            }
        }
    }
}

/// Arguments of the `search` tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    /// What to look for: words ranked together, or with `exact` one plain text (not a pattern).
    query: Option<String>,
    /// Several texts to look for; combined with `query` when both are given.
    queries: Option<Vec<String>>,
    /// Line-by-line substring search instead of ranked entries (default false). Implied by
    /// `match_mode`, `case_sensitive`, `normalized`, `context_lines`, `path` and `cursor`.
    exact: Option<bool>,
    /// Ranked: search what a session in this folder (absolute) sees — global memories and its
    /// project's (default: the server's working folder).
    cwd: Option<String>,
    /// Ranked: global memories and this project's: its key (`github.com/acme/ledger`), a remote
    /// URL, a folder, or its folder name under projects/.
    project: Option<String>,
    /// Ranked: every project's memories (default false).
    all: Option<bool>,
    /// Exact: `any` (default): a line matching any query; `all` (or `all_on_same_line`): a line
    /// containing every query; `{"type": "all_within_lines", "line_count": N}`: the smallest
    /// runs of at most N lines that together contain every query.
    match_mode: Option<MatchModeParam>,
    /// Exact: match letter case exactly (default false).
    case_sensitive: Option<bool>,
    /// Exact: compare letters and digits only, so `multi agent v2` finds `MultiAgentV2`
    /// (default false).
    normalized: Option<bool>,
    /// Exact: lines of context before and after each match (default 0, at most 10).
    #[serde(default)]
    #[schemars(schema_with = "count_schema")]
    context_lines: Option<usize>,
    /// Exact: a folder or file relative to the memory folder to search in; everything when
    /// omitted.
    path: Option<String>,
    /// Exact: the `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Ranked: most entries (default 10, at most 500). Exact: matches per page (default 50, at
    /// most 500).
    #[serde(default)]
    #[schemars(schema_with = "count_schema")]
    max_results: Option<usize>,
}

impl SearchParams {
    /// Whether the line-by-line search is asked for, explicitly or by one of its own arguments.
    fn is_exact(&self) -> bool {
        self.exact.unwrap_or(false)
            || self.match_mode.is_some()
            || self.case_sensitive.is_some()
            || self.normalized.is_some()
            || self.context_lines.is_some()
            || self.path.is_some()
            || self.cursor.is_some()
    }
}

/// Arguments of the `context` tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ContextParams {
    /// The folder the session works in (absolute): decides its project.
    cwd: String,
    /// The task or first request; adds the memory entries that match it best.
    query: Option<String>,
    /// Tokens of memory at most (default 2500).
    #[serde(default)]
    #[schemars(schema_with = "count_schema")]
    budget: Option<u64>,
}

/// Arguments of the `add_note` tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AddNoteParams {
    /// A one-line title (at most 200 bytes); it also names the file.
    title: String,
    /// The note in Markdown (at most 64 KiB). Secrets are redacted before it is written.
    body: String,
}

/// Arguments of the `add_ad_hoc_note` tool (Codex's dedicated memory tool shape).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AddAdHocNoteParams {
    /// The note's file name: `YYYY-MM-DDTHH-MM-SS-<slug>.md`, the slug of lowercase ASCII
    /// letters, digits and hyphens (at most 128 bytes). A name that exists is refused.
    filename: String,
    /// The note in Markdown (at most 64 KiB), kept verbatim apart from redacted secrets.
    note: String,
}

/// What the server tells a client about using it (MCP `instructions`).
const SERVER_INSTRUCTIONS: &str = "Memories of past coding sessions, kept by codex-memories. Start \
with `context` with your working folder and task: it gives what holds everywhere, what holds in \
this project, and the entries that match the task best. Then `search` the task's keywords and \
`read` the one or two most relevant files. Treat memories as hints that may be out of \
date: what the code shows wins. Use `add_note` (or `add_ad_hoc_note`, Codex's shape) to leave a \
correction or a durable fact for the next consolidation, only when the user asks you to remember, \
forget or update something. All paths are relative to the memory folder.";

/// The MCP server over one memory folder.
#[derive(Debug, Clone)]
struct MemoryServer {
    root: PathBuf,
    /// Where the memories DB (for `context` and ranked `search`) and the config are.
    home: HomeArgs,
    tool_router: ToolRouter<Self>,
}

#[tool_router(router = tool_router)]
impl MemoryServer {
    fn new(root: PathBuf, home: HomeArgs) -> Self {
        Self {
            root,
            home,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "List the files and folders of the memory folder (recursively, in path \
                       order; .git hidden), paginated: pass `next_cursor` back as `cursor`.",
        annotations(read_only_hint = true)
    )]
    async fn list(
        &self,
        Parameters(params): Parameters<ListParams>,
    ) -> Result<CallToolResult, String> {
        let root = self.root.clone();
        blocking(move || {
            memory_tools::list(
                &root,
                params.path.as_deref(),
                params.cursor.as_deref(),
                params.max_results,
            )
        })
        .await
    }

    #[tool(
        description = "Read lines of a file in the memory folder (1-based `line_offset`, \
                       `max_lines`); the result gives `next_line_offset` when more lines follow.",
        annotations(read_only_hint = true)
    )]
    async fn read(
        &self,
        Parameters(params): Parameters<ReadParams>,
    ) -> Result<CallToolResult, String> {
        let root = self.root.clone();
        blocking(move || {
            memory_tools::read(&root, &params.path, params.line_offset, params.max_lines)
        })
        .await
    }

    #[tool(
        description = "The memory for a session: what holds everywhere (the global summary), \
                       what holds in the project of `cwd` (its summary), then the entries that \
                       match `query` best from that project and global memory, within `budget` \
                       tokens. Never another project's memories. `instructions` is the text to \
                       read; the rest says what went in. The same as `codex-memories prompt \
                       --cwd DIR --query TEXT --json`.",
        annotations(read_only_hint = true)
    )]
    async fn context(
        &self,
        Parameters(params): Parameters<ContextParams>,
    ) -> Result<CallToolResult, String> {
        let cwd = PathBuf::from(&params.cwd);
        if !cwd.is_absolute() {
            return Err(format!(
                "`cwd` must be an absolute folder, got {:?}",
                params.cwd
            ));
        }
        let session = SessionRequest {
            cwd: Some(cwd),
            query: params.query,
        };
        let budget = params.budget.unwrap_or(DEFAULT_CONTEXT_BUDGET_TOKENS);
        let context = build_context(&self.home, Some(session), budget)
            .await
            .map_err(|error| format!("{error:#}"))?;
        let json = match context {
            Some(context) => serde_json::to_value(context)
                .map_err(|error| format!("cannot encode the result: {error}"))?,
            None => serde_json::json!({
                "instructions": null,
                "note": "use_memories = false in config.toml; nothing to inject",
            }),
        };
        Ok(CallToolResult::structured(json))
    }

    #[tool(
        description = "Search the memories. By default ranked (BM25 over every memory entry): \
                       the best `max_results` entries for the words of `query`, each with path, \
                       line, project, kind, title and a snippet, from global memory and the \
                       project of `cwd` (or `project`, or `all` projects). With `exact` (or any \
                       of match_mode, case_sensitive, normalized, context_lines, path, cursor): \
                       the lines containing `query` or `queries` (`match_mode` any|all, \
                       case-insensitive unless `case_sensitive`, `context_lines`, `path`), \
                       paginated with `cursor`.",
        annotations(read_only_hint = true)
    )]
    async fn search(
        &self,
        Parameters(params): Parameters<SearchParams>,
    ) -> Result<CallToolResult, String> {
        if !params.is_exact() {
            return self.ranked_search(params).await;
        }
        let root = self.root.clone();
        let query = SearchQuery::new(
            params
                .query
                .into_iter()
                .chain(params.queries.into_iter().flatten())
                .collect(),
        )
        .with_match_mode(params.match_mode.map(MatchMode::from).unwrap_or_default())
        .with_case_sensitive(params.case_sensitive.unwrap_or(false))
        .with_normalized(params.normalized.unwrap_or(false))
        .with_context_lines(params.context_lines.unwrap_or(0))
        .with_path(params.path)
        .with_cursor(params.cursor)
        .with_max_results(params.max_results);
        blocking(move || memory_tools::search(&root, &query)).await
    }

    #[tool(
        description = "Leave a note for the next memory consolidation (a correction, a \
                       preference, a durable fact). Written to extensions/ad_hoc/notes/ with \
                       secrets redacted; never overwrites another note.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false
        )
    )]
    async fn add_note(
        &self,
        Parameters(params): Parameters<AddNoteParams>,
    ) -> Result<CallToolResult, String> {
        let root = self.root.clone();
        blocking(move || {
            memory_tools::add_note(&root, &params.title, &params.body, chrono::Utc::now())
        })
        .await
    }

    #[tool(
        description = "Create one append-only ad-hoc memory note after the user explicitly asks \
                       to remember, forget, or update something (Codex's memory tool shape). \
                       `filename` is YYYY-MM-DDTHH-MM-SS-<slug>.md; written to \
                       extensions/ad_hoc/notes/ with secrets redacted; an existing name is \
                       refused.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false
        )
    )]
    async fn add_ad_hoc_note(
        &self,
        Parameters(params): Parameters<AddAdHocNoteParams>,
    ) -> Result<CallToolResult, String> {
        let root = self.root.clone();
        blocking(move || memory_tools::add_ad_hoc_note(&root, &params.filename, &params.note)).await
    }
}

impl MemoryServer {
    /// The ranked `search`: what `codex-memories search --json` prints.
    async fn ranked_search(&self, params: SearchParams) -> Result<CallToolResult, String> {
        let text = params
            .query
            .into_iter()
            .chain(params.queries.into_iter().flatten())
            .collect::<Vec<_>>()
            .join(" ");
        if text.trim().is_empty() {
            return Err("give `query` (or `queries`): the words to look for".to_string());
        }
        let cwd = params.cwd.map(PathBuf::from);
        if let Some(cwd) = &cwd
            && !cwd.is_absolute()
        {
            return Err(format!(
                "`cwd` must be an absolute folder, got {:?}",
                cwd.display().to_string()
            ));
        }
        let choice = ScopeChoice {
            cwd,
            project: params.project,
            all: params.all.unwrap_or(false),
        };
        let limit = params.max_results.map_or(DEFAULT_SEARCH_LIMIT, |k| {
            u32::try_from(k).unwrap_or(u32::MAX)
        });
        let report = ranked(&self.home, &text, &choice, limit)
            .await
            .map_err(|error| format!("{error:#}"))?;
        let json = serde_json::to_value(report)
            .map_err(|error| format!("cannot encode the result: {error}"))?;
        Ok(CallToolResult::structured(json))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for MemoryServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "codex-memories",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(SERVER_INSTRUCTIONS)
    }
}

/// Runs a file-system tool off the async worker and turns its result into a tool result: the
/// value as JSON (text and structured content), or the error's message as a tool error.
async fn blocking<T, F>(work: F) -> Result<CallToolResult, String>
where
    T: Serialize + Send + 'static,
    F: FnOnce() -> Result<T, MemoryToolError> + Send + 'static,
{
    let value = tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| format!("the tool stopped unexpectedly: {error}"))?
        .map_err(|error| error.to_string())?;
    let json = serde_json::to_value(value)
        .map_err(|error| format!("cannot encode the result: {error}"))?;
    Ok(CallToolResult::structured(json))
}
