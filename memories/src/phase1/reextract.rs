//! `extract --reextract`: once a model is configured, the sessions an offline run covered (or,
//! asked for, every finished one) are extracted again by it. The request only flags jobs; the
//! extraction run claims them like any other, within its caps and the age window, so a large home
//! is re-extracted over several runs. A stored memory stays until a new success replaces it, so a
//! failed or cut-short re-extraction loses nothing.

use codex_state::{MemoryStore, OFFLINE_PRODUCER, ReextractRequest, ReextractScope, StateError};

use crate::provider::ModelClient;

/// Why a re-extraction was not requested.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReextractError {
    /// The run would use the offline provider, which writes the same memories again.
    #[error(
        "--reextract needs a model: the offline provider would write the same memories again; \
         choose one with --provider openai|chat (or `provider` in codex-memories.toml)"
    )]
    OfflineProvider,
    /// The memories database failed.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Flags the finished sessions in `scope` for re-extraction by `client`, refusing the offline
/// provider. Returns what was flagged.
pub async fn request_reextraction(
    store: &MemoryStore,
    client: &dyn ModelClient,
    scope: ReextractScope,
) -> Result<ReextractRequest, ReextractError> {
    if client.provider_name() == OFFLINE_PRODUCER {
        return Err(ReextractError::OfflineProvider);
    }
    Ok(store.request_reextraction(scope).await?)
}
