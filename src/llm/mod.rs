//! The LLM: decides what the rules cannot, and writes the explanation, through any
//! OpenAI-compatible API (OpenAI, Azure OpenAI, Ollama, vLLM, LiteLLM).
//!
//! The agent stays correct without it: [`LlmClassifier::decide`] always returns a diagnosis,
//! the rules' own when the LLM is off, not needed, slow, wrong or hostile, and records what
//! happened in [`Diagnosis::llm`].
//!
//! Layout: `config` (settings, the key), `prompt` + `tokens` (templates and budget),
//! `schema` (the answer type and its JSON Schema), `client` (HTTP, retries), `decide` (the
//! hybrid decision), `cache`, `limits` (hourly budget), `metrics`.

pub mod cache;
pub mod client;
pub mod config;
pub mod decide;
pub mod limits;
pub mod metrics;
pub mod prompt;
pub mod schema;
pub mod tokens;

pub use config::{LlmConfig, LlmMode, SecretString, StructuredMode};
pub use decide::{LlmOpinion, LlmOutcome};
pub use metrics::LlmMetrics;
pub use schema::LlmAnswer;

use crate::analysis::rules::RulesOutcome;
use crate::diagnosis::Diagnosis;
use crate::evidence::Evidence;
use crate::redact::Redactor;
use cache::{AnswerCache, CachedAnswer};
use client::{CallError, Transport};
use config::ConfigError;
use limits::HourlyBudget;
use prompt::Prompts;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Semaphore;

const CACHE_ENTRIES: usize = 1024;
/// The invalid answer is echoed back in the repair request only this far.
const REPAIR_ECHO_CHARS: usize = 4000;

/// Shared across incidents: clone freely (one `Arc`).
#[derive(Clone, Debug)]
pub struct LlmClassifier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: LlmConfig,
    prompts: Prompts,
    transport: Option<Transport>,
    permits: Semaphore,
    budget: HourlyBudget,
    cache: AnswerCache,
    /// Set once a server rejected `json_schema` (structured mode auto): JSON mode from then.
    json_object_only: AtomicBool,
    metrics: LlmMetrics,
    redactor: Redactor,
}

/// Why the LLM's answer could not be used.
#[derive(Debug)]
enum Failure {
    Call(CallError),
    Invalid(String),
    Busy,
    TooLarge,
}

impl Failure {
    fn reason(&self) -> String {
        match self {
            Failure::Call(e) => e.reason(),
            Failure::Invalid(why) => format!("llm answer invalid after one repair: {why}"),
            Failure::Busy => "llm busy (no free slot in time)".into(),
            Failure::TooLarge => "llm prompt does not fit the context window".into(),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Failure::Call(e) => e.label(),
            Failure::Invalid(_) => "invalid_answer",
            Failure::Busy => "busy",
            Failure::TooLarge => "too_large",
        }
    }
}

impl LlmClassifier {
    /// Reads the key and the prompt overrides now, so a bad mount fails at start rather than
    /// at the first incident. With mode `Off` nothing is read and no client is built.
    pub fn new(config: LlmConfig, redactor: Redactor) -> Result<Self, ConfigError> {
        if config.mode == LlmMode::Off {
            return Ok(Self::build(config, redactor, Prompts::embedded(), None));
        }
        config.validate()?;
        let prompts = Prompts::load(config.prompts_dir.as_deref())?;
        let transport = Transport::new(&config, config.resolve_key()?)?;
        Ok(Self::build(config, redactor, prompts, Some(transport)))
    }

    /// Rules only, no client: what `--llm off` builds.
    pub fn off() -> Self {
        Self::build(
            LlmConfig::default(),
            Redactor::default(),
            Prompts::embedded(),
            None,
        )
    }

