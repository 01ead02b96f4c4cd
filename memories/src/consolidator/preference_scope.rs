//! Where a stated user preference belongs: a preference said in one project stays in that
//! project, unless the user said it holds everywhere ("always", "in every repo", …, with no
//! "here" or "this repo" narrowing it) or the same preference, not narrowed, was said in several
//! projects. A
//! session without a project folder speaks globally. Used by the offline consolidator; the
//! agent's prompt states the same rule in words.

use std::collections::{BTreeMap, BTreeSet};

use crate::scope::{ProjectKey, Scope};

/// Phrases that say a preference holds everywhere.
const EVERYWHERE_PHRASES: &[&str] = &[
    "always",
    "every repo",
    "every repository",
    "every project",
    "all repos",
    "all repositories",
    "all projects",
    "all my projects",
    "any repo",
    "any project",
    "everywhere",
    "in general",
    "globally",
    "from now on",
];
/// Phrases that narrow a preference to the project it was said in.
const HERE_PHRASES: &[&str] = &[
    "here",
    "this repo",
    "this repository",
    "this project",
    "this codebase",
    "in this",
    "for this",
];
/// In how many projects the same preference must be said to hold everywhere.
pub const RECURRING_PROJECTS: usize = 2;

/// The lower-case words of `text`, letters and digits only.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether the word sequence `phrase` occurs in `words`.
fn has_phrase(words: &[String], phrase: &str) -> bool {
    let phrase: Vec<&str> = phrase.split(' ').collect();
    words
        .windows(phrase.len())
        .any(|window| window.iter().zip(&phrase).all(|(word, part)| word == part))
}

/// Whether the words of a preference say it holds everywhere and nothing narrows it.
pub fn says_everywhere(preference: &str) -> bool {
    let words = words(preference);
    EVERYWHERE_PHRASES.iter().any(|p| has_phrase(&words, p)) && !is_narrowed(&words)
}

/// Whether `words` narrow a preference to the project it was said in ("here", "this repo").
fn is_narrowed(words: &[String]) -> bool {
    HERE_PHRASES.iter().any(|p| has_phrase(words, p))
}

/// A preference's identity across sessions: its words, in order.
pub fn preference_key(preference: &str) -> String {
    words(preference).join(" ")
}

/// Decides for each preference (by [`preference_key`]) whether it holds everywhere, from every
/// `(scope, preference)` said.
#[derive(Debug, Default)]
pub struct PreferenceScopes {
    projects_by_key: BTreeMap<String, BTreeSet<ProjectKey>>,
    global_keys: BTreeSet<String>,
}

impl PreferenceScopes {
    /// Records that `preference` was said in a session of `scope`.
    pub fn record(&mut self, scope: &Scope, preference: &str) {
        let key = preference_key(preference);
        if key.is_empty() {
            return;
        }
        match scope {
            Scope::Global => {
                self.global_keys.insert(key);
            }
            Scope::Project(project) => {
                if says_everywhere(preference) {
                    self.global_keys.insert(key.clone());
                }
                self.projects_by_key
                    .entry(key)
                    .or_default()
                    .insert(project.clone());
            }
        }
    }

    /// Whether `preference` holds everywhere. A preference narrowed to its project ("in this
    /// repo we use uv") stays there however many projects say the same: each says it of itself.
    pub fn is_global(&self, preference: &str) -> bool {
        let key = preference_key(preference);
        self.global_keys.contains(&key)
            || (!is_narrowed(&words(preference))
                && self
                    .projects_by_key
                    .get(&key)
                    .is_some_and(|projects| projects.len() >= RECURRING_PROJECTS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(key: &str) -> Scope {
        Scope::Project(ProjectKey::parse(key).unwrap())
    }

    #[test]
    fn everywhere_words_make_a_preference_global_unless_here_narrows_it() {
        assert!(says_everywhere("Always answer in British English"));
        assert!(says_everywhere(
            "in every repo, run the formatter before committing"
        ));
        assert!(!says_everywhere("don't use pip here, always use uv"));
        assert!(!says_everywhere("in this repo we always use poetry"));
        assert!(!says_everywhere("use tabs"));
        // Word boundaries: "there" is not "here", "hallways" is not "always".
        assert!(says_everywhere("always keep the changelog there"));
        assert!(!says_everywhere("tidy the hallways module"));
    }

    #[test]
    fn a_preference_said_in_two_projects_holds_everywhere() {
        let mut scopes = PreferenceScopes::default();
        scopes.record(&project("github.com/a/one"), "Use ripgrep, not grep.");
        assert!(!scopes.is_global("use ripgrep not grep"));
        scopes.record(&project("github.com/a/one"), "use ripgrep, not grep");
        assert!(!scopes.is_global("use ripgrep not grep"));
        scopes.record(&project("github.com/a/two"), "use ripgrep; not grep");
        assert!(scopes.is_global("Use ripgrep, not grep."));
        scopes.record(&Scope::Global, "Short answers please");
        assert!(scopes.is_global("short answers please"));
    }

    #[test]
    fn a_preference_narrowed_to_its_project_never_spreads_by_recurring() {
        let mut scopes = PreferenceScopes::default();
        let said = "Don't use pip: in this repo we manage dependencies with uv, never plain pip.";
        let tests = "Here the tests run with `just test`; don't call the test tools directly.";
        for project_key in ["github.com/a/one", "github.com/a/two", "github.com/a/three"] {
            scopes.record(&project(project_key), said);
            scopes.record(&project(project_key), tests);
        }
        assert!(!scopes.is_global(said));
        assert!(!scopes.is_global(tests));
    }
}
