//! The offline consolidator's project folders: for every project with sessions,
//! `projects/<slug>/MEMORY.md` (`# <key>`, then a generated section with one entry per session,
//! newest first) and a short `projects/<slug>/summary.md` (the preferences said there, the
//! checks that worked, the failures seen, the latest tasks). A project folder whose sessions are
//! all gone loses its generated text; files left with nothing of a person's are deleted, and so is
//! the folder when it ends up empty.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::consolidator::ConsolidatorError;
use crate::consolidator::offline::{
    date, merge_generated, newest_first, preference_of, title, without_generated, write_entries,
};
use crate::consolidator::preference_scope::{PreferenceScopes, preference_key};
use crate::fsutil::write_if_changed;
use crate::phase2::artifacts::ArtifactInput;
use crate::scope::{PROJECT_MEMORY_FILE, PROJECT_SUMMARY_FILE, PROJECTS_DIR, ProjectKey, Scope};

/// Most project preferences listed in a project summary.
const MAX_SUMMARY_PREFERENCES: usize = 8;
/// Most checks that worked listed in a project summary.
const MAX_SUMMARY_CHECKS: usize = 6;
/// Most failures listed in a project summary.
const MAX_SUMMARY_FAILURES: usize = 4;
/// Most recent tasks listed in a project summary.
const MAX_SUMMARY_TASKS: usize = 5;

/// The inputs of each project, by key.
#[derive(Debug, Default)]
pub struct ProjectGroups<'a> {
    groups: BTreeMap<&'a ProjectKey, Vec<&'a ArtifactInput>>,
}

impl<'a> ProjectGroups<'a> {
    /// Groups `inputs` by project; global sessions belong to none.
    pub fn new(inputs: &'a [ArtifactInput]) -> Self {
        let mut groups: BTreeMap<&'a ProjectKey, Vec<&'a ArtifactInput>> = BTreeMap::new();
        for input in inputs {
            if let Scope::Project(key) = &input.scope {
                groups.entry(key).or_default().push(input);
            }
        }
        for entries in groups.values_mut() {
            *entries = newest_first(entries.iter().copied());
        }
        Self { groups }
    }

    /// How many projects have sessions.
    pub fn len(&self) -> usize {
        self.groups.len()
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ConsolidatorError + '_ {
    move |source| ConsolidatorError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes every project's files and empties those of projects without sessions; returns the
/// files changed, relative to `root`.
pub fn write_projects(
    root: &Path,
    projects: &ProjectGroups<'_>,
    preferences: &PreferenceScopes,
) -> Result<Vec<String>, ConsolidatorError> {
    let mut changed = Vec::new();
    let mut live = BTreeSet::new();
    for (key, inputs) in &projects.groups {
        let slug = key.slug();
        let folder = format!("{PROJECTS_DIR}/{slug}");
        live.insert(slug);
        let heading = format!("# {key}");
        let memory_path = root.join(&folder).join(PROJECT_MEMORY_FILE);
        let existing = std::fs::read_to_string(&memory_path).unwrap_or_default();
        let mut section = String::new();
        write_entries(&mut section, inputs, &mut BTreeSet::new());
        let memory = merge_generated(&existing, &section, Some(&heading));
        let summary = project_summary(key, inputs, preferences);
        for (name, text) in [
            (PROJECT_MEMORY_FILE, memory),
            (PROJECT_SUMMARY_FILE, summary),
        ] {
            let path = root.join(&folder).join(name);
            if write_if_changed(&path, &text).map_err(io_error(&path))? {
                changed.push(format!("{folder}/{name}"));
            }
        }
    }
    changed.extend(empty_stale_projects(root, &live)?);
    Ok(changed)
}

/// A project's short summary: `# <key>`, then its own preferences, checks, failures and tasks.
fn project_summary(
    key: &ProjectKey,
    inputs: &[&ArtifactInput],
    preferences: &PreferenceScopes,
) -> String {
    let mut own_preferences = Vec::new();
    let mut checks = Vec::new();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for input in inputs {
        for line in input.raw_memory.lines() {
            let line = line.trim();
            if let Some(preference) = preference_of(line) {
                if !preferences.is_global(preference) && seen.insert(preference_key(preference)) {
                    own_preferences.push(preference);
                }
            } else if let Some(check) = line.strip_prefix("- worked:") {
                if seen.insert(check.trim().to_string()) {
                    checks.push(check.trim());
                }
            } else if let Some(failure) = line.strip_prefix("- failed:")
                && seen.insert(failure.trim().to_string())
            {
                failures.push(failure.trim());
            }
        }
    }
    let mut text = format!("# {key}\n\n");
    for preference in own_preferences.iter().take(MAX_SUMMARY_PREFERENCES) {
        let _ = writeln!(text, "- user preference here: \"{preference}\"");
    }
    if !checks.is_empty() {
        let listed: Vec<&str> = checks.iter().copied().take(MAX_SUMMARY_CHECKS).collect();
        let _ = writeln!(text, "- checks that worked: {}", listed.join("; "));
    }
    for failure in failures.iter().take(MAX_SUMMARY_FAILURES) {
        let _ = writeln!(text, "- failed before: {failure}");
    }
    let tasks: Vec<String> = inputs
        .iter()
        .take(MAX_SUMMARY_TASKS)
        .map(|input| format!("{} ({})", title(input), date(input.source_updated_at)))
        .collect();
    let _ = writeln!(text, "- recent work: {}", tasks.join("; "));
    let _ = writeln!(
        text,
        "Details: {PROJECTS_DIR}/{}/{PROJECT_MEMORY_FILE}",
        key.slug()
    );
    text
}

/// Drops the generated text of every project folder not in `live`; returns the files changed.
fn empty_stale_projects(
    root: &Path,
    live: &BTreeSet<String>,
) -> Result<Vec<String>, ConsolidatorError> {
    let projects_dir = root.join(PROJECTS_DIR);
    let entries = match std::fs::read_dir(&projects_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(io_error(&projects_dir)(source)),
    };
    let mut changed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error(&projects_dir))?;
        let slug = entry.file_name().to_string_lossy().into_owned();
        // `DirEntry::file_type` does not follow links: a linked folder is left alone.
        if live.contains(&slug) || !entry.file_type().map_err(io_error(&entry.path()))?.is_dir() {
            continue;
        }
        let folder = entry.path();
        // The summary is all generated; MEMORY.md keeps whatever a person wrote outside ours.
        let summary_path = folder.join(PROJECT_SUMMARY_FILE);
        if summary_path.is_file() {
            std::fs::remove_file(&summary_path).map_err(io_error(&summary_path))?;
            changed.push(format!("{PROJECTS_DIR}/{slug}/{PROJECT_SUMMARY_FILE}"));
        }
        let memory_path = folder.join(PROJECT_MEMORY_FILE);
        if let Ok(existing) = std::fs::read_to_string(&memory_path) {
            let kept = without_generated(&existing);
            let persons_text = kept
                .lines()
                .filter(|line| !line.starts_with("# "))
                .any(|line| !line.trim().is_empty());
            if !persons_text {
                std::fs::remove_file(&memory_path).map_err(io_error(&memory_path))?;
                changed.push(format!("{PROJECTS_DIR}/{slug}/{PROJECT_MEMORY_FILE}"));
            } else if write_if_changed(&memory_path, &kept).map_err(io_error(&memory_path))? {
                changed.push(format!("{PROJECTS_DIR}/{slug}/{PROJECT_MEMORY_FILE}"));
            }
        }
        // Only succeeds when nothing is left in it.
        let _ = std::fs::remove_dir(&folder);
    }
    Ok(changed)
}