    fn build(
        config: LlmConfig,
        redactor: Redactor,
        prompts: Prompts,
        transport: Option<Transport>,
    ) -> Self {
        LlmClassifier {
            inner: Arc::new(Inner {
                permits: Semaphore::new(config.concurrency.max(1)),
                budget: HourlyBudget::new(config.calls_per_hour),
                cache: AnswerCache::new(CACHE_ENTRIES),
                json_object_only: AtomicBool::new(config.structured == StructuredMode::JsonObject),
                metrics: LlmMetrics::default(),
                prompts,
                transport,
                config,
                redactor,
            }),
        }
    }

    pub fn metrics(&self) -> &LlmMetrics {
        &self.inner.metrics
    }

    pub fn config(&self) -> &LlmConfig {
        &self.inner.config
    }

    pub fn prompt_version(&self) -> String {
        self.inner.prompts.version()
    }

    /// The prompt as it would be sent (after redaction), for inspection and tests.
    pub fn render_prompt(&self, ev: &Evidence, rules: &RulesOutcome) -> prompt::RenderedPrompt {
        let c = &self.inner.config;
        let mut p = prompt::render(
            &self.inner.prompts,
            ev,
            rules,
            c.context_window,
            c.max_output_tokens,
        );
        // Defence in depth: the evidence was redacted when it was built.
        p.system = self.inner.redactor.text(&p.system).into_owned();
        p.user = self.inner.redactor.text(&p.user).into_owned();
        p
    }

    /// Always a diagnosis.
    pub async fn decide(&self, ev: &Evidence, rules: RulesOutcome) -> Diagnosis {
        let inner = &self.inner;
        let cfg = &inner.config;
        let mut opinion = LlmOpinion {
            model: cfg.model.clone(),
            prompt_version: inner.prompts.version(),
            rules_category: rules.decision.category,
            rules_confidence: (rules.decision.confidence * 100.0).round() / 100.0,
            llm_category: None,
            llm_confidence: None,
            agrees: None,
            outcome: LlmOutcome::Skipped,
            fallback_reason: None,
            dropped_citations: Vec::new(),
            cached: false,
            tokens_in: None,
            tokens_out: None,
        };
        let transport = match (&inner.transport, cfg.mode) {
            (None, _) | (_, LlmMode::Off) => return decide::rules_only(ev, rules, None),
            (Some(_), LlmMode::Auto) if decide::rules_confident(&rules) => {
                return decide::rules_only(ev, rules, Some(opinion));
            }
            (Some(t), _) => t,
        };

        let prompt = self.render_prompt(ev, &rules);
        if prompt.tokens > prompt.budget {
            // Only when the instructions and the rules' hints alone outgrow a tiny window:
            // the evidence itself is always cut to fit.
            return self.fall_back(ev, rules, opinion, &Failure::TooLarge);
        }
        let key = cache::key(&prompt.system, &prompt.user, &cfg.model, &prompt.version);
        let got = match inner.cache.get(&key) {
            Some(hit) => {
                inner.metrics.cache_hits.inc();
                opinion.cached = true;
                Ok(hit)
            }
            None => {
                let fresh = self.exchange(transport, &prompt).await;
                if let Ok(a) = &fresh {
                    inner.cache.put(key, a.clone());
                }
                fresh
            }
        };
        match got {
            Ok(a) => {
                opinion.tokens_in = a.tokens_in;
                opinion.tokens_out = a.tokens_out;
                let checked = decide::check(a.answer, ev);
                decide::combine(ev, rules, &checked, &inner.redactor, opinion)
            }
            Err(f) => self.fall_back(ev, rules, opinion, &f),
        }
    }

    fn fall_back(
        &self,
        ev: &Evidence,
        rules: RulesOutcome,
        mut opinion: LlmOpinion,
        f: &Failure,
    ) -> Diagnosis {
        tracing::warn!(rollout = %ev.rollout, reason = %f.reason(), "LLM failed; the rules decide");
        self.inner.metrics.fallback(f.label());
        opinion.outcome = LlmOutcome::Fallback;
        opinion.fallback_reason = Some(f.reason());
        decide::rules_only(ev, rules, Some(opinion))
    }

