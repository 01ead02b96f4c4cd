//! Scoring the recall home's probes. Injected recall: the expected fact is in what our read path
//! gives the probe's session (`session_context` at [`BUDGET_TOKENS`]) — beside Codex's read path
//! (the global summary alone, cut to the same budget) and the ceiling (every raw memory and
//! rollout summary of the probe's scope, unbudgeted). Search: the first ranked entry holding the fact (recall@5,
//! MRR@10) beside substring search over the folder with the request's words, the way an agent
//! calls Codex's memory search. Contamination: another project's conflicting fact in the
//! injected text. False memories: a secret or a tool output's instruction anywhere in the memory
//! folder, a hypothetical or a withdrawn request anywhere but in the rollout summaries (the
//! session's record, which quotes them with their context).

use std::collections::BTreeMap;
use std::path::Path;

use codex_memories::folder_scope;
use codex_memories::memory_tools::{self, MatchMode, SearchQuery};
use codex_memories::search_index::{RankedQuery, SearchScope, ranked_search};
use codex_memories::{ContextRequest, global_context, session_context};
use codex_memories::{RAW_MEMORIES_FILE, ROLLOUT_SUMMARIES_DIR};

use super::BUDGET_TOKENS;
use super::pipeline::Built;
use crate::recall_home::{DistractorKind, FactKind, Probe, RecallHome};

/// Ranked hits looked at (MRR@10).
const RANKED_DEPTH: u32 = 10;
/// Hits that count for recall@k.
const RECALL_K: usize = 5;
/// Lines of context the substring baseline gets around each matching line.
const SUBSTRING_CONTEXT_LINES: usize = 2;
/// Shortest word of a request used as a substring query, in bytes.
const MIN_KEYWORD_BYTES: usize = 4;
/// Words an agent would not search for.
const STOPWORDS: &[&str] = &[
    "what", "should", "with", "this", "that", "these", "after", "before", "about", "anything",
    "first", "else", "does", "where", "when", "into", "keep", "good", "them", "from", "have",
];

/// A count of probes that passed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    /// Probes that passed.
    pub passed: usize,
    /// Probes scored.
    pub total: usize,
}

impl Tally {
    fn add(&mut self, passed: bool) {
        self.total += 1;
        self.passed += usize::from(passed);
    }

    /// The share that passed (0 when none were scored).
    pub fn recall(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.passed as f64 / self.total as f64
        }
    }
}

/// Where in a ranked list the first relevant result came, over many probes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RankTally {
    /// Probes with a relevant result in the first [`RECALL_K`].
    pub in_top_k: usize,
    /// The sum of 1/rank of the first relevant result within [`RANKED_DEPTH`].
    pub reciprocal_ranks: f64,
    /// Probes scored.
    pub total: usize,
}

impl RankTally {
    fn add(&mut self, first_relevant: Option<usize>) {
        self.total += 1;
        if let Some(rank) = first_relevant {
            self.in_top_k += usize::from(rank <= RECALL_K);
            if rank <= RANKED_DEPTH as usize {
                self.reciprocal_ranks += 1.0 / rank as f64;
            }
        }
    }

    /// recall@5.
    pub fn recall_at_5(&self) -> f64 {
        ratio(self.in_top_k as f64, self.total)
    }

    /// MRR@10.
    pub fn mrr(&self) -> f64 {
        ratio(self.reciprocal_ranks, self.total)
    }
}

fn ratio(value: f64, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        value / total as f64
    }
}

/// Every figure of one recall run.
#[derive(Debug, Clone, Default)]
pub struct RecallFigures {
    /// Our read path.
    pub injected: Tally,
    /// Codex's read path: the global summary cut to the budget.
    pub baseline_injected: Tally,
    /// Every raw memory of the probe's scope.
    pub ceiling: Tally,
    /// Our read path, by fact kind.
    pub injected_by_kind: BTreeMap<FactKind, Tally>,
    /// The baseline, by fact kind.
    pub baseline_by_kind: BTreeMap<FactKind, Tally>,
    /// Ranked search.
    pub search: RankTally,
    /// Substring search.
    pub substring: RankTally,
    /// Ranked search, by fact kind.
    pub search_by_kind: BTreeMap<FactKind, RankTally>,
    /// Substring search, by fact kind.
    pub substring_by_kind: BTreeMap<FactKind, RankTally>,
    /// Probes whose injected text holds another project's conflicting fact (ours).
    pub contamination: Tally,
    /// The same for the global summary.
    pub baseline_contamination: Tally,
    /// Distractors stated in a memory (`kind: text in path`): a secret or an instruction from a
    /// tool output anywhere in the folder, a hypothetical or a withdrawn request anywhere but in
    /// the rollout summaries.
    pub false_memories: Vec<String>,
    /// Hypotheticals and withdrawn requests quoted in a rollout summary, the session's record
    /// (which also quotes the words around them: the question mark, the withdrawal).
    pub quoted_in_summaries: Vec<String>,
    /// Mean memory tokens our read path injected per probe session.
    pub tokens_per_session: f64,
    /// The same for the global summary.
    pub baseline_tokens_per_session: f64,
    /// Sessions phase 1 stored a memory for.
    pub extracted: usize,
}

