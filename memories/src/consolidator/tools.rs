//! The consolidation agent's file tools — `list_dir`, `read_file` (line ranges), `write_file`,
//! `edit_file` (exact search/replace, found exactly once), `delete_file`, `search` — each confined
//! to the memory root by [`resolve_in_root`]. A refused or failed call returns an error text to
//! the model rather than failing the run; results are capped so one call cannot flood the context.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::confine::{display_relative, resolve_in_root};
use crate::fsutil::write_atomic;
use crate::phase1::cut::truncate_to_char_boundary;
use crate::provider::ToolSpec;

/// Largest tool result returned to the model, in bytes.
pub const MAX_TOOL_RESULT_BYTES: usize = 16 * 1024;
/// Most matches a search returns.
const MAX_SEARCH_MATCHES: usize = 100;
/// Largest file the tools read or search, in bytes.
const MAX_READ_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The tools' specifications, as offered to the model.
pub fn tool_specs() -> Vec<ToolSpec> {
    let spec = |name: &str, description: &str, parameters: Value| ToolSpec {
        name: name.to_string(),
        description: description.to_string(),
        parameters,
    };
    vec![
        spec(
            "list_dir",
            "List a folder of the memory folder (relative path; empty for the root).",
            json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"], "additionalProperties": false}),
        ),
        spec(
            "read_file",
            "Read a file, optionally lines start_line..=end_line (1-based). Lines come numbered.",
            json!({"type": "object", "properties": {"path": {"type": "string"}, "start_line": {"type": ["integer", "null"]}, "end_line": {"type": ["integer", "null"]}}, "required": ["path", "start_line", "end_line"], "additionalProperties": false}),
        ),
        spec(
            "write_file",
            "Create or replace a file with the given content.",
            json!({"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}}, "required": ["path", "content"], "additionalProperties": false}),
        ),
        spec(
            "edit_file",
            "Replace the exact text `search` (which must occur exactly once) with `replace`.",
            json!({"type": "object", "properties": {"path": {"type": "string"}, "search": {"type": "string"}, "replace": {"type": "string"}}, "required": ["path", "search", "replace"], "additionalProperties": false}),
        ),
        spec(
            "delete_file",
            "Delete a file.",
            json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"], "additionalProperties": false}),
        ),
        spec(
            "search",
            "Case-insensitive text search over the files (optionally under a folder); returns path:line: text.",
            json!({"type": "object", "properties": {"query": {"type": "string"}, "path": {"type": ["string", "null"]}}, "required": ["query", "path"], "additionalProperties": false}),
        ),
    ]
}

/// What one tool call did to the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutcome {
    /// The text returned to the model.
    pub output: String,
    /// The file written or deleted, relative to the root.
    pub changed: Option<String>,
}

/// Runs the tool `name` with JSON `arguments` inside `root`. Never panics and never fails the
/// run: problems come back as `error: …` text for the model.
pub fn run_tool(root: &Path, name: &str, arguments: &str) -> ToolOutcome {
    let result = match name {
        "list_dir" => parse(arguments).and_then(|a: PathArg| list_dir(root, &a.path)),
        "read_file" => parse(arguments).and_then(|a: ReadArgs| read_file(root, &a)),
        "write_file" => parse(arguments).and_then(|a: WriteArgs| write_file(root, &a)),
        "edit_file" => parse(arguments).and_then(|a: EditArgs| edit_file(root, &a)),
        "delete_file" => parse(arguments).and_then(|a: PathArg| delete_file(root, &a.path)),
        "search" => parse(arguments).and_then(|a: SearchArgs| search(root, &a)),
        other => Err(format!("unknown tool `{other}`")),
    };
    match result {
        Ok((output, changed)) => ToolOutcome {
            output: cap(output),
            changed,
        },
        Err(error) => ToolOutcome {
            output: format!("error: {error}"),
            changed: None,
        },
    }
}

type ToolResult = Result<(String, Option<String>), String>;

#[derive(Deserialize)]
struct PathArg {
    #[serde(default)]
    path: String,
}

#[derive(Deserialize)]
struct ReadArgs {
    path: String,
    start_line: Option<usize>,
    end_line: Option<usize>,
}

#[derive(Deserialize)]
struct WriteArgs {
    path: String,
    content: String,
}

#[derive(Deserialize)]
struct EditArgs {
    path: String,
    search: String,
    replace: String,
}

#[derive(Deserialize)]
struct SearchArgs {
    query: String,
    path: Option<String>,
}

fn parse<T: for<'de> Deserialize<'de>>(arguments: &str) -> Result<T, String> {
    serde_json::from_str(arguments).map_err(|error| format!("bad arguments: {error}"))
}

fn resolve(root: &Path, path: &str) -> Result<PathBuf, String> {
    resolve_in_root(root, path).map_err(|refused| refused.to_string())
}

fn cap(text: String) -> String {
    if text.len() <= MAX_TOOL_RESULT_BYTES {
        return text;
    }
    format!(
        "{}\n[… output cut at {MAX_TOOL_RESULT_BYTES} bytes; read a narrower range]",
        truncate_to_char_boundary(&text, MAX_TOOL_RESULT_BYTES)
    )
}

fn list_dir(root: &Path, path: &str) -> ToolResult {
    let dir = resolve(root, path)?;
    let mut entries: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|error| format!("cannot list `{path}`: {error}"))?
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name != ".git" && !name.starts_with(".git.")
        })
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => format!("{name}/"),
                Ok(meta) => format!("{name} ({} bytes)", meta.len()),
                Err(_) => name,
            }
        })
        .collect();
    entries.sort();
    if entries.is_empty() {
        return Ok(("(empty)".to_string(), None));
    }
    Ok((entries.join("\n"), None))
}

