//! The agent's main loop: watches feed the dispatcher; the leader starts workers that
//! collect, diagnose, record and deliver; SIGTERM stops new work and lets in-flight
//! incidents finish within the grace period.

use super::collect::{CollectError, Collector};
use super::deliver::{RolloutMeta, deliver, resume};
use super::dispatch::{Dispatcher, Outcome, Work};
use super::incident::{Incident, IncidentKey};
use super::metrics::Metrics;
use super::recorder::{Created, Recorder};
use super::sink::Sink;
use super::watch::Msg;
use crate::diagnosis::Diagnosis;
use crate::evidence::{Evidence, EvidenceConfig, build_evidence};
use crate::redact::Redactor;
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// Turns evidence into a diagnosis: the rules, or the rules with an LLM.
pub trait Decide: Send + Sync {
    fn decide<'a>(&'a self, evidence: &'a Evidence) -> BoxFuture<'a, Diagnosis>;
}

pub struct RulesOnly;

/// The rules' outcome goes to the LLM as hints; every failure there ends in the rules.
impl Decide for crate::llm::LlmClassifier {
    fn decide<'a>(&'a self, evidence: &'a Evidence) -> BoxFuture<'a, Diagnosis> {
        Box::pin(async move {
            self.decide(evidence, crate::analysis::rules::classify(evidence))
                .await
        })
    }
}

impl Decide for RulesOnly {
    fn decide<'a>(&'a self, evidence: &'a Evidence) -> BoxFuture<'a, Diagnosis> {
        Box::pin(async move { crate::pipeline::diagnose(evidence) })
    }
}

/// What every worker shares.
pub struct Context {
    pub client: kube::Client,
    pub collector: Collector,
    pub recorder: Recorder,
    pub decide: Arc<dyn Decide>,
    pub sinks: Vec<Arc<dyn Sink>>,
    pub metrics: Arc<Metrics>,
    pub redactor: Redactor,
    pub evidence: EvidenceConfig,
}

pub struct Loop {
    pub ctx: Arc<Context>,
    pub concurrency: usize,
    pub shutdown_grace: Duration,
}

impl Loop {
    /// Runs until `shutdown` is set. `leader` publishes leadership; `on_ready` is called
    /// once the first full list of Rollouts arrived.
    pub async fn run(
        self,
        mut rx: mpsc::Receiver<Msg>,
        mut leader: watch::Receiver<bool>,
        mut shutdown: watch::Receiver<bool>,
        on_ready: impl Fn(),
    ) {
        let mut d = Dispatcher::default();
        d.set_leading(*leader.borrow());
        self.ctx.metrics.set_leader(d.is_leading());
        let mut workers: JoinSet<(IncidentKey, Outcome)> = JoinSet::new();
        let mut watchdog = Watchdog::default();
        let mut tick = tokio::time::interval(WATCHDOG_TICK);
        loop {
            let retry_at = d.next_retry().map(tokio::time::Instant::from_std);
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(&mut d, msg, &on_ready),
                    None => break,
                },
                changed = leader.changed() => {
                    if changed.is_err() { break; }
                    let leading = *leader.borrow();
                    d.set_leading(leading);
                    self.ctx.metrics.set_leader(leading);
                }
                Some(done) = workers.join_next(), if !workers.is_empty() => {
                    if let Ok((key, outcome)) = done
                        && d.finished(&key, outcome, Instant::now())
                    {
                        self.ctx.metrics.dropped("gave_up");
                    }
                }
                _ = tick.tick() => watchdog.check(&d, &self.ctx.metrics, Instant::now()),
                _ = sleep_until(retry_at) => {}
                _ = shutdown.changed() => break,
            }
            for work in d.next(self.concurrency, Instant::now()) {
                let ctx = self.ctx.clone();
                workers.spawn(async move { run_work(ctx, work).await });
            }
        }
        tracing::info!(
            inflight = workers.len(),
            "stopping; finishing in-flight incidents"
        );
        let drain = async { while workers.join_next().await.is_some() {} };
        if tokio::time::timeout(self.shutdown_grace, drain)
            .await
            .is_err()
        {
            tracing::warn!(
                "grace period over; abandoning unfinished incidents (the next leader resumes them)"
            );
        }
    }

    fn handle(&self, d: &mut Dispatcher, msg: Msg, on_ready: &impl Fn()) {
        match msg {
            Msg::Detected(incident) => {
                let key = incident.key.clone();
                if d.detected(incident) {
                    tracing::info!(?key, "incident detected");
                }
            }
            Msg::RolloutGone(name) => d.rollout_gone(&name),
            Msg::Recorded(key, record, delivered) => d.recorded(key, record, delivered),
            Msg::RecordsSynced => d.records_synced(),
            Msg::RolloutsSynced => on_ready(),
        }
    }
}

