//! Asking a `chat` server how large its context window is, the way each common server says it:
//! llama.cpp's `GET /props` (`default_generation_settings.n_ctx`), Ollama's `POST /api/show`
//! (`num_ctx` in `parameters`, else `<arch>.context_length` in `model_info`) and vLLM's
//! `GET /v1/models` (`max_model_len`). Each probe is bounded by a short timeout and sends no key;
//! a server that answers none of them gets the caller's fallback.

use std::time::Duration;

use serde_json::{Value, json};

use super::ProviderConfig;

/// The longest one probe may take.
pub const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(3);

/// Where a context window came from, for the note a run prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSource {
    /// llama.cpp's `/props`.
    LlamaCppProps,
    /// Ollama's `/api/show`.
    OllamaShow,
    /// vLLM's `/v1/models`.
    VllmModels,
}

impl WindowSource {
    /// The endpoint asked, for messages.
    pub fn endpoint(self) -> &'static str {
        match self {
            Self::LlamaCppProps => "/props",
            Self::OllamaShow => "/api/show",
            Self::VllmModels => "/v1/models",
        }
    }
}

/// The context window the server at `config`'s base URL reports for its model, if any.
pub async fn discover_context_window(config: &ProviderConfig) -> Option<(u64, WindowSource)> {
    let base = config.base_url_value()?.trim_end_matches('/').to_string();
    let model = config.model_name().unwrap_or_default().to_string();
    let root = base.strip_suffix("/v1").unwrap_or(&base).to_string();
    let http = reqwest::Client::builder()
        .connect_timeout(DISCOVERY_TIMEOUT)
        .timeout(DISCOVERY_TIMEOUT)
        .build()
        .ok()?;
    if let Some(props) = get_json(http.get(format!("{root}/props"))).await
        && let Some(window) = llama_cpp_window(&props)
    {
        return Some((window, WindowSource::LlamaCppProps));
    }
    let show = http
        .post(format!("{root}/api/show"))
        .json(&json!({ "model": model }));
    if let Some(show) = get_json(show).await
        && let Some(window) = ollama_window(&show)
    {
        return Some((window, WindowSource::OllamaShow));
    }
    if let Some(models) = get_json(http.get(format!("{base}/models"))).await
        && let Some(window) = vllm_window(&models, &model)
    {
        return Some((window, WindowSource::VllmModels));
    }
    None
}

async fn get_json(request: reqwest::RequestBuilder) -> Option<Value> {
    let response = request.send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

fn positive(value: &Value) -> Option<u64> {
    value.as_u64().filter(|window| *window > 0)
}

/// llama.cpp server: `default_generation_settings.n_ctx` (older builds: top-level `n_ctx`).
fn llama_cpp_window(props: &Value) -> Option<u64> {
    positive(&props["default_generation_settings"]["n_ctx"]).or_else(|| positive(&props["n_ctx"]))
}

/// Ollama: the `num_ctx` it runs with when set, else the model's trained context length.
fn ollama_window(show: &Value) -> Option<u64> {
    let num_ctx = show["parameters"].as_str().and_then(|parameters| {
        parameters.lines().find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("num_ctx"))
                .then(|| words.next()?.parse::<u64>().ok())
                .flatten()
        })
    });
    num_ctx.or_else(|| {
        show["model_info"]
            .as_object()?
            .iter()
            .find_map(|(key, value)| {
                key.ends_with(".context_length")
                    .then(|| positive(value))
                    .flatten()
            })
    })
}

/// vLLM: `max_model_len` of the listed model (or of the only one).
fn vllm_window(models: &Value, model: &str) -> Option<u64> {
    let data = models["data"].as_array()?;
    let entry = data
        .iter()
        .find(|entry| entry["id"] == model)
        .or_else(|| (data.len() == 1).then(|| &data[0]))?;
    positive(&entry["max_model_len"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn each_server_s_answer_is_read() {
        assert_eq!(
            llama_cpp_window(&json!({"default_generation_settings": {"n_ctx": 8192}})),
            Some(8192)
        );
        assert_eq!(
            ollama_window(&json!({"parameters": "stop \"<|im_end|>\"\nnum_ctx 16384",
                                   "model_info": {"qwen2.context_length": 32768}})),
            Some(16384)
        );
        assert_eq!(
            ollama_window(&json!({"model_info": {"llama.context_length": 131072}})),
            Some(131_072)
        );
        assert_eq!(
            vllm_window(
                &json!({"data": [{"id": "a", "max_model_len": 4096},
                                         {"id": "b", "max_model_len": 32768}]}),
                "b"
            ),
            Some(32768)
        );
        assert_eq!(
            vllm_window(
                &json!({"data": [{"id": "smollm2", "object": "model"}]}),
                "smollm2"
            ),
            None
        );
    }
}
