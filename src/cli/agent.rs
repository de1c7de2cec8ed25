//! `rollout-doctor run`, `collect` and `crd`: the commands that talk to a cluster.

use crate::agent::app::{self, Parts};
use crate::agent::collect::{CollectConfig, Collector};
use crate::agent::config::{self, AgentArgs};
use crate::agent::metrics::Metrics;
use crate::cli::diagnose::LlmArgs;
use crate::evidence::EvidenceConfig;
use crate::llm::LlmClassifier;
use crate::redact::Redactor;
use anyhow::Context as _;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(
    args: AgentArgs,
    llm: LlmArgs,
    notify_config: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let cfg = config::load(&args, &config::process_env)?;
    crate::telemetry::init(cfg.log_format, "info");
    // Built before connecting so that a bad key file or prompt directory fails at start.
    let classifier = LlmClassifier::new(llm.config(), Redactor::default())?;
    if args.verdict_addr.is_some() {
        // Same: a bad token file or certificate fails before anything runs.
        args.verdict.config()?;
        args.verdict.tls()?;
    } else if args.verdict.listener_options_given() {
        tracing::warn!(
            "verdict endpoint options given without --verdict-addr: no verdict endpoint is served"
        );
    }
    let client = kube::Client::try_default()
        .await
        .context("cannot reach the Kubernetes API (in-cluster config or KUBECONFIG)")?;
    let shutdown = app::shutdown_on_signals();
    // Every replica answers verdicts, the leader or not: the endpoint runs beside the agent,
    // outside its leader election, on the same client and the same shutdown signal.
    let verdict = match args.verdict_addr {
        Some(addr) => {
            let mut stop = shutdown.clone();
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            Some(
                args.verdict
                    .start(addr, Some(client.clone()), &llm.config(), stopped)
                    .await?,
            )
        }
        None => None,
    };
    tracing::info!(identity = %cfg.identity, namespaces = ?cfg.namespaces, llm = ?classifier.config().mode, "rollout-doctor agent starting");
    // The notify config is read before the metrics registry is sealed: the fix sink counts
    // its outcomes there.
    let notify = notify_config
        .as_deref()
        .map(crate::notify::NotifyConfig::load)
        .transpose()?;
    let mut metrics = Metrics::new();
    metrics.register(|r| classifier.metrics().register(r));
    // Pull request first: the messages after it link it.
    let mut sinks: Vec<Arc<dyn crate::agent::sink::Sink>> = Vec::new();
    if let Some(pr) = notify.as_ref().and_then(|n| n.pull_request.clone()) {
        let sink = crate::repair::connect(pr, client.clone()).await?;
        metrics.register(|r| sink.metrics().register(r));
        sinks.push(Arc::new(sink));
    }
    if let Some(cfg) = &notify {
        sinks.extend(crate::notify::sinks_from_config(cfg)?);
    }
    let mut parts = Parts {
        metrics: Arc::new(metrics),
        decide: Arc::new(classifier),
        ..Parts::new(client)
    };
    sinks.append(&mut parts.sinks);
    parts.sinks = sinks;
    let result = app::run(cfg, parts, shutdown, true).await;
    if let Some(mut endpoint) = verdict {
        // After a signal, verdicts in flight get their budget to finish; after an agent error
        // there is nothing to wait for.
        if result.is_ok() {
            let drain = args.verdict.budget + std::time::Duration::from_secs(1);
            if let Ok(Ok(Err(e))) = tokio::time::timeout(drain, &mut endpoint.task).await {
                tracing::warn!(error = %e, "verdict endpoint stopped with an error");
            }
        }
        endpoint.task.abort();
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The Rollout as `namespace/name`.
    pub rollout: String,
    /// Snapshot directory to write (created; must be empty or absent).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 5000)]
    pub tail_lines: i64,
    #[arg(long, default_value_t = 2 << 20)]
    pub limit_bytes: i64,
}

/// Writes a support bundle in the snapshot format, for `diagnose` or a ticket.
pub async fn collect(args: CollectArgs) -> anyhow::Result<ExitCode> {
    let (ns, name) = args
        .rollout
        .split_once('/')
        .context("give the Rollout as namespace/name")?;
    if args.out.exists()
        && std::fs::read_dir(&args.out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        anyhow::bail!(
            "{} exists and is not an empty directory",
            args.out.display()
        );
    }
    let client = kube::Client::try_default()
        .await
        .context("cannot reach the Kubernetes API (in-cluster config or KUBECONFIG)")?;
    let cfg = CollectConfig {
        tail_lines: args.tail_lines,
        limit_bytes: args.limit_bytes,
        ..Default::default()
    };
    let collection = Collector::new(client, cfg, EvidenceConfig::default())
        .collect(ns, name)
        .await?;
    let logs = collection
        .logs
        .logs
        .iter()
        .map(|((pod, container, previous), bytes)| {
            (
                pod.as_str(),
                container.as_str(),
                *previous,
                bytes.as_slice(),
            )
        });
    crate::source::write_snapshot(&args.out, &collection.raw, logs)?;
    for g in &collection.gaps {
        let note = format!("note: {} {}: {}", g.source, g.ref_, g.reason);
        eprintln!("{}", crate::text::visible_line(&note));
    }
    for ((pod, container, previous), reason) in &collection.logs.denied {
        let note = format!(
            "note: log {pod}/{container}{}: {reason}",
            if *previous { " (previous)" } else { "" }
        );
        eprintln!("{}", crate::text::visible_line(&note));
    }
    println!(
        "wrote {} objects and {} logs to {}",
        collection.raw.len(),
        collection.logs.logs.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn crd() -> anyhow::Result<ExitCode> {
    print!("{}", crate::agent::record::crd_yaml()?);
    Ok(ExitCode::SUCCESS)
}
