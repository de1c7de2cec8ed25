//! The HTTP side: async-openai (bring-your-own-types, so parsing stays lenient and ours)
//! behind a retry-free transport, with backon doing the retrying and honouring
//! `Retry-After`.
//!
//! async-openai's default executor retries 429/5xx by itself; stacked under backon that
//! would multiply attempts and hide `Retry-After` from us. Installing our own tower service
//! removes its retry layer, and the service turns an error status into an error that keeps
//! the status and the `Retry-After` header.

use super::config::{ConfigError, LlmConfig, SecretString};
use super::limits::HourlyBudget;
use super::metrics::LlmMetrics;
use async_openai::Client;
use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use backon::{ExponentialBuilder, Retryable};
use serde_json::Value;
use std::time::{Duration, Instant};

/// A longer `Retry-After` than this is not waited for: the rules diagnosis is ready now.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Error bodies are read only this far (enough to see what the server objected to).
const ERROR_BODY_LIMIT: usize = 4096;

#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    Timeout,
    RateLimited {
        retry_after: Option<Duration>,
    },
    Server {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// 400 naming `response_format`/`json_schema`: the server lacks structured outputs.
    SchemaUnsupported,
    Http(u16),
    Transport,
    BadResponse(&'static str),
    Refused,
    BudgetExhausted,
}

impl CallError {
    /// A short, fixed label: for metrics and for `fallback_reason`. Never server text, which
    /// may echo a (partially masked) key.
    pub fn reason(&self) -> String {
        match self {
            CallError::Timeout => "llm timeout".into(),
            CallError::RateLimited { .. } => "llm rate limited (429)".into(),
            CallError::Server { status, .. } => format!("llm server error ({status})"),
            CallError::SchemaUnsupported => "llm rejected the response format".into(),
            CallError::Http(status) => format!("llm http error ({status})"),
            CallError::Transport => "llm unreachable".into(),
            CallError::BadResponse(what) => format!("llm response unreadable: {what}"),
            CallError::Refused => "llm refused to answer".into(),
            CallError::BudgetExhausted => "llm budget exhausted".into(),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            CallError::Timeout => "timeout",
            CallError::RateLimited { .. } => "rate_limited",
            CallError::Server { .. } => "server_error",
            CallError::SchemaUnsupported | CallError::Http(_) => "http_error",
            CallError::Transport => "transport",
            CallError::BadResponse(_) | CallError::Refused => "bad_response",
            CallError::BudgetExhausted => "budget_exhausted",
        }
    }

    fn retryable(&self) -> bool {
        matches!(
            self,
            CallError::RateLimited { .. } | CallError::Server { .. } | CallError::Transport
        )
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::RateLimited { retry_after } | CallError::Server { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

/// An error status as our transport saw it, headers still at hand.
#[derive(Debug)]
struct HttpFailure {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status)
    }
}

impl std::error::Error for HttpFailure {}

/// What the model said, and what it cost when the server reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub content: String,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
}

pub struct Transport {
    client: Client<Box<dyn Config>>,
    timeout: Duration,
    max_tries: usize,
    min_delay: Duration,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("timeout", &self.timeout)
            .field("max_tries", &self.max_tries)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub fn new(cfg: &LlmConfig, key: Option<SecretString>) -> Result<Self, ConfigError> {
        let key = key.map(|k| k.expose().to_owned()).unwrap_or_default();
        // async-openai builds the auth header with `parse().unwrap()`; refuse what would panic.
        if !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(ConfigError::Invalid(
                "the API key holds characters not allowed in an HTTP header".into(),
            ));
        }
        let base = cfg.base_url.trim_end_matches('/').to_owned();
        let config: Box<dyn Config> = match &cfg.api_version {
            Some(version) => Box::new(
                AzureConfig::new()
                    .with_api_base(base)
                    .with_api_version(version.clone())
                    .with_deployment_id(cfg.model.clone())
                    .with_api_key(key),
            ),
            None => Box::new(OpenAIConfig::new().with_api_base(base).with_api_key(key)),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| ConfigError::Invalid(format!("cannot build the HTTP client: {e}")))?;
        let service = tower::service_fn(move |factory: HttpRequestFactory| {
            let http = http.clone();
            async move {
                let request = factory.build().await?;
                let response = http.execute(request).await.map_err(OpenAIError::Reqwest)?;
                if response.status().is_success() {
                    return Ok(response);
                }
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                let body = read_bounded(response).await;
                Err(OpenAIError::Boxed(Box::new(HttpFailure {
                    status,
                    retry_after,
                    body,
                })))
            }
        });
        Ok(Transport {
            client: Client::with_config(config).with_http_service(service),
            timeout: cfg.timeout,
            max_tries: cfg.max_tries.max(1),
            min_delay: cfg.retry_min_delay,
        })
    }

    /// One chat completion, retried on 429, 5xx and connection errors. Every attempt counts
    /// against the hourly budget and is bounded by the per-call timeout.
    pub async fn chat(
        &self,
        body: &Value,
        metrics: &LlmMetrics,
        budget: &HourlyBudget,
    ) -> Result<Reply, CallError> {
        let attempt = || async {
            if !budget.try_acquire() {
                return Err(CallError::BudgetExhausted);
            }
            let started = Instant::now();
            let sent = tokio::time::timeout(
                self.timeout,
                self.client.chat().create_byot::<&Value, Value>(body),
            )
            .await;
            metrics.latency.observe(started.elapsed().as_secs_f64());
            let result = match sent {
                Err(_) => Err(CallError::Timeout),
                Ok(Err(e)) => Err(classify(e)),
                Ok(Ok(v)) => read_reply(&v),
            };
            metrics.call(match &result {
                Ok(_) => "ok",
                Err(e) => e.label(),
            });
            result
        };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(Duration::from_secs(10))
            .with_max_times(self.max_tries - 1)
            .with_jitter();
        attempt
            .retry(backoff)
            .when(CallError::retryable)
            // `dur` is None once the tries are used up: keep it None or backon never stops.
            .adjust(|e, dur| match (dur, e.retry_after()) {
                (None, _) => None,
                (Some(_), Some(after)) if after > MAX_RETRY_AFTER => None,
                (Some(_), Some(after)) => Some(after),
                (Some(d), None) => Some(d),
            })
            .notify(|e, dur| tracing::debug!(reason = %e.reason(), ?dur, "retrying the LLM call"))
            .await
    }
}

