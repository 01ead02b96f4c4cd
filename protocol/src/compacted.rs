//! `Compacted`: a client-side compaction marker — the summary that replaced earlier history.

use serde::{Deserialize, Serialize};

use crate::ResponseItem;

/// History was compacted: `message` summarises what came before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compacted {
    /// The summary that replaced the earlier history.
    pub message: String,
    /// The items that now stand for the history, when recorded (newer versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_history: Option<Vec<ResponseItem>>,
}
