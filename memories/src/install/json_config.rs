//! Our MCP server's entry in an agent's JSON settings (`mcpServers` in Claude Code's
//! `~/.claude.json` and Gemini CLI's `~/.gemini/settings.json`), edited as text so every byte we
//! do not own stays as it was: key order, indentation, escapes. A small scanner finds the spans of
//! the top-level members and of `mcpServers`' members; our member is inserted after the last one
//! (or into an empty object) with the indentation the file already uses, and removing it undoes
//! exactly that insertion. Every result is checked to parse as JSON before it is returned.

use serde_json::Value;

use super::{InstallError, MCP_SERVER_NAME, McpServerEntry};

/// The member holding the MCP servers.
const SERVERS_KEY: &str = "mcpServers";
/// Indentation used when the file shows none to copy (a new or one-line file).
const DEFAULT_INDENT: &str = "  ";

/// One `"key": value` member of an object, as byte spans of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    /// The decoded key.
    key: String,
    /// Where the key's opening quote is.
    key_start: usize,
    /// Where the value starts.
    value_start: usize,
    /// Just past the value's end.
    value_end: usize,
}

/// An object's braces and members.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Object {
    /// The `{`.
    open: usize,
    /// The `}`.
    close: usize,
    members: Vec<Member>,
}

fn parse_error(path: &str, detail: impl Into<String>) -> InstallError {
    InstallError::Parse {
        path: path.into(),
        detail: detail.into(),
    }
}

/// A forgiving-nothing scanner over JSON text, enough to find member spans.
struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn skip_ws(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", byte as char, self.at))
        }
    }

    /// A string starting at `self.at`; returns its decoded value.
    fn string(&mut self) -> Result<String, String> {
        let start = self.at;
        self.at += 1;
        let bytes = self.text.as_bytes();
        while let Some(&byte) = bytes.get(self.at) {
            match byte {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return serde_json::from_str::<String>(&self.text[start..self.at])
                        .map_err(|error| format!("bad string at byte {start}: {error}"));
                }
                _ => self.at += 1,
            }
        }
        Err(format!("unterminated string at byte {start}"))
    }

    /// Skips one value of any kind; returns its span.
    fn value(&mut self) -> Result<(usize, usize), String> {
        self.skip_ws();
        let start = self.at;
        match self.peek() {
            Some(b'{') => {
                self.object()?;
            }
            Some(b'[') => {
                self.at += 1;
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.at += 1;
                } else {
                    loop {
                        self.value()?;
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.at += 1,
                            Some(b']') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(format!("bad array at byte {start}")),
                        }
                    }
                }
            }
            Some(b'"') => {
                self.string()?;
            }
            Some(_) => {
                let rest = &self.text[self.at..];
                let len = rest
                    .find(|c: char| matches!(c, ',' | '}' | ']') || c.is_whitespace())
                    .unwrap_or(rest.len());
                if len == 0 {
                    return Err(format!("unexpected character at byte {start}"));
                }
                self.at += len;
            }
            None => return Err("the text ended where a value was expected".to_string()),
        }
        Ok((start, self.at))
    }

    /// An object starting at `self.at` (after whitespace).
    fn object(&mut self) -> Result<Object, String> {
        self.skip_ws();
        let open = self.at;
        self.expect(b'{')?;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Object {
                open,
                close: self.at - 1,
                members,
            });
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(format!("expected a key at byte {}", self.at));
            }
            let key_start = self.at;
            let key = self.string()?;
            self.expect(b':')?;
            let (value_start, value_end) = self.value()?;
            members.push(Member {
                key,
                key_start,
                value_start,
                value_end,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Object {
                        open,
                        close: self.at - 1,
                        members,
                    });
                }
                _ => return Err(format!("expected `,` or `}}` at byte {}", self.at)),
            }
        }
    }
}

fn object_at(text: &str, at: usize) -> Result<Object, String> {
    Scanner { text, at }.object()
}

/// The whitespace before `index` on its line.
fn line_indent(text: &str, index: usize) -> &str {
    let line_start = text[..index].rfind('\n').map_or(0, |newline| newline + 1);
    let prefix = &text[line_start..index];
    &prefix[..prefix.len() - prefix.trim_start_matches([' ', '\t']).len()]
}

/// The indentation step the file uses (from its first indented member), or two spaces.
fn indent_step(text: &str, object: &Object) -> String {
    object
        .members
        .first()
        .map(|member| line_indent(text, member.key_start))
        .filter(|indent| !indent.is_empty())
        .map_or_else(|| DEFAULT_INDENT.to_string(), str::to_string)
}

