//! Notifications: Slack (Block Kit) and a signed generic webhook, behind the agent's
//! [`Sink`] trait, each with its own routing filter.
//!
//! One notification per incident: a sink remembers, per record, what it last sent. The
//! same diagnosis again (a resumed delivery) sends nothing; a different one (a refinement)
//! goes out as an update: a thread reply in Slack bot mode, a message marked "Update" with
//! an incoming webhook, `diagnosis.updated` on the generic webhook. The memory is per
//! process; [`SlackSink::remember_thread`] lets a caller restore a stored thread.

pub mod blocks;
pub mod config;
pub mod retry;
pub mod routing;
mod seen;
pub mod slack;
pub mod webhook;

pub use config::{ConfigError, Links, NotifyConfig, RetryConfig, Route, SinkConfig, SinkKind};

use crate::agent::sink::{Delivery, Receipt, Sink, SinkError};
use crate::diagnosis::Diagnosis;
use blocks::MessageContext;
use futures::future::BoxFuture;
use retry::Failure;
use seen::{Plan, Seen, SeenEntry, plan, remember};
use slack::{Posted, SlackClient, SlackMode};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use webhook::{Event, Payload, WebhookSender};

/// Fills `{namespace}` and `{rollout}`; names are percent-encoded so they stay one segment.
pub fn expand_template(template: &str, d: &Diagnosis) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    template
        .replace("{namespace}", &enc(&d.rollout.namespace))
        .replace("{rollout}", &enc(&d.rollout.name))
}

pub fn links(cfg: &Links, d: &Diagnosis) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(t) = &cfg.rollouts_dashboard {
        out.push(("Argo Rollouts".into(), expand_template(t, d)));
    }
    if let Some(t) = &cfg.argocd {
        out.push(("Argo CD".into(), expand_template(t, d)));
    }
    out
}

fn failed(sink: &str, record: &str, (failure, tries): (Failure, usize)) -> SinkError {
    // The one log line that says a notification was lost for now; the agent counts it in
    // rollout_doctor_sink_deliveries_total{outcome="failure"} and retries the record later.
    tracing::error!(sink, record, tries, reason = %failure.reason(), "notification delivery failed");
    SinkError(format!(
        "{sink}: delivery failed after {tries} tries: {}",
        failure.reason()
    ))
}

pub struct SlackSink {
    name: String,
    route: Route,
    links: Links,
    client: SlackClient,
    seen: Mutex<Seen>,
}

impl SlackSink {
    pub fn new(name: impl Into<String>, route: Route, links: Links, client: SlackClient) -> Self {
        SlackSink {
            name: name.into(),
            route,
            links,
            client,
            seen: Mutex::default(),
        }
    }

    /// Routes and posts; `Ok(None)` when nothing was sent (not routed here, or already sent).
    /// The returned `ts` is the thread root a caller may store to thread after a restart.
    pub async fn notify(
        &self,
        delivery: &Delivery,
        labels: &BTreeMap<String, String>,
    ) -> Result<Option<Posted>, SinkError> {
        self.notify_with_links(delivery, labels, &[]).await
    }

    /// As [`notify`](Self::notify), with links the sink cannot know, such as the fix pull
    /// request: `("Pull request", url)`. They come before the dashboards.
    pub async fn notify_with_links(
        &self,
        delivery: &Delivery,
        labels: &BTreeMap<String, String>,
        extra: &[(String, String)],
    ) -> Result<Option<Posted>, SinkError> {
        let Plan::Send { update, previous } =
            plan(&self.seen, &self.route, &self.name, delivery, labels)
        else {
            return Ok(None);
        };
        let d = &delivery.diagnosis;
        let all_links = extra.iter().cloned().chain(links(&self.links, d)).collect();
        let ctx = MessageContext {
            update,
            links: all_links,
            record: Some(delivery.record.clone()),
        };
        let thread = previous.and_then(|p| p.thread_ts);
        let posted = self
            .client
            .post(d, &ctx, thread.as_deref())
            .await
            .map_err(|e| failed(&self.name, &delivery.record, e))?;
        let root = thread.or_else(|| posted.ts.clone());
        remember(&self.seen, &delivery.record, d, root.clone());
        Ok(Some(Posted { ts: root }))
    }

    /// Restores a thread known from elsewhere (a stored status), so that the next different
    /// diagnosis for `record` is posted into it as an update.
    pub fn remember_thread(&self, record: &str, thread_ts: &str) {
        if let Ok(mut s) = self.seen.lock() {
            // A fingerprint no diagnosis has: whatever comes next is an update.
            s.put(
                record,
                SeenEntry {
                    fingerprint: 0,
                    thread_ts: Some(thread_ts.into()),
                },
            );
        }
    }

    pub fn thread_of(&self, record: &str) -> Option<String> {
        self.seen
            .lock()
            .ok()
            .and_then(|s| s.get(record))
            .and_then(|e| e.thread_ts)
    }
}

