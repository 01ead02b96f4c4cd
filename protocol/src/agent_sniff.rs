//! Telling which agent wrote a session file from its first lines, for a file given by path
//! alone (`inspect`): a Codex rollout line has a `payload` (or is a legacy header with `id` and
//! `timestamp`), a Gemini CLI chat starts with a header carrying `projectHash` or a `$set`
//! patch, and every Claude Code line carries `sessionId`, `uuid`, `parentUuid` or `leafUuid`.

use std::path::Path;

use serde_json::{Map, Value};

use crate::{Agent, JsonlReader, RolloutError};

/// How many readable lines are looked at before giving up.
const SNIFFED_LINES: usize = 8;

/// The agent whose format the file at `path` is in, or `None` when its first lines say nothing
/// (empty, unreadable, or no line is a JSON object of a known shape).
pub fn sniff_agent(path: &Path) -> Result<Option<Agent>, RolloutError> {
    let mut reader = JsonlReader::open(path)?;
    let mut looked = 0;
    while let Some(line) = reader.next_text()? {
        if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(line.text)
            && let Some(agent) = agent_of(&fields)
        {
            return Ok(Some(agent));
        }
        looked += 1;
        if looked == SNIFFED_LINES {
            break;
        }
    }
    Ok(None)
}

/// The agent one line's top-level fields point to.
fn agent_of(fields: &Map<String, Value>) -> Option<Agent> {
    let has = |key: &str| fields.contains_key(key);
    if has("payload") {
        return Some(Agent::Codex);
    }
    if has("projectHash") || has("$set") || (has("sessionId") && has("startTime")) {
        return Some(Agent::Gemini);
    }
    if ["sessionId", "uuid", "parentUuid", "leafUuid"]
        .into_iter()
        .any(has)
    {
        return Some(Agent::Claude);
    }
    if has("id") && has("timestamp") {
        // A legacy Codex rollout starts with a bare header.
        return Some(Agent::Codex);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn sniff(lines: &str) -> Option<Agent> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.jsonl");
        std::fs::write(&path, lines).unwrap();
        sniff_agent(&path).unwrap()
    }

    #[test]
    fn each_agent_s_first_lines_name_it() {
        assert_eq!(
            sniff(
                r#"{"timestamp":"t","type":"session_meta","payload":{"id":"x"}}
"#
            ),
            Some(Agent::Codex)
        );
        assert_eq!(
            sniff(
                r#"{"type":"queue-operation","operation":"enqueue","sessionId":"s"}
"#
            ),
            Some(Agent::Claude)
        );
        assert_eq!(
            sniff(
                r#"{"sessionId":"s","projectHash":"h","startTime":"t","kind":"main"}
"#
            ),
            Some(Agent::Gemini)
        );
        assert_eq!(
            sniff("not json\n{\"id\":\"x\",\"timestamp\":\"t\"}\n"),
            Some(Agent::Codex)
        );
        assert_eq!(sniff("\n[1,2]\nnot json\n"), None);
    }
}
