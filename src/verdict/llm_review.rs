//! The LLM behind [`VerdictReviewer`]: it reads the statistical verdict (score, every metric
//! result, the judges' redacted reasons and notes) and answers `{verdict, reason}`. Only the
//! answer's shape is trusted: anything else (no JSON, an unknown verdict, extra fields, a
//! reason with control characters) is an error, and the statistical verdict stands. What it
//! says can only make the verdict stricter; [`super::review::Reviews`] enforces that.
//!
//! The prompt is `prompts/v1/verdict_review.md` (embedded), or `verdict_review.md` from
//! `--prompts-dir`. A line `<!-- user -->` splits it into the system and the user message.

use super::request::Outcome;
use super::review::{Review, ReviewFuture, ReviewInput, VerdictReviewer};
use crate::llm::client::{CallError, Transport};
use crate::llm::config::{ConfigError, LlmConfig, LlmMode, StructuredMode};
use crate::llm::limits::HourlyBudget;
use crate::llm::metrics::LlmMetrics;
use crate::llm::prompt::{Template, fenced, neutralize};
use crate::redact::Redactor;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

const PROMPT_V1: &str = include_str!("../../prompts/v1/verdict_review.md");
/// The override's file name in `--prompts-dir`.
pub const PROMPT_FILE: &str = "verdict_review.md";
const USER_MARKER: &str = "<!-- user -->";
const SCHEMA_NAME: &str = "rollout_verdict_review";
pub const MAX_REASON_CHARS: usize = 500;
/// Each data line is cut to this many characters; a log template can be long.
const MAX_LINE_CHARS: usize = 400;
const MAX_OUTPUT_TOKENS: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum ReviewVerdict {
    Pass,
    Inconclusive,
    Fail,
}

/// What the model must answer, and all it may answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewAnswer {
    /// "fail" or "inconclusive" only when the data shows a problem; else "pass".
    pub verdict: ReviewVerdict,
    /// One sentence citing the fact that decided.
    pub reason: String,
}

/// The answer's JSON Schema in OpenAI's strict subset: closed, every property required.
pub fn answer_schema() -> Value {
    let mut v = schemars::schema_for!(ReviewAnswer).to_value();
    if let Some(obj) = v.as_object_mut() {
        obj.remove("$schema");
        obj.remove("title");
        obj.insert("required".into(), json!(["verdict", "reason"]));
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    v
}

/// Reads the model's content. Errors name what is wrong without quoting the model.
pub fn parse_answer(content: &str) -> Result<ReviewAnswer, String> {
    let mut text = content.trim();
    // A Markdown fence around the object is tolerated; nothing else around it is.
    if let Some(inner) = text.strip_prefix("```") {
        let inner = inner.strip_prefix("json").unwrap_or(inner);
        text = inner.strip_suffix("```").unwrap_or(inner).trim();
    }
    let value: Value =
        serde_json::from_str(text).map_err(|_| "the answer is not one JSON object".to_owned())?;
    let answer: ReviewAnswer = serde_json::from_value(value)
        .map_err(|_| "the answer does not match the schema (verdict pass|inconclusive|fail, reason, nothing else)".to_owned())?;
    let reason = answer.reason.trim();
    if reason.is_empty() {
        return Err("the reason is empty".into());
    }
    if reason.chars().any(char::is_control) {
        return Err("the reason holds control characters".into());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!(
            "the reason is longer than {MAX_REASON_CHARS} characters"
        ));
    }
    Ok(ReviewAnswer {
        reason: reason.to_owned(),
        ..answer
    })
}

pub struct LlmReviewer {
    cfg: LlmConfig,
    system: Option<Template>,
    user: Template,
    version: String,
    transport: Transport,
    budget: HourlyBudget,
    metrics: LlmMetrics,
    redactor: Redactor,
    /// Set once the server rejected `json_schema` (structured mode auto).
    json_object_only: AtomicBool,
}

impl LlmReviewer {
    /// `None` when the LLM is off. Reads the key and a prompt override now, so a bad mount
    /// fails at start.
    pub fn new(cfg: LlmConfig, redactor: Redactor) -> Result<Option<LlmReviewer>, ConfigError> {
        if cfg.mode == LlmMode::Off {
            return Ok(None);
        }
        cfg.validate()?;
        let text = match cfg.prompts_dir.as_ref().map(|d| d.join(PROMPT_FILE)) {
            Some(path) => match std::fs::read_to_string(&path) {
                Ok(t) => Some((t, path)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(ConfigError::Prompt {
                        path,
                        kind: e.kind(),
                    });
                }
            },
            None => None,
        };
        let template = match text {
            Some((t, path)) => Template::parse(&t).ok_or(ConfigError::PromptVersion(path))?,
            None => Template::parse(PROMPT_V1).ok_or_else(|| {
                ConfigError::Invalid("embedded verdict prompt has no version".into())
            })?,
        };
        let vars = BTreeMap::new();
        let body = template.render(&vars);
        let (system, user) = match body.split_once(USER_MARKER) {
            Some((s, u)) => (Some(s.trim().to_owned()), u.trim().to_owned()),
            None => (None, body.trim().to_owned()),
        };
        let header = |b: String| Template::parse(&format!("version: {}\n{b}", template.version));
        let transport = Transport::new(&cfg, cfg.resolve_key()?)?;
        Ok(Some(LlmReviewer {
            system: system.and_then(header),
            user: header(user)
                .ok_or_else(|| ConfigError::Invalid("empty verdict prompt".into()))?,
            version: template.version.clone(),
            budget: HourlyBudget::new(cfg.calls_per_hour),
            metrics: LlmMetrics::default(),
            json_object_only: AtomicBool::new(cfg.structured == StructuredMode::JsonObject),
            transport,
            cfg,
            redactor,
        }))
    }