/// Our member's text (`"codex-memories": {…}`) whose inner lines sit at `indent` + `step`; the
/// closing brace at `indent`. Keys in the order people write them: type, command, args.
fn member_text(
    entry: &McpServerEntry,
    with_type: bool,
    indent: &str,
    step: &str,
    newline: &str,
) -> String {
    let json = |text: &str| serde_json::to_string(text).unwrap_or_default();
    let inner = format!("{indent}{step}");
    let mut lines = Vec::new();
    if with_type {
        lines.push(format!("{inner}\"type\": \"stdio\""));
    }
    lines.push(format!("{inner}\"command\": {}", json(&entry.command)));
    let args: Vec<String> = entry
        .args
        .iter()
        .map(|arg| format!("{inner}{step}{}", json(arg)))
        .collect();
    lines.push(if args.is_empty() {
        format!("{inner}\"args\": []")
    } else {
        format!(
            "{inner}\"args\": [{newline}{}{newline}{inner}]",
            args.join(&format!(",{newline}"))
        )
    });
    format!(
        "{}: {{{newline}{}{newline}{indent}}}",
        json(MCP_SERVER_NAME),
        lines.join(&format!(",{newline}"))
    )
}

fn newline_of(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// Inserts `member` (already indented text) as the last member of `object`.
fn insert_member(text: &str, object: &Object, member: &str, indent: &str, newline: &str) -> String {
    match object.members.last() {
        Some(last) => format!(
            "{},{newline}{indent}{member}{}",
            &text[..last.value_end],
            &text[last.value_end..]
        ),
        None => {
            let closing_indent = line_indent(text, object.open);
            format!(
                "{}{{{newline}{indent}{member}{newline}{closing_indent}}}{}",
                &text[..object.open],
                &text[object.close + 1..]
            )
        }
    }
}

/// Removes member `index` of `object`, with the comma that joined it to its neighbours; an object
/// left without members becomes `{}` again.
fn remove_member(text: &str, object: &Object, index: usize) -> String {
    if object.members.len() == 1 {
        return format!("{}{{}}{}", &text[..object.open], &text[object.close + 1..]);
    }
    let member = &object.members[index];
    if index + 1 == object.members.len() {
        let previous = &object.members[index - 1];
        format!(
            "{}{}",
            &text[..previous.value_end],
            &text[member.value_end..]
        )
    } else {
        let next = &object.members[index + 1];
        format!("{}{}", &text[..member.key_start], &text[next.key_start..])
    }
}

fn check_json(text: &str, path: &str) -> Result<(), InstallError> {
    serde_json::from_str::<Value>(text)
        .map(|_| ())
        .map_err(|error| {
            parse_error(
                path,
                format!("the edit would not be valid JSON ({error}); nothing was changed"),
            )
        })
}

/// `text` with our server registered in `mcpServers` (an existing entry of ours replaced).
/// `with_type` adds `"type": "stdio"` (Claude Code's schema). An empty text becomes a new file.
pub fn upsert_mcp_server(
    text: &str,
    entry: &McpServerEntry,
    with_type: bool,
    path: &str,
) -> Result<String, InstallError> {
    let newline = newline_of(text);
    if text.trim().is_empty() {
        let member = member_text(entry, with_type, "    ", DEFAULT_INDENT, newline);
        return Ok(format!(
            "{{{newline}  \"{SERVERS_KEY}\": {{{newline}    {member}{newline}  }}{newline}}}{newline}"
        ));
    }
    let root = object_at(text, 0).map_err(|error| parse_error(path, error))?;
    check_json(text, path)?;
    let step = indent_step(text, &root);
    let edited = match root.members.iter().find(|member| member.key == SERVERS_KEY) {
        Some(servers_member) => {
            let servers = object_at(text, servers_member.value_start).map_err(|_| {
                parse_error(
                    path,
                    format!("`{SERVERS_KEY}` is not an object; fix it by hand, then install again"),
                )
            })?;
            let inner = format!("{}{step}", line_indent(text, servers_member.key_start));
            let member = member_text(entry, with_type, &inner, &step, newline);
            match servers.members.iter().find(|m| m.key == MCP_SERVER_NAME) {
                Some(ours) => {
                    let value = member.split_once(": ").map_or("", |(_, value)| value);
                    format!(
                        "{}{value}{}",
                        &text[..ours.value_start],
                        &text[ours.value_end..]
                    )
                }
                None => insert_member(text, &servers, &member, &inner, newline),
            }
        }
        None => {
            let inner = format!("{step}{step}");
            let ours = member_text(entry, with_type, &inner, &step, newline);
            let servers = format!("\"{SERVERS_KEY}\": {{{newline}{inner}{ours}{newline}{step}}}");
            insert_member(text, &root, &servers, &step, newline)
        }
    };
    check_json(&edited, path)?;
    Ok(edited)
}

/// `text` without our server (and without an `mcpServers` member left empty by the removal);
/// `None` when our server is not registered.
pub fn remove_mcp_server(text: &str, path: &str) -> Result<Option<String>, InstallError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let root = object_at(text, 0).map_err(|error| parse_error(path, error))?;
    let Some(servers_index) = root.members.iter().position(|m| m.key == SERVERS_KEY) else {
        return Ok(None);
    };
    let Ok(servers) = object_at(text, root.members[servers_index].value_start) else {
        return Ok(None);
    };
    let Some(ours) = servers
        .members
        .iter()
        .position(|m| m.key == MCP_SERVER_NAME)
    else {
        return Ok(None);
    };
    let edited = if servers.members.len() == 1 {
        remove_member(text, &root, servers_index)
    } else {
        remove_member(text, &servers, ours)
    };
    check_json(&edited, path)?;
    Ok(Some(edited))
}

