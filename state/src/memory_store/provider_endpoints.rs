//! What the memories DB remembers about a model endpoint between runs: the structured-output
//! way it accepts and the context window it reported. One row per (endpoint URL, model); a
//! later run overwrites it. Nothing here decides anything; the provider code does.

use super::MemoryStore;
use crate::StateError;

/// What was learned about one endpoint and model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointProfile {
    /// `json_schema`, `json_object` or `none`, when learned.
    pub structured_output: Option<String>,
    /// The context window in tokens, when the server reported one.
    pub context_window: Option<u64>,
}

impl MemoryStore {
    /// The profile stored for `endpoint` and `model`, if any.
    pub async fn endpoint_profile(
        &self,
        endpoint: &str,
        model: &str,
    ) -> Result<Option<EndpointProfile>, StateError> {
        let row: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT structured_output, context_window FROM provider_endpoints \
             WHERE endpoint = ?1 AND model = ?2",
        )
        .bind(endpoint)
        .bind(model)
        .fetch_optional(self.pool())
        .await
        .map_err(|source| self.query_error("read provider endpoint", source))?;
        Ok(
            row.map(|(structured_output, context_window)| EndpointProfile {
                structured_output,
                context_window: context_window.and_then(|window| u64::try_from(window).ok()),
            }),
        )
    }

    /// Stores `profile` for `endpoint` and `model`, replacing what was there.
    pub async fn record_endpoint_profile(
        &self,
        endpoint: &str,
        model: &str,
        profile: &EndpointProfile,
    ) -> Result<(), StateError> {
        let now = self.now();
        let window = profile
            .context_window
            .and_then(|window| i64::try_from(window).ok());
        // One upsert statement: two runs ending at once leave one of their rows, never a mix.
        self.retry_busy(|| async {
            sqlx::query(
                "INSERT INTO provider_endpoints \
                     (endpoint, model, structured_output, context_window, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (endpoint, model) DO UPDATE SET \
                     structured_output = ?3, context_window = ?4, updated_at = ?5",
            )
            .bind(endpoint)
            .bind(model)
            .bind(profile.structured_output.as_deref())
            .bind(window)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(|source| self.query_error("record provider endpoint", source))
        })
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::super::test_helpers::Fixture;
    use super::*;

    #[tokio::test]
    async fn an_endpoint_profile_is_remembered_and_replaced() {
        let f = Fixture::new().await;
        let url = "http://127.0.0.1:8080/v1/chat/completions";
        assert_eq!(f.store.endpoint_profile(url, "m").await.unwrap(), None);
        let learned = EndpointProfile {
            structured_output: Some("json_object".into()),
            context_window: Some(8192),
        };
        f.store
            .record_endpoint_profile(url, "m", &learned)
            .await
            .unwrap();
        assert_eq!(
            f.store.endpoint_profile(url, "m").await.unwrap(),
            Some(learned)
        );
        let later = EndpointProfile {
            structured_output: Some("none".into()),
            context_window: None,
        };
        f.store
            .record_endpoint_profile(url, "m", &later)
            .await
            .unwrap();
        assert_eq!(
            f.store.endpoint_profile(url, "m").await.unwrap(),
            Some(later)
        );
        assert_eq!(f.store.endpoint_profile(url, "other").await.unwrap(), None);
    }
}
