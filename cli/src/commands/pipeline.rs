//! What the model-using commands share: the provider flags (mapped onto the library's
//! [`ProviderOverrides`]; the library's resolver decides provider, key and concurrency), the
//! config files (flags win), the opened databases and memory folder, the model clients and
//! consolidator they imply, and the one-time note saying where transcripts go.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use codex_memories::ExtractOptions;
use codex_memories::Phase2Options;
use codex_memories::provider::{
    ModelClient, ModelRole, OfflineClient, PreparedProvider, ProviderKind, ProviderOverrides,
    ResolvedProvider, StructuredOutput, build_client_gated, prepare_provider, remember_provider,
    resolve_provider,
};
use codex_memories::{
    AgentConsolidator, Consolidator, OfflineConsolidator, SingleShotConsolidator,
};
use codex_memories::{BudgetedClient, RunBudget};
use codex_memories::{MemoriesConfig, load_config};
use codex_state::{
    AgentSelection, DEFAULT_STAGE1_RUNNING_CAP, MemoryStore, StartupScanParams, StateRuntime,
};

use crate::commands::HomeArgs;
use crate::terminal::notice;

/// How long [`Context::close`] waits for the databases to close before the command exits anyway.
pub const POOL_CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A built-in model provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderChoice {
    /// The OpenAI Responses API.
    Openai,
    /// A Chat-Completions-compatible server (Ollama, vLLM, llama.cpp, LM Studio).
    Chat,
    /// No network: deterministic extractive summaries.
    Offline,
}

impl From<ProviderChoice> for ProviderKind {
    fn from(choice: ProviderChoice) -> Self {
        match choice {
            ProviderChoice::Openai => ProviderKind::OpenAi,
            ProviderChoice::Chat => ProviderKind::Chat,
            ProviderChoice::Offline => ProviderKind::Offline,
        }
    }
}

/// A built-in consolidator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConsolidatorChoice {
    /// A model with file tools, confined to a copy of the memory folder; falls back to
    /// single-shot when the server rejects tools.
    Agent,
    /// One request: the model returns the new MEMORY.md and summary as JSON (for chat models
    /// without tool calls).
    SingleShot,
    /// Deterministic, no model.
    Offline,
}

impl ConsolidatorChoice {
    fn from_setting(name: &str) -> Option<Self> {
        match name {
            "agent" => Some(Self::Agent),
            "single-shot" => Some(Self::SingleShot),
            "offline" => Some(Self::Offline),
            _ => None,
        }
    }

    /// The name used on the command line and in the config.
    fn name(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::SingleShot => "single-shot",
            Self::Offline => "offline",
        }
    }
}

/// How the answer's JSON shape is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StructuredOutputChoice {
    /// json_schema, then json_object, then none, as the endpoint accepts (remembered).
    Auto,
    /// Strict JSON schema only.
    #[value(name = "json_schema")]
    JsonSchema,
    /// JSON object mode with the schema alongside.
    #[value(name = "json_object")]
    JsonObject,
    /// No format; the prompt asks for JSON and the answer is read leniently.
    None,
}

/// Model provider flags; each overrides the setting of the same name in
/// `$CODEX_HOME/codex-memories.toml`.
#[derive(Debug, Clone, Default, Args)]
pub struct ProviderArgs {
    /// Where the model runs [default: provider in codex-memories.toml; else openai when
    /// OPENAI_API_KEY is set; else offline]
    #[arg(long, value_enum, value_name = "NAME")]
    pub provider: Option<ProviderChoice>,
    /// The model (required for chat and for any non-default base URL) [default: extract_model /
    /// consolidation_model]
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// The provider's base URL, e.g. http://127.0.0.1:8080/v1 for a llama.cpp server
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Environment variable holding the API key. OPENAI_API_KEY is only ever sent to the OpenAI
    /// API itself; any other base URL gets a key only from the variable named here [default:
    /// api_key_env; none]
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// The model's context window in tokens [default: context_window; known OpenAI models; for
    /// chat, what the server reports, else 8192]
    #[arg(long, value_name = "TOKENS", value_parser = clap::value_parser!(u64).range(1024..))]
    pub context_window: Option<u64>,
    /// How the answer's JSON shape is requested [default: structured_output; auto]
    #[arg(long, value_enum, value_name = "MODE")]
    pub structured_output: Option<StructuredOutputChoice>,
    /// Model requests in flight at once [default: concurrency; 1 for chat on a loopback URL,
    /// else 8]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: Option<u32>,
    /// The longest one model request may take, in seconds [default: request_timeout_seconds;
    /// 600]
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: Option<u64>,
    /// Stop starting model requests after this many in this run
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Stop starting model requests once this many input tokens are spent in this run
    #[arg(long, value_name = "TOKENS")]
    pub max_input_tokens: Option<u64>,
}

