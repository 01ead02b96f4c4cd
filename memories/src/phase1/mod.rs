//! Phase 1: one raw memory per finished session. This module owns the input side — which items
//! are kept ([`select`]), whether the user asked for anything ([`substance`]), the compact
//! transcript ([`transcript`], [`cut`], framed by [`frame`]), the token budget ([`budget`]), the
//! prompt ([`prompt`]) — reading the answer ([`output`]), judging it ([`quality`]) and asking for
//! sessions to be extracted again ([`reextract`]). The extraction run that claims jobs and
//! stores results builds on these.

pub mod budget;
pub mod cut;
pub mod frame;
pub mod input;
pub mod output;
pub mod prompt;
pub mod quality;
pub mod reextract;
pub mod run;
pub mod select;
pub mod substance;
pub mod transcript;
