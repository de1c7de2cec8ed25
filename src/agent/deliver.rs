//! Delivery of a recorded diagnosis: the Event, then each sink in order (earlier sinks'
//! links reach later ones), then the status that says what each did. Also the resumption
//! of a delivery a previous leader left half-done.

use super::dispatch::{Outcome, RecordRef};
use super::record::{RolloutDiagnosis, SinkStatus};
use super::runtime::Context;
use super::sink::Delivery;
use crate::diagnosis::Diagnosis;
use kube::api::Api;

/// Finishes delivery of a record a previous leader left half-done.
pub(super) async fn resume(ctx: &Context, record: &RecordRef) -> Outcome {
    let api: Api<RolloutDiagnosis> = Api::namespaced(ctx.client.clone(), &record.namespace);
    let found = match api.get_opt(&record.name).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            ctx.metrics.dropped("record_gone");
            tracing::warn!(record = %record.name, "record to resume is gone; dropping");
            return Outcome::Dropped;
        }
        Err(e) => {
            tracing::warn!(record = %record.name, error = %e, "cannot read record; will retry");
            return Outcome::Retry;
        }
    };
    if found.delivered() {
        return Outcome::Delivered;
    }
    let Ok(diagnosis) = serde_json::from_value::<Diagnosis>(found.spec.diagnosis.clone()) else {
        ctx.metrics.dropped("unreadable_record");
        tracing::error!(record = %record.name, "record holds no readable diagnosis; not resuming");
        return Outcome::Dropped;
    };
    let done: Vec<SinkStatus> = found
        .status
        .as_ref()
        .map(|s| s.sinks.clone())
        .unwrap_or_default();
    deliver(
        ctx,
        &found,
        &diagnosis,
        &done,
        rollout_meta(ctx, &diagnosis).await,
    )
    .await
}

/// The Rollout's labels and annotations, for routing and GitOps lookup.
#[derive(Debug, Default)]
pub(super) struct RolloutMeta {
    pub(super) labels: std::collections::BTreeMap<String, String>,
    pub(super) annotations: std::collections::BTreeMap<String, String>,
}

/// For a resumed delivery; a Rollout gone since routes on namespace only.
async fn rollout_meta(ctx: &Context, d: &Diagnosis) -> RolloutMeta {
    let api: Api<kube::api::DynamicObject> = Api::namespaced_with(
        ctx.client.clone(),
        &d.rollout.namespace,
        &super::collect::rollouts(),
    );
    match api.get_opt(&d.rollout.name).await {
        Ok(Some(ro)) => RolloutMeta {
            labels: ro.metadata.labels.unwrap_or_default(),
            annotations: ro.metadata.annotations.unwrap_or_default(),
        },
        _ => RolloutMeta::default(),
    }
}

/// Event, then every sink not yet delivered, then the status that says so. A failure leaves
/// the record undelivered; the record watch brings it back as resume work.
pub(super) async fn deliver(
    ctx: &Context,
    record: &RolloutDiagnosis,
    diagnosis: &Diagnosis,
    already: &[SinkStatus],
    rollout: RolloutMeta,
) -> Outcome {
    let event_ok = match ctx.recorder.event(record, diagnosis).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "could not write the RolloutDiagnosed event");
            false
        }
    };
    let mut delivery = Delivery::new(
        record.metadata.name.clone().unwrap_or_default(),
        diagnosis.clone(),
    );
    delivery.rollout_labels = rollout.labels;
    delivery.rollout_annotations = rollout.annotations;
    delivery.references = already
        .iter()
        .filter_map(|s| Some((s.name.clone(), s.reference.clone()?)))
        .collect();
    // Sinks run in order, so a pull request opened by an earlier one reaches later messages.
    delivery.links = already
        .iter()
        .filter(|s| s.delivered)
        .filter_map(|s| s.link.clone())
        .collect();
    let mut statuses = Vec::new();
    for sink in &ctx.sinks {
        if let Some(done) = already
            .iter()
            .find(|s| s.name == sink.name() && s.delivered)
        {
            statuses.push(done.clone());
            continue;
        }
        let result = sink.deliver(&delivery).await;
        ctx.metrics.sink_delivery(sink.name(), result.is_ok());
        let status = match result {
            Ok(receipt) => {
                if let Some(link) = &receipt.link {
                    delivery.links.push(link.clone());
                }
                SinkStatus {
                    name: sink.name().into(),
                    delivered: true,
                    message: receipt.note,
                    link: receipt.link,
                    reference: receipt.reference,
                }
            }
            Err(e) => SinkStatus {
                name: sink.name().into(),
                delivered: false,
                message: Some(e.0),
                // A failed retry keeps what an earlier try stored (the thread to post into).
                reference: delivery.references.get(sink.name()).cloned(),
                ..SinkStatus::default()
            },
        };
        statuses.push(status);
    }
    let complete = event_ok && statuses.iter().all(|s| s.delivered);
    if let Err(e) = ctx
        .recorder
        .mark_delivered(record, event_ok, statuses)
        .await
    {
        tracing::warn!(error = %e, "could not update the record's delivery status");
        return Outcome::Retry;
    }
    if complete {
        Outcome::Delivered
    } else {
        Outcome::Retry
    }
}
