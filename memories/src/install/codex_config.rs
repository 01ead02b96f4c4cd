//! Our MCP server's entry in Codex's `config.toml` (`[mcp_servers.codex-memories]`), added and
//! removed with `toml_edit` so the user's comments, key order and formatting stay as they were.
//! An inline `mcp_servers = { … }` table gets an inline entry; a file with `\r\n` line endings
//! keeps them. Nothing else in the file is touched.

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use super::{InstallError, MCP_SERVER_NAME, McpServerEntry};

/// The table of MCP servers in Codex's config.
const SERVERS_KEY: &str = "mcp_servers";

fn parse(text: &str, path_hint: &str) -> Result<DocumentMut, InstallError> {
    text.parse::<DocumentMut>()
        .map_err(|error| InstallError::Parse {
            path: path_hint.into(),
            detail: error.to_string(),
        })
}

fn finish(document: &DocumentMut, crlf: bool) -> String {
    let text = document.to_string();
    if crlf {
        text.replace('\n', "\r\n")
    } else {
        text
    }
}

/// `text` with our server registered (an existing entry of ours is replaced).
pub fn upsert_mcp_server(
    text: &str,
    entry: &McpServerEntry,
    path_hint: &str,
) -> Result<String, InstallError> {
    let mut document = parse(text, path_hint)?;
    if !document.contains_key(SERVERS_KEY) {
        let mut servers = Table::new();
        servers.set_implicit(true);
        document.insert(SERVERS_KEY, Item::Table(servers));
    }
    let inline = document[SERVERS_KEY].is_inline_table();
    let Some(servers) = document[SERVERS_KEY].as_table_like_mut() else {
        return Err(InstallError::Parse {
            path: path_hint.into(),
            detail: format!("`{SERVERS_KEY}` is not a table; fix it by hand, then install again"),
        });
    };
    let mut args = Array::new();
    for arg in &entry.args {
        args.push(arg.as_str());
    }
    let mut table = Table::new();
    table.insert("command", toml_edit::value(entry.command.as_str()));
    table.insert("args", toml_edit::value(args));
    if inline {
        let mut inline_table: InlineTable = table.into_inline_table();
        inline_table.fmt();
        servers.insert(
            MCP_SERVER_NAME,
            Item::Value(Value::InlineTable(inline_table)),
        );
    } else {
        servers.insert(MCP_SERVER_NAME, Item::Table(table));
    }
    Ok(finish(&document, text.contains("\r\n")))
}

/// `text` without our server (and without an `mcp_servers` table left empty and implicit by the
/// removal); `None` when our server is not registered.
pub fn remove_mcp_server(text: &str, path_hint: &str) -> Result<Option<String>, InstallError> {
    let mut document = parse(text, path_hint)?;
    let Some(servers) = document
        .get_mut(SERVERS_KEY)
        .and_then(Item::as_table_like_mut)
    else {
        return Ok(None);
    };
    if servers.remove(MCP_SERVER_NAME).is_none() {
        return Ok(None);
    }
    let empty_implicit = document[SERVERS_KEY]
        .as_table()
        .is_some_and(|table| table.is_empty() && table.is_implicit());
    if empty_implicit {
        document.remove(SERVERS_KEY);
    }
    Ok(Some(finish(&document, text.contains("\r\n"))))
}

/// Our registered entry, when there is one (for `status`).
pub fn registered_mcp_server(text: &str) -> Option<McpServerEntry> {
    let document = text.parse::<DocumentMut>().ok()?;
    let entry = document
        .get(SERVERS_KEY)?
        .as_table_like()?
        .get(MCP_SERVER_NAME)?;
    let command = entry.get("command")?.as_str()?.to_string();
    let args = entry
        .get("args")
        .and_then(|args| args.as_array())
        .map(|args| {
            args.iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Some(McpServerEntry { command, args })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn entry() -> McpServerEntry {
        McpServerEntry {
            command: "/usr/local/bin/codex-memories".to_string(),
            args: vec![
                "mcp".to_string(),
                "--codex-home".to_string(),
                "/h/.codex".to_string(),
            ],
        }
    }

    const CONFIGS: &[&str] = &[
        "",
        "model = \"gpt-5\"\n",
        "# top\nmodel = \"o3\" # why\n\n[features]\nmemories = false\n\n[mcp_servers.docs]\ncommand = \"docs\"\n# trailing comment\n",
        "[mcp_servers]\nfoo = { command = \"x\" }\n\n[other]\na = 1\n",
        "mcp_servers = { foo = { command = \"x\" } }\n",
        "a = 1\r\n[b]\r\nc = 2\r\n",
    ];

    #[test]
    fn install_then_uninstall_gives_the_same_bytes_and_keeps_comments() {
        for original in CONFIGS {
            let installed = upsert_mcp_server(original, &entry(), "config.toml").unwrap();
            assert_eq!(
                registered_mcp_server(&installed),
                Some(entry()),
                "{installed}"
            );
            // Every line of the user's survives (an inline server table grows our entry inside).
            for line in original
                .lines()
                .filter(|line| !line.starts_with("mcp_servers = {"))
            {
                assert!(installed.contains(line), "lost {line:?} in {installed}");
            }
            let removed = remove_mcp_server(&installed, "config.toml").unwrap();
            assert_eq!(removed.as_deref(), Some(*original));
        }
    }

    #[test]
    fn installing_twice_keeps_one_entry() {
        let once = upsert_mcp_server("model = \"o3\"\n", &entry(), "c").unwrap();
        let twice = upsert_mcp_server(&once, &entry(), "c").unwrap();
        assert_eq!(once, twice);
    }

    #[test]
    fn a_config_without_our_entry_is_left_alone() {
        assert_eq!(
            remove_mcp_server("[mcp_servers.x]\ncommand = \"y\"\n", "c").unwrap(),
            None
        );
    }

    #[test]
    fn an_invalid_config_is_an_error_naming_the_file() {
        let error = upsert_mcp_server("[broken", &entry(), "/h/config.toml").unwrap_err();
        assert!(error.to_string().contains("/h/config.toml"), "{error}");
    }
}
