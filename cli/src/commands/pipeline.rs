//! What the model-using commands share: the provider flags, the `[memories]` config (flags win),
//! the opened databases and memory folder, the model clients and consolidator they imply, and a
//! progress bar that only draws on a terminal.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use codex_memories::budget::{BudgetedClient, RunBudget};
use codex_memories::config::{MemoriesConfig, load_config};
use codex_memories::consolidator::{AgentConsolidator, Consolidator, OfflineConsolidator};
use codex_memories::phase1::run::ExtractOptions;
use codex_memories::phase2::run::Phase2Options;
use codex_memories::provider::{
    DEFAULT_OPENAI_API_KEY_ENV, ModelClient, OfflineClient, ProviderConfig, ProviderKind,
    build_client_gated, known_context_window, resolve_kind,
};
use codex_state::{DEFAULT_STAGE1_RUNNING_CAP, MemoryStore, StartupScanParams, StateRuntime};
use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::HomeArgs;

/// How often a progress bar redraws on its own.
const PROGRESS_TICK: Duration = Duration::from_millis(120);

/// Model provider flags; each overrides the `[memories]` key of the same name.
#[derive(Debug, Clone, Default, Args)]
pub struct ProviderArgs {
    /// openai (Responses API), chat (Chat-Completions servers: Ollama, vLLM, llama.cpp, LM
    /// Studio) or offline (no network) [default: [memories] provider; else openai when
    /// OPENAI_API_KEY is set; else offline]
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// The model (required for chat and for any non-default base URL) [default: [memories]
    /// extract_model]
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// The provider's base URL, e.g. http://localhost:11434/v1 for Ollama
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Environment variable holding the API key [default: OPENAI_API_KEY]
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Stop starting model requests after this many in this run
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Stop starting model requests once this many input tokens are spent in this run
    #[arg(long, value_name = "TOKENS")]
    pub max_input_tokens: Option<u64>,
}

/// The opened state of one command run.
pub struct Context {
    /// The state DB (thread index).
    pub state: StateRuntime,
    /// The memories DB.
    pub store: MemoryStore,
    /// `[memories]` after defaults.
    pub config: MemoriesConfig,
    /// `<codex_home>/memories`.
    pub memory_root: PathBuf,
}

impl Context {
    /// Opens the databases and reads the config, printing config warnings to stderr.
    pub async fn open(home: &HomeArgs) -> anyhow::Result<Self> {
        let homes = home.resolve()?;
        let (config, warnings) = load_config(&homes.codex_home)?;
        for warning in warnings {
            eprintln!("warning: config {}: {}", warning.key, warning.message);
            tracing::warn!(key = %warning.key, "{}", warning.message);
        }
        let state = home.open_state().await?;
        let path = homes.memories_db_path();
        let store = MemoryStore::open(&state)
            .await
            .with_context(|| format!("cannot open the memories database at {}", path.display()))?;
        let memory_root = home.memory_root()?;
        Ok(Self {
            state,
            store,
            config,
            memory_root,
        })
    }

    /// The run budget from the flags, else the config.
    pub fn budget(&self, args: &ProviderArgs) -> Arc<RunBudget> {
        Arc::new(RunBudget::new(
            args.max_requests.or(self.config.max_requests_per_run),
            args.max_input_tokens
                .or(self.config.max_input_tokens_per_run),
        ))
    }

    /// The provider settings the flags and config select.
    pub fn provider_config(
        &self,
        args: &ProviderArgs,
        model: Option<String>,
    ) -> anyhow::Result<ProviderConfig> {
        let explicit = args
            .provider
            .as_deref()
            .or(self.config.provider.as_deref())
            .map(str::parse::<ProviderKind>)
            .transpose()
            .context("--provider / [memories] provider")?;
        let key_env = args
            .api_key_env
            .clone()
            .or_else(|| self.config.api_key_env.clone())
            .unwrap_or_else(|| DEFAULT_OPENAI_API_KEY_ENV.to_string());
        let has_key = std::env::var(&key_env).is_ok_and(|key| !key.trim().is_empty());
        let kind = resolve_kind(explicit, has_key);
        let mut config = ProviderConfig::new(kind);
        config.base_url = args
            .base_url
            .clone()
            .or_else(|| self.config.base_url.clone());
        config.model = model;
        config.api_key_env = Some(key_env);
        config.context_window = config.model.as_deref().and_then(known_context_window);
        Ok(config)
    }