fn read_text(path: &Path, shown: &str) -> Result<String, String> {
    let meta =
        std::fs::metadata(path).map_err(|error| format!("cannot read `{shown}`: {error}"))?;
    if !meta.is_file() {
        return Err(format!("`{shown}` is not a file"));
    }
    if meta.len() > MAX_READ_FILE_BYTES {
        return Err(format!(
            "`{shown}` is larger than {MAX_READ_FILE_BYTES} bytes"
        ));
    }
    std::fs::read_to_string(path).map_err(|error| format!("cannot read `{shown}`: {error}"))
}

fn read_file(root: &Path, args: &ReadArgs) -> ToolResult {
    let path = resolve(root, &args.path)?;
    let text = read_text(&path, &args.path)?;
    let start = args.start_line.unwrap_or(1).max(1);
    let end = args.end_line.unwrap_or(usize::MAX);
    let numbered: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .filter(|(number, _)| *number >= start && *number <= end)
        .map(|(number, line)| format!("{number}: {line}"))
        .collect();
    if numbered.is_empty() {
        return Ok((
            format!("(`{}` has no lines in that range)", args.path),
            None,
        ));
    }
    Ok((numbered.join("\n"), None))
}

fn write_file(root: &Path, args: &WriteArgs) -> ToolResult {
    let path = resolve(root, &args.path)?;
    if path.is_dir() {
        return Err(format!("`{}` is a folder", args.path));
    }
    write_atomic(&path, args.content.as_bytes())
        .map_err(|error| format!("cannot write `{}`: {error}", args.path))?;
    let shown = display_relative(root, &path);
    Ok((
        format!("wrote {} bytes to {shown}", args.content.len()),
        Some(shown),
    ))
}

fn edit_file(root: &Path, args: &EditArgs) -> ToolResult {
    let path = resolve(root, &args.path)?;
    let text = read_text(&path, &args.path)?;
    if args.search.is_empty() {
        return Err("`search` must not be empty".to_string());
    }
    let count = text.matches(&args.search).count();
    if count != 1 {
        return Err(format!(
            "the search text occurs {count} times in `{}`; it must occur exactly once (add surrounding lines to make it unique)",
            args.path
        ));
    }
    let updated = text.replacen(&args.search, &args.replace, 1);
    write_atomic(&path, updated.as_bytes())
        .map_err(|error| format!("cannot write `{}`: {error}", args.path))?;
    let shown = display_relative(root, &path);
    Ok((format!("edited {shown}"), Some(shown)))
}

fn delete_file(root: &Path, path_text: &str) -> ToolResult {
    let path = resolve(root, path_text)?;
    let meta = std::fs::symlink_metadata(&path)
        .map_err(|error| format!("cannot delete `{path_text}`: {error}"))?;
    if meta.is_dir() {
        return Err(format!("`{path_text}` is a folder; delete the files in it"));
    }
    std::fs::remove_file(&path).map_err(|error| format!("cannot delete `{path_text}`: {error}"))?;
    let shown = display_relative(root, &path);
    Ok((format!("deleted {shown}"), Some(shown)))
}