impl ProviderArgs {
    /// The flags as the library's overrides.
    pub fn overrides(&self) -> ProviderOverrides {
        ProviderOverrides::default()
            .with_provider(self.provider.map(ProviderKind::from))
            .with_model(self.model.clone())
            .with_base_url(self.base_url.clone())
            .with_api_key_env(self.api_key_env.clone())
            .with_context_window(self.context_window)
            .with_structured_output(self.structured_output.map(|choice| match choice {
                StructuredOutputChoice::Auto => None,
                StructuredOutputChoice::JsonSchema => Some(StructuredOutput::JsonSchema),
                StructuredOutputChoice::JsonObject => Some(StructuredOutput::JsonObject),
                StructuredOutputChoice::None => Some(StructuredOutput::None),
            }))
            .with_concurrency(self.concurrency)
            .with_request_timeout_seconds(self.request_timeout)
    }
}

/// The opened state of one command run.
pub struct Context {
    /// The state DB (thread index), shared with background work such as `run`'s startup task.
    pub state: Arc<StateRuntime>,
    /// The memories DB, shared like `state`.
    pub store: Arc<MemoryStore>,
    /// The settings after defaults (Codex's `[memories]`, then `codex-memories.toml`).
    pub config: MemoriesConfig,
    /// `<codex_home>/memories`.
    pub memory_root: PathBuf,
}

impl Context {
    /// Opens the databases and reads the config, printing config warnings to stderr.
    pub async fn open(home: &HomeArgs) -> anyhow::Result<Self> {
        let homes = home.resolve()?;
        let config = Self::load_config(&homes)?;
        let state = home.open_state().await?;
        let path = homes.memories_db_path();
        let store = MemoryStore::open(&state)
            .await
            .with_context(|| format!("cannot open the memories database at {}", path.display()))?;
        let memory_root = home.memory_root()?;
        Ok(Self {
            state: Arc::new(state),
            store: Arc::new(store),
            config,
            memory_root,
        })
    }

    /// Reads the settings, printing their warnings to stderr.
    pub fn load_config(homes: &codex_state::Homes) -> anyhow::Result<MemoriesConfig> {
        let (config, warnings) = load_config(&homes.codex_home)?;
        for warning in warnings {
            crate::terminal::eprint_line(&format!(
                "warning: config {}: {}",
                warning.key, warning.message
            ));
            tracing::debug!(key = %warning.key, "{}", warning.message);
        }
        Ok(config)
    }

    /// The run budget from the flags, else the config.
    pub fn budget(&self, args: &ProviderArgs) -> Arc<RunBudget> {
        Arc::new(RunBudget::new(
            args.max_requests.or(self.config.max_requests_per_run),
            args.max_input_tokens
                .or(self.config.max_input_tokens_per_run),
        ))
    }

    /// The provider settings the flags, config and environment select (the library decides).
    pub fn resolve_provider(
        &self,
        args: &ProviderArgs,
        role: ModelRole,
    ) -> anyhow::Result<ResolvedProvider> {
        Ok(resolve_provider(
            &args.overrides(),
            &self.config,
            role,
            |name| std::env::var(name).ok(),
        )?)
    }

    /// The phase-1 client and its settings, prepared from what the memories DB remembers
    /// about its endpoint (and, for `chat`, the context window the server reports); its
    /// transport retries spend requests from `budget`. Call [`Context::remember_provider`] after
    /// the run.
    pub async fn extract_client(
        &self,
        args: &ProviderArgs,
        budget: &Arc<RunBudget>,
    ) -> anyhow::Result<(Arc<dyn ModelClient>, ResolvedProvider, PreparedProvider)> {
        let mut resolved = self.resolve_provider(args, ModelRole::Extraction)?;
        let prepared = prepare_provider(&self.store, &mut resolved).await?;
        let client = build_client_gated(&resolved.config, budget.retry_gate(), || {
            Arc::new(OfflineClient)
        })?;
        announce(&resolved, client.as_ref(), &prepared);
        Ok((client, resolved, prepared))
    }

    /// Keeps what the run learned about the endpoint (the structured-output way it accepts, the
    /// context window it reported) for the next run; a failure costs a warning, not the run.
    pub async fn remember_provider(
        &self,
        resolved: &ResolvedProvider,
        prepared: &PreparedProvider,
    ) {
        if let Err(error) = remember_provider(&self.store, resolved, prepared).await {
            crate::terminal::eprint_line(&format!(
                "warning: cannot remember what the model endpoint accepts: {error}"
            ));
        }
    }

