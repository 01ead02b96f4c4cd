use super::*;
use pretty_assertions::assert_eq;

fn env_with(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

fn resolve(
    overrides: ProviderOverrides,
    file: MemoriesConfig,
    env: &[(&str, &str)],
) -> ResolvedProvider {
    resolve_provider(&overrides, &file, ModelRole::Extraction, env_with(env)).unwrap()
}

#[test]
fn nothing_configured_and_no_key_is_offline() {
    let resolved = resolve(ProviderOverrides::default(), MemoriesConfig::default(), &[]);
    assert_eq!(resolved.config.kind, ProviderKind::Offline);
    assert_eq!(resolved.remote_host(), None);
}

#[test]
fn openai_api_key_goes_only_to_the_default_openai_url() {
    let env = [("OPENAI_API_KEY", "sk-test")];
    let default = resolve(
        ProviderOverrides::default(),
        MemoriesConfig::default(),
        &env,
    );
    assert_eq!(default.config.kind, ProviderKind::OpenAi);
    assert_eq!(default.config.api_key_env_name(), Some("OPENAI_API_KEY"));
    assert_eq!(default.remote_host().as_deref(), Some("api.openai.com"));
    for (provider, url) in [
        (ProviderKind::OpenAi, "https://proxy.example/v1"),
        (ProviderKind::Chat, "http://127.0.0.1:8080/v1"),
        (ProviderKind::Chat, "https://api.openai.com.evil.example/v1"),
    ] {
        let resolved = resolve(
            ProviderOverrides {
                provider: Some(provider),
                base_url: Some(url.into()),
                model: Some("m".into()),
                ..ProviderOverrides::default()
            },
            MemoriesConfig::default(),
            &env,
        );
        assert_eq!(
            resolved.config.api_key_env_name(),
            None,
            "{provider} at {url}"
        );
    }
}

#[test]
fn a_named_key_variable_is_used_for_any_url_and_the_flag_wins_over_the_file() {
    let file = MemoriesConfig {
        provider: Some("chat".into()),
        base_url: Some("https://vllm.example/v1".into()),
        api_key_env: Some("FILE_KEY".into()),
        ..MemoriesConfig::default()
    };
    let resolved = resolve(ProviderOverrides::default(), file.clone(), &[]);
    assert_eq!(resolved.config.api_key_env_name(), Some("FILE_KEY"));
    let resolved = resolve(
        ProviderOverrides {
            api_key_env: Some("FLAG_KEY".into()),
            ..ProviderOverrides::default()
        },
        file,
        &[],
    );
    assert_eq!(resolved.config.api_key_env_name(), Some("FLAG_KEY"));
}

#[test]
fn chat_on_a_loopback_url_runs_one_request_at_a_time_unless_told_otherwise() {
    let local = |url: &str, concurrency: Option<u32>| {
        resolve(
            ProviderOverrides {
                provider: Some(ProviderKind::Chat),
                base_url: Some(url.into()),
                concurrency,
                ..ProviderOverrides::default()
            },
            MemoriesConfig::default(),
            &[],
        )
    };
    for url in [
        "http://127.0.0.1:8080/v1",
        "http://localhost:11434/v1",
        "http://[::1]:8000/v1",
        "http://127.1.2.3/v1",
    ] {
        let resolved = local(url, None);
        assert_eq!(resolved.concurrency, LOCAL_CHAT_CONCURRENCY, "{url}");
        assert_eq!(resolved.remote_host(), None, "{url}");
    }
    assert_eq!(local("http://127.0.0.1:8080/v1", Some(4)).concurrency, 4);
    let remote = local("https://gpu.example:8443/v1", None);
    assert_eq!(remote.concurrency, DEFAULT_CONCURRENCY);
    assert_eq!(remote.remote_host().as_deref(), Some("gpu.example:8443"));
}

#[test]
fn models_come_from_the_role_s_setting_and_the_flag_wins() {
    let file = MemoriesConfig {
        extract_model: Some("small".into()),
        consolidation_model: Some("big".into()),
        ..MemoriesConfig::default()
    };
    let for_role = |role| {
        resolve_provider(&ProviderOverrides::default(), &file, role, env_with(&[]))
            .unwrap()
            .config
            .model
    };
    assert_eq!(for_role(ModelRole::Extraction).as_deref(), Some("small"));
    assert_eq!(for_role(ModelRole::Consolidation).as_deref(), Some("big"));
}

#[test]
fn structured_output_and_context_window_come_from_flag_then_file() {
    let file = MemoriesConfig {
        structured_output: Some("json_object".into()),
        context_window: Some(4096),
        ..MemoriesConfig::default()
    };
    let resolved = resolve(ProviderOverrides::default(), file.clone(), &[]);
    assert_eq!(
        resolved.config.structured_output,
        StructuredOutputSetting::fixed(StructuredOutput::JsonObject)
    );
    assert_eq!(resolved.config.context_window, Some(4096));
    let resolved = resolve(
        ProviderOverrides {
            structured_output: Some(None),
            context_window: Some(16_384),
            ..ProviderOverrides::default()
        },
        file,
        &[],
    );
    assert_eq!(
        resolved.config.structured_output,
        StructuredOutputSetting::default()
    );
    assert_eq!(resolved.config.context_window, Some(16_384));
}