fn classify(e: OpenAIError) -> CallError {
    match e {
        OpenAIError::Boxed(b) => match b.downcast::<HttpFailure>() {
            Ok(f) => from_status(&f),
            Err(_) => CallError::Transport,
        },
        OpenAIError::Reqwest(_) => CallError::Transport,
        OpenAIError::JSONDeserialize(..) => CallError::BadResponse("not JSON"),
        OpenAIError::ApiError(a) => CallError::Http(a.status_code.as_u16()),
        _ => CallError::Transport,
    }
}

fn from_status(f: &HttpFailure) -> CallError {
    match f.status {
        429 => CallError::RateLimited {
            retry_after: f.retry_after,
        },
        s if s >= 500 => CallError::Server {
            status: s,
            retry_after: f.retry_after,
        },
        400 | 422 => {
            let body = f.body.to_ascii_lowercase();
            if body.contains("response_format") || body.contains("json_schema") {
                CallError::SchemaUnsupported
            } else {
                CallError::Http(f.status)
            }
        }
        s => CallError::Http(s),
    }
}

async fn read_bounded(mut response: reqwest::Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < ERROR_BODY_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            _ => break,
        }
    }
    buf.truncate(ERROR_BODY_LIMIT);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `Retry-After` in seconds (fractions accepted: some proxies send them). The HTTP-date form
/// is not honoured; the backoff applies instead.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// Lenient: `choices[0].message.content` as a string or as content parts; usage optional;
/// everything else ignored.
pub fn read_reply(v: &Value) -> Result<Reply, CallError> {
    let message = v
        .get("choices")
        .and_then(|c| c.get(0))
        .and_then(|c| c.get("message"))
        .ok_or(CallError::BadResponse("no choices[0].message"))?;
    let content = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s.as_str()),
                other => other.get("text").and_then(Value::as_str),
            })
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    };
    if content.trim().is_empty() {
        let refused = message
            .get("refusal")
            .and_then(Value::as_str)
            .is_some_and(|r| !r.trim().is_empty());
        return Err(if refused {
            CallError::Refused
        } else {
            CallError::BadResponse("empty content")
        });
    }
    let usage = v.get("usage");
    let tokens = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| usage.and_then(|u| u.get(*n)).and_then(Value::as_u64))
    };
    Ok(Reply {
        content,
        tokens_in: tokens(["prompt_tokens", "input_tokens"]),
        tokens_out: tokens(["completion_tokens", "output_tokens"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replies_are_read_leniently() {
        let minimal = json!({"choices": [{"message": {"content": "{}"}}]});
        let r = read_reply(&minimal).unwrap();
        assert_eq!((r.content.as_str(), r.tokens_in), ("{}", None));
        let parts = json!({"id": 1, "extra": {"x": 1}, "choices": [{"finish_reason": "",
            "message": {"role": "assistant", "content": [{"type": "text", "text": "{\"a\""}, {"type": "text", "text": ":1}"}]}}],
            "usage": {"input_tokens": 12, "output_tokens": 3}});
        let r = read_reply(&parts).unwrap();
        assert_eq!(r.content, "{\"a\":1}");
        assert_eq!((r.tokens_in, r.tokens_out), (Some(12), Some(3)));
        assert_eq!(
            read_reply(&json!({"choices": [{"message": {"content": null, "refusal": "no"}}]})),
            Err(CallError::Refused)
        );
        assert!(read_reply(&json!({"choices": []})).is_err());
        assert!(read_reply(&json!("garbage")).is_err());
    }

    #[test]
    fn retry_after_parses_seconds_only() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("NaN"), None);
    }

    #[test]
    fn statuses_map_to_what_can_be_retried() {
        let f = |status, body: &str| HttpFailure {
            status,
            retry_after: None,
            body: body.into(),
        };
        assert!(from_status(&f(429, "")).retryable());
        assert!(from_status(&f(503, "")).retryable());
        assert!(!from_status(&f(401, "Incorrect API key provided: sk-abc***xyz")).retryable());
        assert_eq!(
            from_status(&f(
                400,
                "Invalid parameter: 'response_format' of type 'json_schema'"
            )),
            CallError::SchemaUnsupported
        );
        // Reasons are fixed labels: nothing the server said (a masked key) reaches them.
        assert_eq!(
            from_status(&f(401, "sk-abc***xyz")).reason(),
            "llm http error (401)"
        );
    }
}