    /// The consolidator the flags and config select, with its own budgeted client.
    pub fn consolidator(
        &self,
        args: &ProviderArgs,
        choice: Option<ConsolidatorChoice>,
        budget: &Arc<RunBudget>,
    ) -> anyhow::Result<Box<dyn Consolidator>> {
        let resolved = self.resolve_provider(args, ModelRole::Consolidation)?;
        let config = &resolved.config;
        let choice = choice
            .or_else(|| {
                self.config
                    .consolidator
                    .as_deref()
                    .and_then(ConsolidatorChoice::from_setting)
            })
            .unwrap_or(match config.kind {
                ProviderKind::Offline => ConsolidatorChoice::Offline,
                _ => ConsolidatorChoice::Agent,
            });
        match choice {
            ConsolidatorChoice::Offline => Ok(Box::new(OfflineConsolidator)),
            kind @ (ConsolidatorChoice::Agent | ConsolidatorChoice::SingleShot) => {
                if config.kind == ProviderKind::Offline {
                    bail!(
                        "the {} consolidator needs a model provider (--provider openai or chat); use --consolidator offline without one",
                        kind.name()
                    );
                }
                let client =
                    build_client_gated(config, budget.retry_gate(), || Arc::new(OfflineClient))?;
                let budgeted = Arc::new(BudgetedClient::new(client, Arc::clone(budget)));
                Ok(if kind == ConsolidatorChoice::Agent {
                    Box::new(AgentConsolidator::new(budgeted, config.model.clone()))
                } else {
                    Box::new(SingleShotConsolidator::new(budgeted, config.model.clone()))
                })
            }
        }
    }

    /// Phase-1 settings from the config, `--max-rollouts`, `--agents` (whose threads may be
    /// claimed) and the resolved provider.
    pub fn extract_options(
        &self,
        resolved: &ResolvedProvider,
        max_rollouts: Option<u32>,
        agents: AgentSelection,
    ) -> ExtractOptions {
        let max_claims = max_rollouts.unwrap_or(self.config.max_rollouts_per_startup);
        let scan = StartupScanParams::default()
            .with_max_rollout_age_days(self.config.max_rollout_age_days)
            .with_min_rollout_idle_hours(self.config.min_rollout_idle_hours)
            .with_max_claims(max_claims)
            // One run holds a lease on every thread it claims (only `concurrency` of them are
            // extracted at once), so a cap below `max_claims` would cut the run short.
            .with_running_cap(max_claims.max(DEFAULT_STAGE1_RUNNING_CAP))
            .with_agents(agents);
        ExtractOptions::default()
            .with_scan(scan)
            .with_concurrency(resolved.concurrency)
            .with_model(resolved.config.model.clone())
    }

    /// Phase-2 settings from the config.
    pub fn phase2_options(&self) -> Phase2Options {
        Phase2Options::default()
            .with_max_inputs(self.config.max_raw_memories_for_consolidation)
            .with_max_unused_days(self.config.max_unused_days)
    }

    /// Closes the pools (checkpointing WAL files), waiting at most [`POOL_CLOSE_TIMEOUT`]: a
    /// pool closes only once every connection is back, and a command that is done must exit
    /// even if one never comes back (what was written is already committed).
    pub async fn close(self) {
        let closing = async {
            self.store.close().await;
            self.state.close().await;
        };
        if tokio::time::timeout(POOL_CLOSE_TIMEOUT, closing)
            .await
            .is_err()
        {
            tracing::warn!(
                timeout = ?POOL_CLOSE_TIMEOUT,
                "the databases did not close in time; exiting without their final WAL checkpoint"
            );
        }
    }
}

fn announce(resolved: &ResolvedProvider, client: &dyn ModelClient, prepared: &PreparedProvider) {
    if resolved.config.kind == ProviderKind::Offline {
        notice(
            "note: using the offline provider (deterministic extractive summaries, no model). \
             Set OPENAI_API_KEY, or pass --provider chat --base-url URL --model M, to use a model.",
        );
    }
    if resolved.config.kind == ProviderKind::Chat
        && let Some(window) = prepared.context_window
    {
        notice(&format!(
            "note: {} at {}: context window {window} tokens (from {}), {} request(s) at a time, structured output {}",
            client.default_model(),
            resolved.config.effective_base_url().unwrap_or_default(),
            prepared.context_window_source,
            resolved.concurrency,
            prepared
                .structured_output
                .map_or("none", |format| format.as_str()),
        ));
    }
    tracing::info!(
        provider = client.provider_name(),
        model = client.default_model(),
        concurrency = resolved.concurrency,
        "model provider selected"
    );
}

/// Says once per run where transcripts go, when that is not this machine. `sessions` is how
/// many the run will send at most.
pub struct DestinationNote {
    line: Option<String>,
    said: std::sync::atomic::AtomicBool,
}

impl DestinationNote {
    /// The note for `resolved` and `client`; silent for offline and loopback providers.
    pub fn new(resolved: &ResolvedProvider, client: &dyn ModelClient, sessions: u64) -> Self {
        let line = resolved.remote_host().map(|host| {
            format!(
                "note: sending the transcripts of up to {sessions} session(s) to {host} (model {}); \
                 --quiet hides this note",
                client.default_model()
            )
        });
        Self {
            line,
            said: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Prints the note the first time it is called (before the first transcript goes out).
    pub fn say_once(&self) {
        if let Some(line) = &self.line
            && !self.said.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            notice(line);
        }
    }
}
