//! `ContentItem`: one part of a message's content (text in, text out, or an image).

use serde::{Deserialize, Serialize};

/// One part of a message or tool output. Unknown part kinds are kept verbatim in `Other`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContentItem {
    /// Text sent to the model (user, developer or tool text).
    InputText {
        /// The text.
        text: String,
    },
    /// Text produced by the model.
    OutputText {
        /// The text.
        text: String,
    },
    /// An image sent to the model, usually a `data:` URL.
    InputImage {
        /// The image URL or data URL.
        image_url: String,
    },
    /// A part kind this version does not know, kept as written.
    #[serde(untagged)]
    Other(serde_json::Value),
}

impl ContentItem {
    /// The text of a text part; `None` for images and unknown parts.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::InputText { text } | Self::OutputText { text } => Some(text),
            Self::InputImage { .. } | Self::Other(_) => None,
        }
    }
}