fn search(root: &Path, args: &SearchArgs) -> ToolResult {
    if args.query.trim().is_empty() {
        return Err("`query` must not be empty".to_string());
    }
    let base = resolve(root, args.path.as_deref().unwrap_or(""))?;
    let needle = args.query.to_lowercase();
    let mut matches = Vec::new();
    let mut stack = vec![base];
    let canonical_root = root.canonicalize().map_err(|error| error.to_string())?;
    while let Some(dir) = stack.pop() {
        if dir.is_file() {
            search_file(&canonical_root, &dir, &needle, &mut matches);
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.file_name()));
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if name == ".git" || name.starts_with(".git.") || kind.is_symlink() {
                continue;
            }
            stack.push(entry.path());
        }
        if matches.len() >= MAX_SEARCH_MATCHES {
            break;
        }
    }
    if matches.is_empty() {
        return Ok((format!("no matches for `{}`", args.query), None));
    }
    matches.truncate(MAX_SEARCH_MATCHES);
    Ok((matches.join("\n"), None))
}

fn search_file(root: &Path, path: &Path, needle: &str, matches: &mut Vec<String>) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.len() > MAX_READ_FILE_BYTES {
        return;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let shown = display_relative(root, path);
    for (index, line) in text.lines().enumerate() {
        if line.to_lowercase().contains(needle) {
            matches.push(format!(
                "{shown}:{}: {}",
                index + 1,
                truncate_to_char_boundary(line, 300)
            ));
            if matches.len() >= MAX_SEARCH_MATCHES {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn write_read_edit_search_and_delete_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let wrote = run_tool(
            root,
            "write_file",
            r##"{"path":"MEMORY.md","content":"# Memory\nuse uv\n"}"##,
        );
        assert_eq!(wrote.changed.as_deref(), Some("MEMORY.md"));
        assert_eq!(
            run_tool(
                root,
                "read_file",
                r#"{"path":"MEMORY.md","start_line":2,"end_line":null}"#
            )
            .output,
            "2: use uv"
        );
        let edited = run_tool(
            root,
            "edit_file",
            r#"{"path":"MEMORY.md","search":"use uv","replace":"use uv, not pip"}"#,
        );
        assert_eq!(edited.output, "edited MEMORY.md");
        assert_eq!(
            run_tool(root, "search", r#"{"query":"NOT PIP","path":null}"#).output,
            "MEMORY.md:2: use uv, not pip"
        );
        assert_eq!(
            run_tool(root, "list_dir", r#"{"path":""}"#).output,
            "MEMORY.md (25 bytes)"
        );
        assert_eq!(
            run_tool(root, "delete_file", r#"{"path":"MEMORY.md"}"#)
                .changed
                .as_deref(),
            Some("MEMORY.md")
        );
    }

    #[test]
    fn an_edit_whose_search_text_is_not_unique_is_refused() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("a.md"), "x\nx\n").unwrap();
        let outcome = run_tool(
            root.path(),
            "edit_file",
            r#"{"path":"a.md","search":"x","replace":"y"}"#,
        );
        assert!(
            outcome.output.contains("occurs 2 times"),
            "{}",
            outcome.output
        );
        assert_eq!(outcome.changed, None);
        let missing = run_tool(
            root.path(),
            "edit_file",
            r#"{"path":"a.md","search":"zzz","replace":"y"}"#,
        );
        assert!(missing.output.contains("occurs 0 times"));
    }

    #[test]
    fn escaping_paths_are_refused_and_nothing_is_written() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(".git")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path(), root.path().join("link")).unwrap();
        let absolute = format!("{}/x.md", outside.path().display());
        for path in [absolute.as_str(), "../x.md", ".git/config", "link/x.md"] {
            let arguments = json!({"path": path, "content": "pwned"}).to_string();
            let outcome = run_tool(root.path(), "write_file", &arguments);
            assert!(
                outcome.output.starts_with("error: path"),
                "{path}: {}",
                outcome.output
            );
            assert_eq!(outcome.changed, None);
        }
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        assert!(!root.path().join(".git/config").exists());
    }

    #[test]
    fn unknown_tools_and_bad_arguments_come_back_as_errors() {
        let root = tempfile::tempdir().unwrap();
        assert!(
            run_tool(root.path(), "rm_rf", "{}")
                .output
                .starts_with("error: unknown tool")
        );
        assert!(
            run_tool(root.path(), "read_file", "not json")
                .output
                .starts_with("error: bad arguments")
        );
    }
}