/// Our registered entry, when there is one (for `status`).
pub fn registered_mcp_server(text: &str) -> Option<McpServerEntry> {
    let value: Value = serde_json::from_str(text).ok()?;
    let ours = value.get(SERVERS_KEY)?.get(MCP_SERVER_NAME)?;
    Some(McpServerEntry {
        command: ours.get("command")?.as_str()?.to_string(),
        args: ours
            .get("args")
            .and_then(Value::as_array)
            .map(|args| {
                args.iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn entry() -> McpServerEntry {
        McpServerEntry {
            command: "/opt/bin/codex-memories".to_string(),
            args: vec![
                "mcp".to_string(),
                "--codex-home".to_string(),
                "/h/.codex".to_string(),
            ],
        }
    }

    const FILES: &[&str] = &[
        "{}",
        "{}\n",
        "{\n  \"numStartups\": 3,\n  \"theme\": \"dark\"\n}\n",
        "{\n    \"mcpServers\": {\n        \"docs\": {\n            \"command\": \"docs\"\n        }\n    },\n    \"tips\": [1, 2]\n}",
        "{\"mcpServers\":{},\"x\":\"caf\\u00e9 \\\"q\\\"\"}",
        "{\r\n  \"mcpServers\": {\r\n    \"a\": {\"command\": \"a\"}\r\n  }\r\n}\r\n",
        "{\n\t\"security\": {\"auth\": {\"selectedType\": \"gemini-api-key\"}}\n}\n",
    ];

    #[test]
    fn insert_then_remove_gives_back_the_same_bytes() {
        for original in FILES {
            for with_type in [false, true] {
                let installed = upsert_mcp_server(original, &entry(), with_type, "s.json").unwrap();
                assert_eq!(
                    registered_mcp_server(&installed),
                    Some(entry()),
                    "{installed}"
                );
                let mut before: Value = serde_json::from_str(original).unwrap();
                let mut after: Value = serde_json::from_str(&installed).unwrap();
                after[SERVERS_KEY]
                    .as_object_mut()
                    .unwrap()
                    .remove(MCP_SERVER_NAME);
                if after[SERVERS_KEY].as_object().unwrap().is_empty()
                    && before.get(SERVERS_KEY).is_none()
                {
                    after.as_object_mut().unwrap().remove(SERVERS_KEY);
                }
                before.as_object_mut().unwrap();
                assert_eq!(after, before, "only our entry was added to {original}");
                let removed = remove_mcp_server(&installed, "s.json").unwrap().unwrap();
                if original.contains("\"mcpServers\":{}") {
                    // An empty servers object we filled is removed whole on the way back.
                    continue;
                }
                assert_eq!(removed, *original, "installed:\n{installed}");
            }
        }
    }

    #[test]
    fn the_files_indentation_is_followed() {
        let original = "{\n    \"theme\": \"dark\"\n}\n";
        let installed = upsert_mcp_server(original, &entry(), false, "s.json").unwrap();
        assert!(
            installed.contains(
                "\n    \"mcpServers\": {\n        \"codex-memories\": {\n            \"command\""
            ),
            "{installed}"
        );
    }

    #[test]
    fn an_existing_entry_is_replaced_not_duplicated() {
        let once = upsert_mcp_server("{}\n", &entry(), true, "s").unwrap();
        let moved = McpServerEntry {
            command: "/new/codex-memories".to_string(),
            ..entry()
        };
        let twice = upsert_mcp_server(&once, &moved, true, "s").unwrap();
        assert_eq!(registered_mcp_server(&twice), Some(moved));
        assert_eq!(twice.matches("\"codex-memories\":").count(), 1);
    }

    #[test]
    fn a_new_file_gets_a_small_document() {
        let text = upsert_mcp_server("", &entry(), true, "s").unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value[SERVERS_KEY][MCP_SERVER_NAME]["type"], "stdio");
        assert_eq!(
            remove_mcp_server(&text, "s").unwrap().as_deref(),
            Some("{}\n")
        );
    }

    #[test]
    fn invalid_json_is_refused_naming_the_file() {
        let error = upsert_mcp_server("{\"a\": }", &entry(), false, "/h/.claude.json").unwrap_err();
        assert!(error.to_string().contains("/h/.claude.json"), "{error}");
        let error =
            upsert_mcp_server("{\"mcpServers\": []}", &entry(), false, "/h/x.json").unwrap_err();
        assert!(error.to_string().contains("not an object"), "{error}");
    }
}
