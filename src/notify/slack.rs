//! Slack: an incoming webhook, or a bot token with chat.postMessage. Only the bot can
//! thread: it learns the first message's `ts` and posts refinements as replies. Incoming
//! webhooks return no `ts`, so there an update is a new message marked "Update".

use super::blocks::{self, MessageContext};
use super::config::RetryConfig;
use super::retry::{Failure, with_retries};
use crate::llm::SecretString;
use serde_json::Value;

pub enum SlackMode {
    /// Incoming webhook: the URL is the credential.
    Webhook { url: SecretString },
    Bot {
        token: SecretString,
        channel: String,
        api_url: String,
    },
}

/// What a successful post returned: the message `ts` in bot mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub ts: Option<String>,
}

/// Slack's `error` values that say "try again later"; every other one is final.
const TRANSIENT_ERRORS: &[&str] = &[
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

pub struct SlackClient {
    client: reqwest::Client,
    mode: SlackMode,
    retry: RetryConfig,
}

impl SlackClient {
    pub fn new(mode: SlackMode, retry: RetryConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(retry.request_timeout())
            .user_agent(concat!("rollout-doctor/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(SlackClient {
            client,
            mode,
            retry,
        })
    }

    pub fn threads(&self) -> bool {
        matches!(self.mode, SlackMode::Bot { .. })
    }

    /// Posts the message for `d`; `thread_ts` makes it a reply (bot mode only).
    pub async fn post(
        &self,
        d: &crate::diagnosis::Diagnosis,
        ctx: &MessageContext,
        thread_ts: Option<&str>,
    ) -> Result<Posted, (Failure, usize)> {
        let mut body = blocks::message(d, ctx);
        if let SlackMode::Bot { channel, .. } = &self.mode {
            body["channel"] = Value::from(channel.as_str());
            if let Some(ts) = thread_ts {
                body["thread_ts"] = Value::from(ts);
            }
        }
        let body = &body;
        with_retries(&self.retry, || async move {
            match &self.mode {
                SlackMode::Webhook { url } => self.post_webhook(url, body).await,
                SlackMode::Bot { token, api_url, .. } => self.post_bot(token, api_url, body).await,
            }
        })
        .await
    }

    async fn post_webhook(&self, url: &SecretString, body: &Value) -> Result<Posted, Failure> {
        let resp = self
            .client
            .post(url.expose())
            .json(body)
            .send()
            .await
            .map_err(Failure::from_reqwest)?;
        if resp.status().is_success() {
            return Ok(Posted { ts: None });
        }
        let failure = Failure::from_status(resp.status(), resp.headers());
        // Slack's body names the problem (`invalid_blocks`, `channel_not_found`): worth a log.
        let detail = resp.text().await.unwrap_or_default();
        Err(with_detail(failure, &detail))
    }

    async fn post_bot(
        &self,
        token: &SecretString,
        api_url: &str,
        body: &Value,
    ) -> Result<Posted, Failure> {
        let url = format!("{}/chat.postMessage", api_url.trim_end_matches('/'));
        let resp = self
            .client
            .post(url)
            .bearer_auth(token.expose())
            .json(body)
            .send()
            .await
            .map_err(Failure::from_reqwest)?;
        if !resp.status().is_success() {
            return Err(Failure::from_status(resp.status(), resp.headers()));
        }
        let reply: Value = resp.json().await.map_err(|_| Failure::Transient {
            reason: "Slack reply is not JSON".into(),
            retry_after: None,
        })?;
        if reply["ok"].as_bool() == Some(true) {
            return Ok(Posted {
                ts: reply["ts"].as_str().map(str::to_owned),
            });
        }
        let error = reply["error"].as_str().unwrap_or("unknown error");
        let reason = format!("Slack API error {}", clip_detail(error));
        if TRANSIENT_ERRORS.contains(&error) {
            Err(Failure::Transient {
                reason,
                retry_after: None,
            })
        } else {
            Err(Failure::Permanent(reason))
        }
    }
}

fn with_detail(f: Failure, detail: &str) -> Failure {
    let detail = clip_detail(detail);
    if detail.is_empty() {
        return f;
    }
    match f {
        Failure::Transient {
            reason,
            retry_after,
        } => Failure::Transient {
            reason: format!("{reason}: {detail}"),
            retry_after,
        },
        Failure::Permanent(reason) => Failure::Permanent(format!("{reason}: {detail}")),
    }
}

/// Error bodies go into logs and the record's status: short, one line, printable.
fn clip_detail(s: &str) -> String {
    blocks::clip(
        &s.chars().filter(|c| !c.is_control()).collect::<String>(),
        120,
    )
}
