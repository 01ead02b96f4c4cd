//! The recall home's vocabulary: project names, the values of the conventions that conflict
//! across projects (package manager, test command, line length), failures with their fixes,
//! global preferences with the probe that asks for each, and the words distractors use.

use serde::Serialize;

/// What kind of fact a probe asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// A preference the user stated in every project ("always …").
    UserPreference,
    /// A preference stated in one project only.
    ProjectPreference,
    /// How a project does something (package manager, test command).
    ProjectConvention,
    /// A failure and what fixed it.
    FailureFix,
    /// A fact about the machine (a port, a path).
    EnvironmentFact,
}

impl FactKind {
    /// Its name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserPreference => "user preference",
            Self::ProjectPreference => "project preference",
            Self::ProjectConvention => "project convention",
            Self::FailureFix => "failure → fix",
            Self::EnvironmentFact => "environment fact",
        }
    }
}

/// What kind of text must never become a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DistractorKind {
    /// "What if we moved to X one day?"
    Hypothetical,
    /// A request the user took back in the same session.
    Withdrawn,
    /// A `user:` instruction inside a file a command printed.
    ToolOutputInstruction,
    /// A token or key that appeared in a message or an output.
    Secret,
}

impl DistractorKind {
    /// Its name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hypothetical => "hypothetical",
            Self::Withdrawn => "withdrawn request",
            Self::ToolOutputInstruction => "instruction inside tool output",
            Self::Secret => "secret",
        }
    }
}

/// A preference the user holds everywhere: how it is said, what a later session asks that needs
/// it, and the text that shows it reached the session.
#[derive(Debug, Clone, Copy)]
pub struct GlobalPreference {
    /// The user's words (say "always"/"in every repo", so it is global).
    pub statement: &'static str,
    /// A later session's first message that needs it.
    pub probe: &'static str,
    /// Text the context must hold (compared without case).
    pub key: &'static str,
}

/// Repository names, one per project (the home has at most this many projects).
pub const PROJECT_NAMES: [&str; 26] = [
    "ledger", "billing", "atlas", "beacon", "cobalt", "delta", "ember", "fjord", "garnet",
    "harbor", "iris", "juniper", "kestrel", "lumen", "meridian", "nimbus", "orchid", "pylon",
    "quartz", "rivet", "sable", "tundra", "umber", "vertex", "willow", "zephyr",
];

/// Package managers; neighbouring projects use different ones.
pub const PACKAGE_MANAGERS: [&str; 5] = ["uv", "poetry", "pdm", "pipenv", "hatch"];

/// Test commands; neighbouring projects use different ones.
pub const TEST_COMMANDS: [&str; 6] = [
    "just test",
    "make check",
    "tox -e py312",
    "nox -s tests",
    "./scripts/run-tests.sh",
    "bazel test //...",
];

/// Line lengths, a project-only preference.
pub const LINE_LENGTHS: [&str; 4] = ["79", "88", "100", "120"];

/// Missing headers and the package that provides each.
pub const FAILURES: [(&str, &str); 6] = [
    ("openssl/ssl.h", "libssl-dev"),
    ("ffi.h", "libffi-dev"),
    ("libpq-fe.h", "libpq-dev"),
    ("yaml.h", "libyaml-dev"),
    ("zlib.h", "zlib1g-dev"),
    ("sqlite3.h", "libsqlite3-dev"),
];

/// Global preferences (more than the probes per project, so projects ask different ones).
pub const GLOBAL_PREFERENCES: [GlobalPreference; 8] = [
    GlobalPreference {
        statement: "Always write commit messages in the imperative mood, in every repo.",
        probe: "Commit these changes with a good message.",
        key: "imperative mood",
    },
    GlobalPreference {
        statement: "In every repo, always use ripgrep instead of grep when searching code.",
        probe: "Find where the retry logic is defined in the code.",
        key: "ripgrep",
    },
    GlobalPreference {
        statement: "Always answer me in British English spelling, whatever the project.",
        probe: "Explain what this module does.",
        key: "british english",
    },
    GlobalPreference {
        statement: "Never push to the main branch directly; always open a pull request, in every repo.",
        probe: "Push my fix upstream.",
        key: "pull request",
    },
    GlobalPreference {
        statement: "Always add type hints to new Python functions, in every project.",
        probe: "Write a helper function that parses the config file.",
        key: "type hints",
    },
    GlobalPreference {
        statement: "Always run the formatter before you commit, in every repo.",
        probe: "I'm about to commit; anything to run first?",
        key: "formatter before you commit",
    },
    GlobalPreference {
        statement: "In every repo, always keep a CHANGELOG entry for user-visible changes.",
        probe: "I changed the CLI flags; what else should the change include?",
        key: "changelog entry",
    },
    GlobalPreference {
        statement: "Always prefer small focused commits over one big commit, in every project.",
        probe: "How should I split this work into commits?",
        key: "small focused commits",
    },
];

/// Tools named in hypotheticals ("what if we moved to …").
pub const HYPOTHETICAL_TOOLS: [&str; 5] = ["Pants", "Buck2", "Earthly", "Nix flakes", "Meson"];

/// Tools named in withdrawn requests.
pub const WITHDRAWN_TOOLS: [&str; 4] = ["micromamba", "pipx", "pixi", "rye"];

/// Requests of routine sessions (`{module}` is replaced), sharing the probes' words.
pub const FILLER_REQUESTS: [&str; 8] = [
    "Add tests for the {module} module.",
    "Rename the dependency injection helpers in {module}.",
    "The {module} database query is slow, add an index.",
    "Fix the build warning in {module}.",
    "Refactor {module} so the tests run faster.",
    "Document the {module} configuration options.",
    "Update the {module} dependencies to their latest versions.",
    "Explain why the {module} line lengths differ.",
];

/// Modules routine sessions touch.
pub const FILLER_MODULES: [&str; 10] = [
    "auth",
    "payments",
    "reports",
    "scheduler",
    "storage",
    "search",
    "exports",
    "invoices",
    "webhooks",
    "metrics",
];

/// `count` characters of a made-up token for project `index` (letters and digits, stable).
pub fn token_chars(index: usize, count: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = (index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|_| {
            state ^= state >> 33;
            state = state.wrapping_mul(0xff51_afd7_ed55_8ccd);
            state ^= state >> 29;
            char::from(ALPHABET[(state % ALPHABET.len() as u64) as usize])
        })
        .collect()
}