    pub fn prompt_version(&self) -> &str {
        &self.version
    }

    pub fn metrics(&self) -> &LlmMetrics {
        &self.metrics
    }

    /// The messages as they would be sent: redacted, untrusted text fenced and flattened.
    pub fn render(&self, input: &ReviewInput) -> Vec<Value> {
        let line = |s: &str| {
            let s = neutralize(&self.redactor.text(s));
            if s.chars().count() > MAX_LINE_CHARS {
                s.chars().take(MAX_LINE_CHARS).collect::<String>() + "…"
            } else {
                s
            }
        };
        let metrics: Vec<String> = input
            .metrics
            .iter()
            .map(|m| {
                let critical = if m.critical { ", critical" } else { "" };
                line(&format!(
                    "{} (group {}{critical}): {:?}: {}",
                    m.name, m.group, m.classification, m.reason
                ))
            })
            .collect();
        let findings: Vec<String> = input
            .statistical
            .reasons
            .iter()
            .chain(&input.notes)
            .map(|r| line(r))
            .collect();
        let s = &input.statistical;
        let vars = BTreeMap::from([
            ("schema", answer_schema().to_string()),
            (
                "rollout",
                line(&format!("{}/{}", input.namespace, input.rollout)),
            ),
            ("canary", line(&input.canary_hash)),
            (
                "verdict",
                serde_json::to_value(s.verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            ),
            ("score", format!("{:.1}", s.score)),
            ("category", line(&s.category)),
            (
                "metrics",
                if metrics.is_empty() {
                    "(no metrics requested)".into()
                } else {
                    fenced(&metrics)
                },
            ),
            (
                "findings",
                if findings.is_empty() {
                    "(none)".into()
                } else {
                    fenced(&findings)
                },
            ),
        ]);
        // Defence in depth: every piece was redacted above; the whole is redacted again.
        let msg = |role: &str, t: &Template| json!({"role": role, "content": self.redactor.text(&t.render(&vars))});
        self.system
            .iter()
            .map(|t| msg("system", t))
            .chain(std::iter::once(msg("user", &self.user)))
            .collect()
    }

    async fn ask(&self, input: ReviewInput) -> Result<Review, String> {
        let messages = self.render(&input);
        let schema_allowed = self.cfg.structured != StructuredMode::JsonObject
            && !self.json_object_only.load(Ordering::Relaxed);
        let reply = match self
            .transport
            .chat(
                &self.body(&messages, schema_allowed),
                &self.metrics,
                &self.budget,
            )
            .await
        {
            Err(CallError::SchemaUnsupported)
                if schema_allowed && self.cfg.structured == StructuredMode::Auto =>
            {
                tracing::info!(
                    "the LLM server rejected json_schema; verdict reviews use JSON mode from now on"
                );
                self.json_object_only.store(true, Ordering::Relaxed);
                self.transport
                    .chat(&self.body(&messages, false), &self.metrics, &self.budget)
                    .await
            }
            other => other,
        }
        .map_err(|e| e.reason())?;
        self.metrics.tokens(reply.tokens_in, reply.tokens_out);
        let answer = parse_answer(&reply.content)
            .inspect_err(|_| self.metrics.fallback("invalid_answer"))?;
        let verdict = match answer.verdict {
            ReviewVerdict::Pass => Outcome::Pass,
            ReviewVerdict::Inconclusive => Outcome::Inconclusive,
            ReviewVerdict::Fail => Outcome::Fail,
        };
        // The reason reaches the AnalysisRun: a secret the model repeated must not.
        Ok(Review {
            verdict,
            reason: self.redactor.text(&answer.reason).into_owned(),
        })
    }

    fn body(&self, messages: &[Value], json_schema: bool) -> Value {
        let format = if json_schema {
            json!({"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "strict": true, "schema": answer_schema()}})
        } else {
            json!({"type": "json_object"})
        };
        json!({
            "model": self.cfg.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.cfg.max_output_tokens.min(MAX_OUTPUT_TOKENS),
            "stream": false,
            "response_format": format,
        })
    }
}

impl VerdictReviewer for LlmReviewer {
    fn review(&self, input: ReviewInput) -> ReviewFuture<'_> {
        Box::pin(self.ask(input))
    }
}

#[cfg(test)]
mod tests;