    /// The phase-1 client; its transport retries spend requests from `budget`.
    pub fn extract_client(
        &self,
        args: &ProviderArgs,
        budget: &Arc<RunBudget>,
    ) -> anyhow::Result<Arc<dyn ModelClient>> {
        let model = args
            .model
            .clone()
            .or_else(|| self.config.extract_model.clone());
        let config = self.provider_config(args, model)?;
        let client = build_client_gated(&config, budget.retry_gate(), || Arc::new(OfflineClient))?;
        announce(&config, client.as_ref());
        Ok(client)
    }

    /// The consolidator the flags and config select, with its own budgeted client.
    pub fn consolidator(
        &self,
        args: &ProviderArgs,
        choice: Option<&str>,
        budget: &Arc<RunBudget>,
    ) -> anyhow::Result<Box<dyn Consolidator>> {
        let model = args
            .model
            .clone()
            .or_else(|| self.config.consolidation_model.clone());
        let config = self.provider_config(args, model.clone())?;
        let choice = choice
            .map(str::to_string)
            .or_else(|| self.config.consolidator.clone())
            .unwrap_or_else(|| match config.kind {
                ProviderKind::Offline => "offline".to_string(),
                _ => "agent".to_string(),
            });
        match choice.as_str() {
            "offline" => Ok(Box::new(OfflineConsolidator)),
            "agent" => {
                if config.kind == ProviderKind::Offline {
                    bail!(
                        "the agent consolidator needs a model provider (--provider openai or chat); use --consolidator offline without one"
                    );
                }
                let client =
                    build_client_gated(&config, budget.retry_gate(), || Arc::new(OfflineClient))?;
                let budgeted = Arc::new(BudgetedClient::new(client, Arc::clone(budget)));
                Ok(Box::new(AgentConsolidator::new(budgeted, model)))
            }
            other => bail!("unknown consolidator `{other}`; use agent or offline"),
        }
    }

    /// Phase-1 settings from the config (and `--max-rollouts`).
    pub fn extract_options(
        &self,
        args: &ProviderArgs,
        max_rollouts: Option<u32>,
    ) -> ExtractOptions {
        let max_claims = max_rollouts.unwrap_or(self.config.max_rollouts_per_startup);
        let scan = StartupScanParams {
            max_rollout_age_days: self.config.max_rollout_age_days,
            min_rollout_idle_hours: self.config.min_rollout_idle_hours,
            max_claims,
            // One run holds a lease on every thread it claims (only `concurrency` of them are
            // extracted at once), so a cap below `max_claims` would cut the run short.
            running_cap: max_claims.max(DEFAULT_STAGE1_RUNNING_CAP),
            ..StartupScanParams::default()
        };
        ExtractOptions {
            scan,
            concurrency: self.config.concurrency as usize,
            model: args
                .model
                .clone()
                .or_else(|| self.config.extract_model.clone()),
            ..ExtractOptions::default()
        }
    }

    /// Phase-2 settings from the config.
    pub fn phase2_options(&self) -> Phase2Options {
        Phase2Options {
            max_inputs: self.config.max_raw_memories_for_consolidation,
            max_unused_days: self.config.max_unused_days,
            ..Phase2Options::default()
        }
    }

    /// Closes the pools (checkpointing WAL files).
    pub async fn close(self) {
        self.store.close().await;
        self.state.close().await;
    }
}

fn announce(config: &ProviderConfig, client: &dyn ModelClient) {
    if config.kind == ProviderKind::Offline {
        eprintln!(
            "note: using the offline provider (deterministic extractive summaries, no model). \
             Set OPENAI_API_KEY, or pass --provider chat --base-url URL --model M, to use a model."
        );
    }
    tracing::info!(
        provider = client.provider_name(),
        model = client.default_model(),
        "model provider selected"
    );
}

/// A bar on stderr when it is a terminal, hidden otherwise.
pub fn progress_bar(template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(PROGRESS_TICK);
    bar
}
