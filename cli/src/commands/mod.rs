//! The subcommands, one module each, and the dispatch from parsed arguments to them.

mod cite;
mod clear;
mod consolidate;
mod demo;
mod enable;
mod extract;
mod folder_guard;
mod forget;
mod home;
mod index;
mod inspect;
mod install;
mod interrupt;
mod json_output;
mod logs;
mod mcp;
mod pipeline;
mod printable;
mod prompt;
mod redact;
mod report_text;
mod run;
mod search;
mod show;
mod status;
mod threads;

use std::process::ExitCode;

use clap::Subcommand;

pub use home::HomeArgs;

/// Every `codex-memories` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record usage of the memories a saved answer cites, and print it without the citation block.
    ///
    /// Read a saved answer, parse its <oai-mem-citation> blocks (<citation_entries> lines
    /// `path:start-end|note=[...]`, <rollout_ids> or legacy <thread_ids>), record one use of each
    /// cited thread's memory, and print the answer without the blocks. Malformed lines are skipped
    /// with a warning.
    Cite(cite::CiteArgs),
    /// Delete every stored memory and the memory folder's contents (asks first; --yes to skip).
    ///
    /// Delete every stored memory and extraction job (per-thread memory modes are kept) and
    /// everything inside the memory folder, .git included; the folder itself is kept. Asks for
    /// confirmation on a terminal; without one, --yes is required (exit 2 otherwise). A memory
    /// folder that is a symbolic link is refused.
    Clear(clear::ClearArgs),
    /// Phase 2 only: consolidate the retained memories into the memory folder.
    Consolidate(consolidate::ConsolidateArgs),
    /// The whole pipeline, offline, on built-in example sessions in a temporary home.
    Demo(demo::DemoArgs),
    /// Let a forgotten (disabled) thread be extracted again.
    Enable(enable::EnableArgs),
    /// Phase 1 only: extract one raw memory per finished session (indexes first).
    ///
    /// Phase 1 only: index, then claim finished sessions and extract one raw memory each within
    /// the run budget. A session in which the user only greeted or thanked is no output, without
    /// a model call. Every answer passes a quality gate (a `scope:` and an `outcome:` line, real
    /// words, no bracket soup); one that fails is a failure ("the answer failed the quality
    /// check: …"), retried later and never stored, and one that says there is nothing worth
    /// remembering is no output. Ctrl-C (or SIGTERM) stops the model requests in flight and
    /// gives the unfinished sessions back before exiting (exit 130, or 143 for SIGTERM), so the
    /// next run extracts them at once; a second Ctrl-C quits immediately.
    Extract(extract::ExtractArgs),
    /// Remove one thread from memory (its memory, summary, raw block and git history) and disable it.
    ///
    /// Remove one thread from memory. Its memory mode becomes `disabled` (undo with `codex-memories
    /// enable`), its stored memory and extraction job are deleted, its rollout summary file and its
    /// block in raw_memories.md are removed, and a consolidation runs at once (ignoring the
    /// cooldown) so MEMORY.md drops what only it supported and memories/.git is replaced by a fresh
    /// baseline holding no object with its text. With --no-consolidate only the inputs are removed:
    /// MEMORY.md and memories/.git keep its text until the next consolidation. The session's
    /// rollout file is left alone.
    Forget(forget::ForgetArgs),
    /// Bring the thread index up to date with the session files of Codex, Claude Code and Gemini CLI.
    Index(index::IndexArgs),
    /// Read session files (any agent's) and report their agent, thread id, format, item counts and bad lines.
    Inspect(inspect::InspectArgs),
    /// Plug the memory into an agent: register our MCP server and keep the summary in its
    /// instructions.
    ///
    /// Plug the memory into an agent: registers our MCP server in its config — codex:
    /// [mcp_servers.codex-memories] in $CODEX_HOME/config.toml; claude: user-scope mcpServers in
    /// ~/.claude.json; gemini: mcpServers in ~/.gemini/settings.json — with format-preserving
    /// edits (comments, key order and indentation kept), and keeps the memory summary in a managed
    /// block between markers in its global instructions ($CODEX_HOME/AGENTS.md,
    /// ~/.claude/CLAUDE.md, ~/.gemini/GEMINI.md), refreshed after every consolidation; your own
    /// text outside the markers is never changed. Shows the edits as a diff first; --yes applies, a terminal is
    /// asked, otherwise nothing is written. Each file's earlier content is kept beside it as
    /// <file>.codex-memories-backup. Undo with `codex-memories uninstall`.
    Install(install::InstallArgs),
    /// Print (and with --follow, tail) the logs every codex-memories command records.
    Logs(logs::LogsArgs),
    /// Serve the memory folder to MCP clients over stdio (tools: list, read, search, add_note).
    Mcp(mcp::McpArgs),
    /// Print the developer instructions (memory summary within a token budget) for a new session.
    ///
    /// Print the developer instructions a host gives a new session: when and how to consult the
    /// memory folder and how to cite it, with memory_summary.md cut to --budget tokens between
    /// <memory_summary> markers and labelled as data, not instructions. Markers inside the
    /// summary (<memory_summary>, Codex's MEMORY_SUMMARY BEGINS/ENDS lines, transcript markers,
    /// citation tags) are stripped so no text in it can close the block early. Prints nothing
    /// (exit 0, reason on stderr) when the summary is missing or blank or use_memories = false.
    Prompt(prompt::PromptArgs),
    /// Replace secrets in a file or standard input by [REDACTED_SECRET] and print the result.
    Redact(redact::RedactArgs),
    /// The whole pipeline: index → prune → extract → consolidate, under one budget.
    ///
    /// The whole pipeline under one budget: index the sessions, prune stale memories, extract
    /// (phase 1), consolidate (phase 2). When extraction uses up the budget (--max-requests,
    /// --max-input-tokens or the config), consolidation is skipped and the report says so (exit
    /// 0); the next run consolidates. Ctrl-C (or SIGTERM) stops the model requests in flight and
    /// gives every unfinished session (and a consolidation in progress) back before exiting
    /// (exit 130, or 143 for SIGTERM), so the next run takes them up at once; a second Ctrl-C
    /// quits immediately.
    Run(run::RunArgs),
    /// Search the memories: ranked by relevance, or exact substrings with --exact.
    ///
    /// Search the memory folder's entries — each `### …` entry of MEMORY.md and of each
    /// project's projects/<slug>/MEMORY.md, each raw memory, rollout summary, note and skill —
    /// ranked by relevance (BM25 with word stemming, so "testing" finds "tests"). By default it
    /// searches what a session in the current directory sees: global memories and this
    /// project's; --cwd DIR for another folder, --project KEY for a project by name, --all for
    /// every project. The index lives in the memories database and is brought in step with the
    /// folder before each search. --exact prints every line holding QUERY instead, in file order.
    Search(search::SearchArgs),
    /// Show everything stored about one thread: index row, memory mode, memory, extraction job.
    ///
    /// Show everything stored about one thread: its index row, its effective memory mode, its
    /// memory (raw memory, rollout summary, slug, usage, whether consolidated) and its extraction
    /// job (status, retries left, retry time, last error). Says `not indexed` or `no memory yet`
    /// when so; exits 1 when nothing at all is stored about the id.
    Show(show::ShowArgs),
    /// Where the pipeline stands, and in plain words why a run does nothing when it does nothing.
    ///
    /// Where the pipeline stands: indexed sessions, extraction jobs by state with the latest
    /// errors, sessions waiting (too fresh, with the time the next becomes eligible, or too old),
    /// the consolidation job (cooldown end, backoff, last error), the memory folder's git baseline
    /// and uncommitted edits, and in plain words why a run does nothing when it does nothing. Reads
    /// only.
    Status(status::StatusArgs),
    /// List indexed threads, most recently updated first.
    Threads(threads::ThreadsArgs),
    /// Take the memory out of an agent: undo everything `install` changed in its files.
    ///
    /// Take the memory out of an agent: removes our MCP server entry and the summary block. A
    /// file nobody edited since install comes back byte for byte; a file install created is
    /// deleted; edits you made since are kept. Shows the edits first; --yes applies.
    Uninstall(install::UninstallArgs),
}