impl Sink for SlackSink {
    fn name(&self) -> &str {
        &self.name
    }

    /// Earlier sinks' links (the pull request) go into the message; a thread stored on the
    /// record by a previous leader is restored, so that an update lands in it.
    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Receipt, SinkError>> {
        Box::pin(async move {
            if let Some(ts) = delivery.references.get(&self.name)
                && self.thread_of(&delivery.record).is_none()
            {
                self.remember_thread(&delivery.record, ts);
            }
            let extra: Vec<(String, String)> = delivery
                .links
                .iter()
                .map(|l| (l.label.clone(), l.url.clone()))
                .collect();
            let posted = self
                .notify_with_links(delivery, &delivery.rollout_labels, &extra)
                .await?;
            Ok(Receipt {
                reference: posted
                    .and_then(|p| p.ts)
                    .or_else(|| self.thread_of(&delivery.record)),
                ..Receipt::default()
            })
        })
    }
}

pub struct WebhookSink {
    name: String,
    route: Route,
    sender: WebhookSender,
    seen: Mutex<Seen>,
}

impl WebhookSink {
    pub fn new(name: impl Into<String>, route: Route, sender: WebhookSender) -> Self {
        WebhookSink {
            name: name.into(),
            route,
            sender,
            seen: Mutex::default(),
        }
    }

    /// Routes and sends; `Ok(None)` when nothing was sent, else the event sent.
    pub async fn notify(
        &self,
        delivery: &Delivery,
        labels: &BTreeMap<String, String>,
    ) -> Result<Option<Event>, SinkError> {
        let Plan::Send { update, .. } = plan(&self.seen, &self.route, &self.name, delivery, labels)
        else {
            return Ok(None);
        };
        let event = if update {
            Event::Updated
        } else {
            Event::Created
        };
        let mut payload = Payload::new(event, &delivery.record, &delivery.diagnosis);
        payload.links = delivery.links.clone();
        self.sender
            .send(&payload)
            .await
            .map_err(|e| failed(&self.name, &delivery.record, e))?;
        remember(&self.seen, &delivery.record, &delivery.diagnosis, None);
        Ok(Some(event))
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Receipt, SinkError>> {
        Box::pin(async move {
            self.notify(delivery, &delivery.rollout_labels).await?;
            Ok(Receipt::default())
        })
    }
}

/// The configured sinks, secrets read now (files, then env), so that a missing Secret fails
/// the start rather than the first incident.
pub fn sinks_from_config(cfg: &NotifyConfig) -> Result<Vec<Arc<dyn Sink>>, ConfigError> {
    cfg.validate()?;
    let mut out: Vec<Arc<dyn Sink>> = Vec::new();
    for s in &cfg.sinks {
        let err = |reason: String| ConfigError::Sink {
            sink: s.name.clone(),
            reason,
        };
        let url = config::resolve(
            &s.name,
            "url",
            s.url.as_deref(),
            s.url_file.as_deref(),
            s.url_env.as_deref(),
        )?;
        let sink: Arc<dyn Sink> = match s.kind {
            SinkKind::Webhook => {
                let secret = config::resolve(
                    &s.name,
                    "secret",
                    None,
                    s.secret_file.as_deref(),
                    s.secret_env.as_deref(),
                )?
                .ok_or_else(|| err("no secret".into()))?;
                let url = url.ok_or_else(|| err("no url".into()))?;
                let sender = WebhookSender::new(url, secret, cfg.retry)
                    .map_err(|e| err(format!("HTTP client: {e}")))?;
                Arc::new(WebhookSink::new(&s.name, s.route(), sender))
            }
            SinkKind::Slack => {
                let token = config::resolve(
                    &s.name,
                    "token",
                    None,
                    s.token_file.as_deref(),
                    s.token_env.as_deref(),
                )?;
                let mode = match (token, url) {
                    (Some(token), _) => SlackMode::Bot {
                        token,
                        channel: s.channel.clone().ok_or_else(|| err("no channel".into()))?,
                        api_url: s.slack_api_url.clone(),
                    },
                    (None, Some(url)) => SlackMode::Webhook { url },
                    (None, None) => return Err(err("no webhook URL or token".into())),
                };
                let client = SlackClient::new(mode, cfg.retry)
                    .map_err(|e| err(format!("HTTP client: {e}")))?;
                Arc::new(SlackSink::new(
                    &s.name,
                    s.route(),
                    cfg.links.clone(),
                    client,
                ))
            }
        };
        out.push(sink);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_fill_encoded_names() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/scenarios/canary-db-dns-secret-in-log");
        let mut d = crate::pipeline::diagnose_snapshot(&dir, &Default::default()).unwrap();
        d.rollout.name = "a b/c".into();
        let t = "https://ar.example/rollouts/{namespace}/{rollout}";
        assert_eq!(
            super::expand_template(t, &d),
            "https://ar.example/rollouts/orders/a%20b%2Fc"
        );
    }
}