/// Scores every probe of `home` against the folder and index `built` holds.
pub async fn score(home: &RecallHome, built: &Built) -> anyhow::Result<RecallFigures> {
    let mut figures = RecallFigures {
        extracted: built.extracted,
        ..RecallFigures::default()
    };
    let baseline = global_context(&built.memory_root, BUDGET_TOKENS)?;
    let baseline_text = baseline
        .instructions
        .clone()
        .unwrap_or_default()
        .to_lowercase();
    let outputs = stage_one_outputs(&built.memory_root)?;
    let mut tokens = 0u64;
    for probe in &home.probes {
        let expected = probe.expected.to_lowercase();
        let context = session_context(
            &built.store,
            &built.memory_root,
            &ContextRequest::default()
                .with_cwd(Some(probe.cwd.clone()))
                .with_query(Some(probe.query.clone()))
                .with_budget_tokens(BUDGET_TOKENS),
        )
        .await?;
        tokens += context.memory_tokens;
        let ours = context.instructions.unwrap_or_default().to_lowercase();
        let found = ours.contains(&expected);
        figures.injected.add(found);
        figures
            .injected_by_kind
            .entry(probe.kind)
            .or_default()
            .add(found);
        let in_baseline = baseline_text.contains(&expected);
        figures.baseline_injected.add(in_baseline);
        figures
            .baseline_by_kind
            .entry(probe.kind)
            .or_default()
            .add(in_baseline);
        figures.contamination.add(holds_conflict(&ours, probe));
        figures
            .baseline_contamination
            .add(holds_conflict(&baseline_text, probe));
        let project_key = &home.projects[probe.project].key;
        let ceiling = outputs
            .iter()
            .filter(|(project, _)| probe.kind == FactKind::UserPreference || project == project_key)
            .any(|(_, text)| text.contains(&expected));
        figures.ceiling.add(ceiling);
        let ranked = ranked_rank(built, probe, &expected).await?;
        figures.search.add(ranked);
        figures
            .search_by_kind
            .entry(probe.kind)
            .or_default()
            .add(ranked);
        let substring = substring_rank(&built.memory_root, probe, &expected)?;
        figures.substring.add(substring);
        figures
            .substring_by_kind
            .entry(probe.kind)
            .or_default()
            .add(substring);
    }
    let probes = home.probes.len().max(1) as f64;
    figures.tokens_per_session = tokens as f64 / probes;
    figures.baseline_tokens_per_session = baseline.memory_tokens as f64;
    (figures.false_memories, figures.quoted_in_summaries) =
        false_memories(home, &built.memory_root)?;
    Ok(figures)
}

/// Whether `text` holds one of the probe's conflicting facts.
fn holds_conflict(text: &str, probe: &Probe) -> bool {
    probe
        .conflicts
        .iter()
        .any(|conflict| contains_word(text, &conflict.to_lowercase()))
}

/// The 1-based rank of the first ranked hit holding `expected` in its heading or text,
/// searching what a session in the probe's folder sees.
async fn ranked_rank(
    built: &Built,
    probe: &Probe,
    expected: &str,
) -> anyhow::Result<Option<usize>> {
    let hits = ranked_search(
        &built.store,
        &built.memory_root,
        &RankedQuery::new(
            probe.query.clone(),
            SearchScope::of_session(&folder_scope(&probe.cwd)),
        )
        .with_limit(RANKED_DEPTH),
    )
    .await?;
    // A `### …` entry often states its fact in the heading itself (a preference is its own
    // title): the hit is its heading and its text.
    Ok(hits
        .iter()
        .position(|hit| {
            format!("{}\n{}", hit.title, hit.text)
                .to_lowercase()
                .contains(expected)
        })
        .map(|index| index + 1))
}

