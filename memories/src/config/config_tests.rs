use super::*;
use pretty_assertions::assert_eq;

const CODEX: &str = "/h/config.toml";
const OWN: &str = "/h/codex-memories.toml";

fn parse(
    codex: Option<&str>,
    own: Option<&str>,
) -> Result<(MemoriesConfig, Vec<ConfigWarning>), ConfigError> {
    parse_configs((Path::new(CODEX), codex), (Path::new(OWN), own))
}

#[test]
fn missing_files_or_a_missing_table_give_the_defaults() {
    assert_eq!(
        parse(Some("model = \"x\"\n"), None).unwrap(),
        (MemoriesConfig::default(), vec![])
    );
    let home = tempfile::tempdir().unwrap();
    assert_eq!(
        load_config(home.path()).unwrap(),
        (MemoriesConfig::default(), vec![])
    );
}

#[test]
fn codex_keys_are_read_and_out_of_range_ones_clamped_and_reported() {
    let (config, warnings) = parse(
        Some(
            "[memories]\ngenerate_memories = false\nmax_unused_days = 500\nmin_rollout_idle_hours = 0\nextract_model = \"qwen3\"\n",
        ),
        None,
    )
    .unwrap();
    assert!(!config.generate_memories);
    assert_eq!(config.max_unused_days, 365);
    assert_eq!(config.min_rollout_idle_hours, 1);
    assert_eq!(config.extract_model.as_deref(), Some("qwen3"));
    assert_eq!(
        warnings,
        vec![
            ConfigWarning {
                key: "memories.max_unused_days".into(),
                message: "500 is above 365; using 365".into()
            },
            ConfigWarning {
                key: "memories.min_rollout_idle_hours".into(),
                message: "0 is below 1; using 1".into()
            },
        ]
    );
}

#[test]
fn every_key_codex_0_169_defines_in_its_memories_table_is_accepted_silently() {
    let table = "[memories]\nversion = \"v1\"\ndual_write = true\ndisable_on_external_context = true\n\
                 generate_memories = true\nuse_memories = true\ndedicated_tools = true\n\
                 max_raw_memories_for_consolidation = 64\nmax_unused_days = 10\n\
                 max_rollout_age_days = 5\nmax_rollouts_per_startup = 4\nmin_rollout_idle_hours = 2\n\
                 min_rate_limit_remaining_percent = 25\nextract_model = \"gpt-5.1-codex-mini\"\n\
                 consolidation_model = \"gpt-5.1\"\nconsolidation_service_tier = \"flex\"\n";
    let (config, warnings) = parse(Some(table), None).unwrap();
    assert_eq!(warnings, vec![]);
    assert_eq!(
        config,
        MemoriesConfig {
            max_raw_memories_for_consolidation: 64,
            max_unused_days: 10,
            max_rollout_age_days: 5,
            max_rollouts_per_startup: 4,
            min_rollout_idle_hours: 2,
            extract_model: Some("gpt-5.1-codex-mini".into()),
            consolidation_model: Some("gpt-5.1".into()),
            ..MemoriesConfig::default()
        }
    );
}

#[test]
fn our_own_keys_are_read_from_codex_memories_toml() {
    let own = "provider = \"chat\"\nbase_url = \"http://127.0.0.1:8080/v1\"\napi_key_env = \"LOCAL_KEY\"\n\
               concurrency = 2\ncontext_window = 8192\nstructured_output = \"json_object\"\n\
               consolidator = \"offline\"\nextract_model = \"smollm2\"\nrequest_timeout_seconds = 120\n";
    let (config, warnings) =
        parse(Some("[memories]\nextract_model = \"gpt\"\n"), Some(own)).unwrap();
    assert_eq!(warnings, vec![]);
    assert_eq!(
        config,
        MemoriesConfig {
            provider: Some("chat".into()),
            base_url: Some("http://127.0.0.1:8080/v1".into()),
            api_key_env: Some("LOCAL_KEY".into()),
            concurrency: Some(2),
            context_window: Some(8192),
            structured_output: Some("json_object".into()),
            consolidator: Some("offline".into()),
            extract_model: Some("smollm2".into()),
            request_timeout_seconds: Some(120),
            ..MemoriesConfig::default()
        }
    );
}

#[test]
fn our_keys_left_in_codex_s_table_are_still_read_with_one_notice_saying_how_to_move_them() {
    let (config, warnings) = parse(
        Some("[memories]\nversion = \"v1\"\nprovider = \"chat\"\nbase_url = \"http://h/v1\"\n"),
        None,
    )
    .unwrap();
    assert_eq!(config.provider.as_deref(), Some("chat"));
    assert_eq!(config.base_url.as_deref(), Some("http://h/v1"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].key, "memories.base_url, memories.provider");
    assert!(
        warnings[0].message.contains("--strict-config")
            && warnings[0].message.contains("/h/codex-memories.toml"),
        "{}",
        warnings[0].message
    );
}

#[test]
fn our_file_wins_over_old_keys_in_codex_s_table() {
    let (config, _) = parse(
        Some("[memories]\nprovider = \"openai\"\n"),
        Some("provider = \"offline\"\n"),
    )
    .unwrap();
    assert_eq!(config.provider.as_deref(), Some("offline"));
}

#[test]
fn unknown_keys_of_our_file_are_warned_about() {
    let (_, warnings) = parse(None, Some("surprise = 1\nversion = \"v1\"\n")).unwrap();
    assert_eq!(
        warnings.iter().map(|w| w.key.as_str()).collect::<Vec<_>>(),
        vec!["surprise", "version"]
    );
}

#[test]
fn a_wrong_type_is_an_error_naming_the_key_and_file() {
    let error = parse(Some("[memories]\nuse_memories = \"yes\"\n"), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "/h/config.toml: `memories.use_memories` must be true or false"
    );
    let error = parse(None, Some("structured_output = \"xml\"\n")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "/h/codex-memories.toml: `structured_output` must be one of: auto, json_schema, json_object, none"
    );
}

#[test]
fn invalid_toml_names_the_file() {
    let error = parse(None, Some("provider = \n")).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("/h/codex-memories.toml is not valid TOML"),
        "{error}"
    );
}
