//! Where a diagnosis goes once recorded. Notifications and pull requests plug in here; the
//! agent only knows this interface.

use crate::diagnosis::Diagnosis;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a sink receives: the diagnosis, the name of its durable record, and what earlier
/// sinks of the same incident left for later ones.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub record: String,
    pub diagnosis: Diagnosis,
    /// The Rollout's labels, for sinks routed by label selector.
    pub rollout_labels: BTreeMap<String, String>,
    /// The Rollout's annotations: where its GitOps source is declared.
    pub rollout_annotations: BTreeMap<String, String>,
    /// Links earlier sinks produced (the fix pull request), for later sinks' messages.
    pub links: Vec<Link>,
    /// What each sink stored on the record before (a Slack thread, a pull request number),
    /// by sink name, so that a resumed delivery continues rather than starts over.
    pub references: BTreeMap<String, String>,
}

impl Delivery {
    pub fn new(record: impl Into<String>, diagnosis: Diagnosis) -> Delivery {
        Delivery {
            record: record.into(),
            diagnosis,
            rollout_labels: BTreeMap::new(),
            rollout_annotations: BTreeMap::new(),
            links: Vec::new(),
            references: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// What a sink reports back; the agent stores it in the record's status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Receipt {
    pub link: Option<Link>,
    pub reference: Option<String>,
    /// Why nothing was sent, when that is worth a line in the status (e.g. "not fixable").
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

pub trait Sink: Send + Sync {
    fn name(&self) -> &str;
    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Receipt, SinkError>>;
}

/// One structured log line per diagnosis: always on, so every incident is visible in the
/// agent's own logs whatever else is configured.
pub struct LogSink;

impl Sink for LogSink {
    fn name(&self) -> &str {
        "log"
    }

    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Receipt, SinkError>> {
        let d = &delivery.diagnosis;
        tracing::info!(
            rollout = %d.rollout,
            record = %delivery.record,
            category = %d.category,
            confidence = d.confidence,
            action = d.remediation.action.name(),
            summary = %d.summary,
            links = ?delivery.links.iter().map(|l| l.url.as_str()).collect::<Vec<_>>(),
            "rollout diagnosed"
        );
        Box::pin(async { Ok(Receipt::default()) })
    }
}