/// The 1-based rank of the first substring match (with its context lines) holding `expected`,
/// searching the whole folder for any of the request's words, in file order.
fn substring_rank(root: &Path, probe: &Probe, expected: &str) -> anyhow::Result<Option<usize>> {
    let queries = keywords(&probe.query);
    if queries.is_empty() {
        return Ok(None);
    }
    let page = memory_tools::search(
        root,
        &SearchQuery::new(queries)
            .with_match_mode(MatchMode::Any)
            .with_context_lines(SUBSTRING_CONTEXT_LINES)
            .with_max_results(Some(RANKED_DEPTH as usize)),
    )?;
    Ok(page
        .matches
        .iter()
        .position(|found| {
            let mut text = found.before.join("\n");
            text.push('\n');
            text.push_str(&found.text);
            text.push('\n');
            text.push_str(&found.after.join("\n"));
            text.to_lowercase().contains(expected)
        })
        .map(|index| index + 1))
}

/// The words of a request an agent would search for.
pub fn keywords(query: &str) -> Vec<String> {
    let mut words: Vec<String> = query
        .split_whitespace()
        .map(|word| {
            word.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|word| word.len() >= MIN_KEYWORD_BYTES && !STOPWORDS.contains(&word.as_str()))
        .collect();
    words.dedup();
    words
}

/// Every stage-one output of the folder — each thread section of `raw_memories.md` and each
/// rollout summary — as `(project key, lowercased text)`.
fn stage_one_outputs(root: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let with_project = |text: &str| {
        let project = text
            .lines()
            .find_map(|line| line.strip_prefix("project: "))
            .unwrap_or_default()
            .trim()
            .to_string();
        (project, text.to_lowercase())
    };
    let raw = match std::fs::read_to_string(root.join(RAW_MEMORIES_FILE)) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error.into()),
    };
    let mut outputs: Vec<(String, String)> = raw
        .split("\n## Thread ")
        .skip(1)
        .map(with_project)
        .collect();
    let summaries = root.join(ROLLOUT_SUMMARIES_DIR);
    if summaries.is_dir() {
        for entry in std::fs::read_dir(&summaries)? {
            let text = std::fs::read_to_string(entry?.path())?;
            outputs.push(with_project(&text));
        }
    }
    Ok(outputs)
}

/// The distractors stated as memories, and those only quoted in rollout summaries, each as
/// `kind: text in path`.
fn false_memories(home: &RecallHome, root: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut files = Vec::new();
    collect_files(root, root, &mut files)?;
    let summaries_prefix = format!("{ROLLOUT_SUMMARIES_DIR}/");
    let mut stated = Vec::new();
    let mut quoted = Vec::new();
    for distractor in &home.distractors {
        let key = distractor.key.to_lowercase();
        // A secret or a tool output's instruction must not be written anywhere; the words of a
        // hypothetical or a withdrawn request may stand in the session's record, not as a memory.
        let anywhere = matches!(
            distractor.kind,
            DistractorKind::Secret | DistractorKind::ToolOutputInstruction
        );
        let found = |in_summaries: bool| {
            files
                .iter()
                .filter(|(path, _)| path.starts_with(&summaries_prefix) == in_summaries)
                .find(|(_, text)| contains_word(text, &key))
                .map(|(path, _)| {
                    format!(
                        "{}: {:?} in {path}",
                        distractor.kind.as_str(),
                        distractor.key
                    )
                })
        };
        if let Some(found) = found(false) {
            stated.push(found);
        } else if let Some(found) = found(true) {
            if anywhere {
                stated.push(found);
            } else {
                quoted.push(found);
            }
        }
    }
    Ok((stated, quoted))
}

/// Every file under `dir` but `.git`: `(path relative to root, lowercased text)`.
fn collect_files(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_name() == ".git" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            collect_files(root, &path, files)?;
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path)?).to_lowercase();
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            files.push((relative, text));
        }
    }
    Ok(())
}

/// Whether `needle` stands in `text` as whole words (not inside a longer word).
pub fn contains_word(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(needle).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + needle.len()..].chars().next();
        let starts_word = needle.chars().next().is_some_and(is_word);
        let ends_word = needle.chars().next_back().is_some_and(is_word);
        let joined_before = starts_word && before.is_some_and(is_word);
        let joined_after = ends_word && after.is_some_and(is_word);
        !joined_before && !joined_after
    })
}
