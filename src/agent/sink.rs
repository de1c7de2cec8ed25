//! Where a diagnosis goes once recorded. Notifications and pull requests plug in here; the
//! agent only knows this interface.

use crate::diagnosis::Diagnosis;
use futures::future::BoxFuture;

/// What a sink receives: the diagnosis and the name of its durable record.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub record: String,
    pub diagnosis: Diagnosis,
    /// The Rollout's labels, for sinks routed by label selector.
    pub rollout_labels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

pub trait Sink: Send + Sync {
    fn name(&self) -> &str;
    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), SinkError>>;
}

/// One structured log line per diagnosis: always on, so every incident is visible in the
/// agent's own logs whatever else is configured.
pub struct LogSink;

impl Sink for LogSink {
    fn name(&self) -> &str {
        "log"
    }

    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<(), SinkError>> {
        let d = &delivery.diagnosis;
        tracing::info!(
            rollout = %d.rollout,
            record = %delivery.record,
            category = %d.category,
            confidence = d.confidence,
            action = d.remediation.action.name(),
            summary = %d.summary,
            "rollout diagnosed"
        );
        Box::pin(async { Ok(()) })
    }
}
