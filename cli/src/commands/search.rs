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
use codex_memories::scope::{PROJECTS_DIR, ProjectKey, clean_path, folder_scope, normalize_origin};
use codex_memories::search_index::{
    DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, RankedHit, RankedQuery, SearchScope, ranked_search,
};
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

/// The ranked report printed with `--json`.
#[derive(Debug, Serialize)]
struct RankedReport<'a> {
    query: &'a str,
    /// What was searched, in words.
    scope: &'a str,
    hits: &'a [RankedHit],
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
    let context = Context::open(home).await?;
    let memory_root = context.memory_root.clone();
    let scope = search_scope(&args, &memory_root)?;
    let query = RankedQuery {
        text: text.clone(),
        scope: scope.clone(),
        kinds: None,
        limit: args.limit,
    };
    let hits = ranked_search(&context.store, &memory_root, &query).await;
    context.close().await;
    let hits = hits.with_context(|| format!("cannot search {}", memory_root.display()))?;
    let scope_name = scope_name(&scope);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(
            &mut stdout,
            &RankedReport {
                query: &text,
                scope: &scope_name,
                hits: &hits,
            },
        )?;
    } else {
        for (rank, hit) in hits.iter().enumerate() {
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
    if hits.is_empty() {
        let wider = if scope == SearchScope::All {
            ""
        } else {
            "; --all searches every project"
        };
        eprintln!("no memory matches {text:?} in {scope_name}{wider}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The scope the flags ask for.
fn search_scope(args: &SearchArgs, memory_root: &Path) -> anyhow::Result<SearchScope> {
    if args.all {
        return Ok(SearchScope::All);
    }
    if let Some(project) = &args.project {
        return Ok(project_scope(project, memory_root));
    }
    let cwd = match &args.cwd {
        Some(dir) => std::path::absolute(dir)
            .with_context(|| format!("cannot resolve --cwd {}", dir.display()))?,
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
        &SearchQuery {
            queries: vec![text.to_string()],
            max_results: Some(usize::try_from(limit).unwrap_or(usize::MAX)),
            ..SearchQuery::default()
        },
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
