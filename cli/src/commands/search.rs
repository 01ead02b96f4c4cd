//! `codex-memories search QUERY`: ranked search of the memory folder's entries (BM25 over the
//! FTS5 index in the memories DB, brought in step with the folder first), limited to what a
//! session in a folder would see (`--cwd`, the default), one project (`--project`) or nothing
//! limited (`--all`); or, with `--exact`, the line-by-line substring search of the MCP `search`
//! tool. Reads the folder only; the index in our own database is the one thing it writes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use codex_memories::memory_tools::{self, SearchQuery};
use codex_memories::search_index::{
    DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, RankedHit, RankedQuery, SearchScope, ranked_search,
};
use codex_memories::{PROJECTS_DIR, ProjectKey, clean_path, folder_scope, normalize_origin};
use serde::Serialize;

use crate::commands::HomeArgs;
use crate::commands::json_output::write_json;
use crate::commands::pipeline::Context;

/// Arguments of `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for, in plain words; several words are ranked together (no quotes needed).
    #[arg(required = true, value_name = "QUERY")]
    pub query: Vec<String>,
    /// Search what a session started in DIR sees: global memories and DIR's project (its git
    /// origin, else its repository's top folder, else DIR) [default: the current directory].
    #[arg(long, value_name = "DIR", conflicts_with_all = ["project", "all"])]
    pub cwd: Option<PathBuf>,
    /// Search global memories and one project's: its key (`github.com/acme/ledger`, a remote
    /// URL, a folder) or its folder name under projects/.
    #[arg(long, value_name = "KEY", conflicts_with = "all")]
    pub project: Option<String>,
    /// Search every project's memories, not only one.
    #[arg(long)]
    pub all: bool,
    /// Most hits to print.
    #[arg(long, value_name = "K", default_value_t = DEFAULT_SEARCH_LIMIT,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_SEARCH_LIMIT)))]
    pub limit: u32,
    /// Exact substring search instead: every line of every file in the memory folder that
    /// contains QUERY (ignoring case), in file order; --cwd, --project and --all do not apply.
    #[arg(long)]
    pub exact: bool,
    /// Print the hits as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The ranked report printed with `--json` (and returned by the MCP `search` tool).
#[derive(Debug, Serialize)]
pub struct RankedReport {
    /// The query, words joined by spaces.
    pub query: String,
    /// What was searched, in words.
    pub scope: String,
    /// The hits, best first.
    pub hits: Vec<RankedHit>,
}

/// Where a ranked search looks, as `--cwd`, `--project` and `--all` (or the MCP `search` tool's
/// `cwd`, `project` and `all`) say it.
#[derive(Debug, Clone, Default)]
pub struct ScopeChoice {
    /// What a session in this folder sees (the current directory when nothing is chosen).
    pub cwd: Option<PathBuf>,
    /// One project's key, remote URL, folder or folder name under `projects/`.
    pub project: Option<String>,
    /// Every project.
    pub all: bool,
}

/// Runs `search`.
pub async fn run(args: SearchArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let text = args.query.join(" ");
    if text.trim().is_empty() {
        anyhow::bail!("the query is empty; give the words to look for");
    }
    if args.exact {
        return exact(&home.memory_root()?, &text, args.limit, args.json);
    }
    let choice = ScopeChoice {
        cwd: args.cwd.clone(),
        project: args.project.clone(),
        all: args.all,
    };
    let report = ranked(home, &text, &choice, args.limit).await?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &report)?;
    } else {
        for (rank, hit) in report.hits.iter().enumerate() {
            writeln!(
                stdout,
                "{}. {}:{}  [{} · {}]",
                rank + 1,
                hit.path,
                hit.line,
                hit.kind.as_str(),
                hit.project
            )?;
            if !hit.title.is_empty() {
                writeln!(stdout, "   {}", hit.title)?;
            }
            writeln!(stdout, "   {}", one_line(&hit.snippet))?;
        }
    }
    if report.hits.is_empty() {
        let wider = if args.all {
            ""
        } else {
            "; --all searches every project"
        };
        eprintln!("no memory matches {text:?} in {}{wider}", report.scope);
    }
    Ok(ExitCode::SUCCESS)
}

/// The best `limit` entries for `text` within the scope `choice` names, the index brought in
/// step with the folder first.
pub async fn ranked(
    home: &HomeArgs,
    text: &str,
    choice: &ScopeChoice,
    limit: u32,
) -> anyhow::Result<RankedReport> {
    let context = Context::open(home).await?;
    let memory_root = context.memory_root.clone();
    let scope = match search_scope(choice, &memory_root) {
        Ok(scope) => scope,
        Err(error) => {
            context.close().await;
            return Err(error);
        }
    };
    let query = RankedQuery::new(text, scope.clone()).with_limit(limit.clamp(1, MAX_SEARCH_LIMIT));
    let hits = ranked_search(&context.store, &memory_root, &query).await;
    context.close().await;
    let hits = hits.with_context(|| format!("cannot search {}", memory_root.display()))?;
    Ok(RankedReport {
        query: text.to_string(),
        scope: scope_name(&scope),
        hits,
    })
}

/// The scope `choice` asks for.
fn search_scope(choice: &ScopeChoice, memory_root: &Path) -> anyhow::Result<SearchScope> {
    if choice.all {
        return Ok(SearchScope::All);
    }
    if let Some(project) = &choice.project {
        return Ok(project_scope(project, memory_root));
    }
    let cwd = match &choice.cwd {
        Some(dir) => std::path::absolute(dir)
            .with_context(|| format!("cannot resolve the folder {}", dir.display()))?,
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    Ok(SearchScope::of_session(&folder_scope(&cwd)))
}

/// `--project`: a folder name under `projects/`, a remote URL, a folder, or a key as it is.
fn project_scope(project: &str, memory_root: &Path) -> SearchScope {
    let project = project.trim();
    if !project.contains('/') && memory_root.join(PROJECTS_DIR).join(project).is_dir() {
        return SearchScope::Project {
            slug: project.to_string(),
        };
    }
    let key = if project.starts_with('/') {
        clean_path(Path::new(project)).display().to_string()
    } else {
        normalize_origin(project).unwrap_or_else(|| project.to_string())
    };
    ProjectKey::parse(&key).map_or(SearchScope::Global, |key| SearchScope::project(&key))
}

/// The scope in words.
fn scope_name(scope: &SearchScope) -> String {
    match scope {
        SearchScope::All => "every project".to_string(),
        SearchScope::Global => "global memories".to_string(),
        SearchScope::Project { slug } => format!("global memories and {PROJECTS_DIR}/{slug}"),
    }
}

/// `text` on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `--exact`: the substring search of the MCP `search` tool, one page of `limit` lines.
fn exact(memory_root: &Path, text: &str, limit: u32, json: bool) -> anyhow::Result<ExitCode> {
    let page = memory_tools::search(
        memory_root,
        &SearchQuery::new(vec![text.to_string()])
            .with_max_results(Some(usize::try_from(limit).unwrap_or(usize::MAX))),
    )
    .with_context(|| format!("cannot search {}", memory_root.display()))?;
    let mut stdout = std::io::stdout().lock();
    if json {
        write_json(&mut stdout, &page)?;
    } else {
        for found in &page.matches {
            writeln!(stdout, "{}:{}: {}", found.path, found.line, found.text)?;
        }
    }
    if page.matches.is_empty() {
        eprintln!("no line of {} contains {text:?}", memory_root.display());
    } else if page.next_cursor.is_some() {
        eprintln!("(more lines match; a larger --limit shows them)");
    }
    Ok(ExitCode::SUCCESS)
}
