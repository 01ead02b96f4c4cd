//! Memory citations at the end of an answer: `<oai-mem-citation>` blocks with
//! `<citation_entries>` lines (`path:start-end|note=[…]`) and `<rollout_ids>` (or the legacy
//! `<thread_ids>`). Parsing tolerates malformed lines (they are listed, not fatal), de-duplicates
//! ids, and returns the answer with the blocks removed. Recording usage is the store's job.

use codex_protocol::ThreadId;
use serde::Serialize;

const BLOCK_OPEN: &str = "<oai-mem-citation>";
const BLOCK_CLOSE: &str = "</oai-mem-citation>";
const ID_TAGS: &[(&str, &str)] = &[
    ("<rollout_ids>", "</rollout_ids>"),
    ("<thread_ids>", "</thread_ids>"),
];
const ENTRIES_TAG: (&str, &str) = ("<citation_entries>", "</citation_entries>");

/// One cited range of a memory file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitationEntry {
    /// File relative to the memory root.
    pub path: String,
    /// First cited line.
    pub start_line: u32,
    /// Last cited line.
    pub end_line: u32,
    /// Why it was cited, when given.
    pub note: Option<String>,
}

/// What an answer cited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Citations {
    /// The answer without its citation blocks.
    pub visible_text: String,
    /// Cited ranges.
    pub entries: Vec<CitationEntry>,
    /// Cited threads, de-duplicated, in first-seen order.
    pub thread_ids: Vec<ThreadId>,
    /// Lines that could not be read (skipped).
    pub malformed: Vec<String>,
}

/// Parses every citation block in `answer`.
pub fn parse_citations(answer: &str) -> Citations {
    let mut citations = Citations::default();
    let mut visible = String::with_capacity(answer.len());
    let mut rest = answer;
    while let Some(start) = rest.find(BLOCK_OPEN) {
        visible.push_str(&rest[..start]);
        let after_open = &rest[start + BLOCK_OPEN.len()..];
        let (block, after) = match after_open.find(BLOCK_CLOSE) {
            Some(end) => (&after_open[..end], &after_open[end + BLOCK_CLOSE.len()..]),
            None => (after_open, ""),
        };
        parse_block(block, &mut citations);
        rest = after;
    }
    visible.push_str(rest);
    citations.visible_text = visible.trim_end().to_string();
    citations
}

fn section<'a>(block: &'a str, (open, close): (&str, &str)) -> Option<&'a str> {
    let start = block.find(open)? + open.len();
    let end = block[start..]
        .find(close)
        .map_or(block.len(), |end| start + end);
    Some(&block[start..end])
}

fn parse_block(block: &str, citations: &mut Citations) {
    if let Some(entries) = section(block, ENTRIES_TAG) {
        for line in entries
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
        {
            match parse_entry(line) {
                Some(entry) => citations.entries.push(entry),
                None => citations.malformed.push(line.to_string()),
            }
        }
    }
    for tags in ID_TAGS {
        let Some(ids) = section(block, *tags) else {
            continue;
        };
        for token in ids
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|token| !token.is_empty())
        {
            match token.parse::<ThreadId>() {
                Ok(id) if !citations.thread_ids.contains(&id) => citations.thread_ids.push(id),
                Ok(_) => {}
                Err(_) => citations.malformed.push(token.to_string()),
            }
        }
    }
}

/// `path:start-end|note=[text]` (the note is optional; a single line `path:N` is accepted).
fn parse_entry(line: &str) -> Option<CitationEntry> {
    let (location, note) = match line.split_once('|') {
        Some((location, rest)) => {
            let note = rest.trim().strip_prefix("note=").map(|note| {
                note.trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string()
            });
            (location.trim(), note)
        }
        None => (line, None),
    };
    let (path, range) = location.rsplit_once(':')?;
    let (start, end) = match range.split_once('-') {
        Some((start, end)) => (start.trim().parse().ok()?, end.trim().parse().ok()?),
        None => {
            let line: u32 = range.trim().parse().ok()?;
            (line, line)
        }
    };
    if path.trim().is_empty() || start == 0 || end < start {
        return None;
    }
    Some(CitationEntry {
        path: path.trim().to_string(),
        start_line: start,
        end_line: end,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const A: &str = "019df1d4-69b8-78f7-9da1-494c73cf256d";
    const B: &str = "019dfd4d-8810-7690-b372-969f7f65d54d";

    #[test]
    fn a_block_is_parsed_and_stripped_from_the_visible_text() {
        let answer = format!(
            "Use uv.\n\n<oai-mem-citation>\n<citation_entries>\nMEMORY.md:3-5|note=[uv preference]\n</citation_entries>\n<rollout_ids>\n{A}\n{B}\n{A}\n</rollout_ids>\n</oai-mem-citation>\n"
        );
        let citations = parse_citations(&answer);
        assert_eq!(citations.visible_text, "Use uv.");
        assert_eq!(
            citations.entries,
            vec![CitationEntry {
                path: "MEMORY.md".to_string(),
                start_line: 3,
                end_line: 5,
                note: Some("uv preference".to_string())
            }]
        );
        assert_eq!(
            citations.thread_ids,
            vec![A.parse().unwrap(), B.parse::<ThreadId>().unwrap()]
        );
        assert!(citations.malformed.is_empty());
    }

    #[test]
    fn the_legacy_thread_ids_form_is_accepted() {
        let citations = parse_citations(&format!(
            "ok <oai-mem-citation><thread_ids>{A}, {B}</thread_ids></oai-mem-citation>"
        ));
        assert_eq!(citations.thread_ids.len(), 2);
        assert_eq!(citations.visible_text, "ok");
    }

    #[test]
    fn malformed_lines_are_skipped_and_listed() {
        let answer = format!(
            "x<oai-mem-citation><citation_entries>\nMEMORY.md:a-b\nnot a citation\nskills/x/SKILL.md:7\n</citation_entries><rollout_ids>nope {A}</rollout_ids></oai-mem-citation>"
        );
        let citations = parse_citations(&answer);
        assert_eq!(citations.entries.len(), 1);
        assert_eq!(citations.entries[0].path, "skills/x/SKILL.md");
        assert_eq!(citations.thread_ids, vec![A.parse::<ThreadId>().unwrap()]);
        assert_eq!(
            citations.malformed,
            vec!["MEMORY.md:a-b", "not a citation", "nope"]
        );
    }

    #[test]
    fn an_answer_without_citations_is_unchanged() {
        let citations = parse_citations("plain answer");
        assert_eq!(citations.visible_text, "plain answer");
        assert!(citations.thread_ids.is_empty());
    }
}