impl Command {
    /// The subcommand's name, for the log row each run starts with.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Cite(_) => "cite",
            Command::Clear(_) => "clear",
            Command::Consolidate(_) => "consolidate",
            Command::Enable(_) => "enable",
            Command::Forget(_) => "forget",
            Command::Prompt(_) => "prompt",
            Command::Search(_) => "search",
            Command::Show(_) => "show",
            Command::Status(_) => "status",
            Command::Demo(_) => "demo",
            Command::Extract(_) => "extract",
            Command::Run(_) => "run",
            Command::Index(_) => "index",
            Command::Inspect(_) => "inspect",
            Command::Install(_) => "install",
            Command::Uninstall(_) => "uninstall",
            Command::Logs(_) => "logs",
            Command::Mcp(_) => "mcp",
            Command::Redact(_) => "redact",
            Command::Threads(_) => "threads",
        }
    }
}

/// Runs one subcommand and returns the process exit code.
pub async fn run(command: Command, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    match command {
        Command::Cite(args) => cite::run(args, home).await,
        Command::Clear(args) => clear::run(args, home).await,
        Command::Consolidate(args) => consolidate::run(args, home).await,
        Command::Enable(args) => enable::run(args, home).await,
        Command::Forget(args) => forget::run(args, home).await,
        Command::Prompt(args) => prompt::run(args, home).await,
        Command::Search(args) => search::run(args, home).await,
        Command::Show(args) => show::run(args, home).await,
        Command::Status(args) => status::run(args, home).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Extract(args) => extract::run(args, home).await,
        Command::Run(args) => run::run(args, home).await,
        Command::Index(args) => index::run(args, home).await,
        Command::Inspect(args) => inspect::run(args),
        Command::Install(args) => install::run_install(args, home).await,
        Command::Uninstall(args) => install::run_uninstall(args, home).await,
        Command::Logs(args) => logs::run(args, home).await,
        Command::Mcp(args) => mcp::run(args, home).await,
        Command::Redact(args) => redact::run(args),
        Command::Threads(args) => threads::run(args, home).await,
    }
}