const WATCHDOG_TICK: Duration = Duration::from_secs(5);
/// How long a leader may hold incidents it cannot start before it says so.
const STALL_WARNING: Duration = Duration::from_secs(15);

/// Publishes the pending gauge and warns (once a minute) while a leader cannot start work.
#[derive(Default)]
struct Watchdog {
    blocked_since: Option<Instant>,
    warned_at: Option<Instant>,
}

impl Watchdog {
    fn check(&mut self, d: &Dispatcher, metrics: &Metrics, now: Instant) {
        metrics.set_pending(d.pending());
        let Some(why) = d.blocked() else {
            self.blocked_since = None;
            return;
        };
        let since = *self.blocked_since.get_or_insert(now);
        let quiet = self
            .warned_at
            .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(60));
        if now.duration_since(since) >= STALL_WARNING && quiet {
            self.warned_at = Some(now);
            tracing::warn!(
                pending = d.pending(),
                waited_s = now.duration_since(since).as_secs(),
                "incidents detected but not diagnosed: {why}"
            );
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn run_work(ctx: Arc<Context>, work: Work) -> (IncidentKey, Outcome) {
    match work {
        Work::Diagnose(incident) => {
            let key = incident.key.clone();
            (key, diagnose(&ctx, incident).await)
        }
        Work::Resume(key, record) => {
            let outcome = resume(&ctx, &record).await;
            (key, outcome)
        }
    }
}

async fn diagnose(ctx: &Context, incident: Incident) -> Outcome {
    let started = Instant::now();
    let (ns, name) = (&incident.rollout.namespace, &incident.rollout.name);
    let collection = match ctx.collector.collect(ns, name).await {
        Ok(c) => c,
        Err(CollectError::RolloutGone(_)) => {
            ctx.metrics.dropped("rollout_gone");
            tracing::warn!(rollout = %incident.rollout, "rollout not found when collecting; dropping incident");
            return Outcome::Dropped;
        }
        Err(e) => {
            ctx.metrics.collection_error("rollout");
            tracing::warn!(rollout = %incident.rollout, error = %e, "collection failed; will retry");
            return Outcome::Retry;
        }
    };
    // A Rollout that moved on to another version is another incident's business.
    if collection
        .rollout
        .canary_hash()
        .is_some_and(|h| h != incident.key.canary_hash)
        && incident.key.canary_hash != "none"
    {
        ctx.metrics.dropped("moved_on");
        tracing::info!(rollout = %incident.rollout, "rollout moved on before diagnosis; dropping incident");
        return Outcome::Dropped;
    }
    for g in &collection.gaps {
        ctx.metrics.collection_error(&g.source);
    }
    let mut evidence = build_evidence(
        &collection.rollout,
        &collection.objects,
        &collection.logs,
        &ctx.redactor,
        &ctx.evidence,
    );
    for g in evidence
        .gaps
        .iter()
        .filter(|g| g.reason.starts_with("forbidden"))
    {
        ctx.metrics.collection_error(&g.source);
    }
    evidence.gaps.extend(collection.gaps);
    let diagnosis = ctx.decide.decide(&evidence).await;
    let record = match ctx.recorder.create(&incident.key, &diagnosis).await {
        Ok((Created::New, record)) => record,
        Ok((Created::AlreadyRecorded, _)) => {
            ctx.metrics.duplicate_suppressed();
            return Outcome::Dropped;
        }
        Err(e) => {
            tracing::warn!(rollout = %incident.rollout, error = %e, "could not record diagnosis; will retry");
            return Outcome::Retry;
        }
    };
    ctx.metrics.incident(diagnosis.category.as_str());
    ctx.metrics
        .diagnosis_duration(started.elapsed().as_secs_f64());
    let meta = RolloutMeta {
        labels: collection.rollout.metadata.labels.clone(),
        annotations: collection.rollout.metadata.annotations.clone(),
    };
    deliver(ctx, &record, &diagnosis, &[], meta).await
}
