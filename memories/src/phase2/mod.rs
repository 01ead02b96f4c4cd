//! Phase 2: consolidating the retained raw memories into the memory folder. This module owns the
//! artifacts written from the database ([`artifacts`], named by [`stem`]) and the extension
//! folders ([`extensions`]); the run that claims the global job, diffs the workspace and calls a
//! consolidator builds on them.

pub mod artifacts;
pub mod extensions;
pub mod run;
pub mod stem;