    /// One question with at most one repair: ask, validate, and if invalid say why and ask
    /// once more.
    async fn exchange(
        &self,
        transport: &Transport,
        prompt: &prompt::RenderedPrompt,
    ) -> Result<CachedAnswer, Failure> {
        let inner = &self.inner;
        let cfg = &inner.config;
        // Waiting longer than a call may take means the backlog will not clear in time.
        let wait = cfg.timeout.saturating_mul(cfg.max_tries as u32);
        let _permit = match tokio::time::timeout(wait, inner.permits.acquire()).await {
            Ok(Ok(p)) => p,
            _ => return Err(Failure::Busy),
        };
        let mut messages = vec![
            json!({"role": "system", "content": prompt.system}),
            json!({"role": "user", "content": prompt.user}),
        ];
        let mut tokens = (None, None);
        let first = self
            .call(transport, &messages)
            .await
            .map_err(Failure::Call)?;
        add_tokens(&mut tokens, &first);
        let why = match schema::parse_answer(&first.content) {
            Ok(answer) => return Ok(cached(answer, tokens)),
            Err(why) => why.0,
        };
        tracing::debug!(%why, "LLM answer invalid; one repair attempt");
        let echo: String = first.content.chars().take(REPAIR_ECHO_CHARS).collect();
        messages.push(json!({"role": "assistant", "content": inner.redactor.text(&echo)}));
        messages.push(json!({"role": "user", "content": format!(
            "That answer is invalid: {why}. Reply again with exactly one JSON object matching \
             the schema in the instructions; category must be one of the listed values."
        )}));
        let second = self
            .call(transport, &messages)
            .await
            .map_err(Failure::Call)?;
        add_tokens(&mut tokens, &second);
        schema::parse_answer(&second.content)
            .map(|a| cached(a, tokens))
            .map_err(|why| Failure::Invalid(why.0))
    }

    /// One request, JSON Schema first; a server that rejects it gets JSON mode, now and for
    /// the rest of the process.
    async fn call(
        &self,
        transport: &Transport,
        messages: &[Value],
    ) -> Result<client::Reply, CallError> {
        let inner = &self.inner;
        let schema_allowed = inner.config.structured != StructuredMode::JsonObject
            && !inner.json_object_only.load(Ordering::Relaxed);
        let reply = match transport
            .chat(
                &self.body(messages, schema_allowed),
                &inner.metrics,
                &inner.budget,
            )
            .await
        {
            Err(CallError::SchemaUnsupported)
                if schema_allowed && inner.config.structured == StructuredMode::Auto =>
            {
                tracing::info!("the LLM server rejected json_schema; using JSON mode from now on");
                inner.json_object_only.store(true, Ordering::Relaxed);
                transport
                    .chat(&self.body(messages, false), &inner.metrics, &inner.budget)
                    .await
            }
            other => other,
        }?;
        inner.metrics.tokens(reply.tokens_in, reply.tokens_out);
        Ok(reply)
    }

    fn body(&self, messages: &[Value], json_schema: bool) -> Value {
        let cfg = &self.inner.config;
        json!({
            "model": cfg.model,
            "messages": messages,
            "temperature": 0,
            // `max_tokens` rather than `max_completion_tokens`: every compatible server
            // (vLLM, Ollama, LiteLLM, Azure) accepts it.
            "max_tokens": cfg.max_output_tokens,
            "stream": false,
            "response_format": schema::response_format(json_schema),
        })
    }
}

fn add_tokens(sum: &mut (Option<u64>, Option<u64>), r: &client::Reply) {
    let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    };
    sum.0 = add(sum.0, r.tokens_in);
    sum.1 = add(sum.1, r.tokens_out);
}

fn cached(answer: LlmAnswer, tokens: (Option<u64>, Option<u64>)) -> CachedAnswer {
    CachedAnswer {
        answer,
        tokens_in: tokens.0,
        tokens_out: tokens.1,
    }
}
