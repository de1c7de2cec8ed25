//! `rollout-doctor run`: wires configuration, the kube client, health and metrics, leader
//! election, watches and the main loop, and shuts down cleanly on SIGTERM.

use super::collect::{CollectConfig, Collector};
use super::config::AgentConfig;
use super::http::{self, Health};
use super::leader::{LeaderElector, LeaseConfig};
use super::metrics::Metrics;
use super::recorder::Recorder;
use super::runtime::{Context, Decide, Loop, RulesOnly};
use super::sink::{LogSink, Sink};
use super::watch::{self, Scope};
use crate::evidence::EvidenceConfig;
use crate::redact::Redactor;
use std::sync::Arc;
use tokio::sync::{mpsc, watch as channel};

/// Everything `run` builds that a test or an embedding wants to supply itself.
pub struct Parts {
    pub client: kube::Client,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub sinks: Vec<Arc<dyn Sink>>,
    pub decide: Arc<dyn Decide>,
}

impl Parts {
    pub fn new(client: kube::Client) -> Parts {
        Parts {
            client,
            metrics: Arc::new(Metrics::new()),
            health: Arc::new(Health::new()),
            sinks: vec![Arc::new(LogSink)],
            decide: Arc::new(RulesOnly),
        }
    }
}

/// Runs the agent until `shutdown` becomes true. Serves HTTP unless `serve_http` is false
/// (tests run several agents in one process).
pub async fn run(
    cfg: AgentConfig,
    parts: Parts,
    shutdown: channel::Receiver<bool>,
    serve_http: bool,
) -> anyhow::Result<()> {
    let Parts {
        client,
        metrics,
        health,
        sinks,
        decide,
    } = parts;
    let mut evidence = EvidenceConfig {
        token_budget: cfg.evidence_budget,
        ..Default::default()
    };
    evidence.logs.max_bytes_per_stream = u64::try_from(cfg.log_limit_bytes).unwrap_or(u64::MAX);
    let collect = CollectConfig {
        api_timeout: cfg.api_timeout,
        tail_lines: cfg.log_tail_lines,
        limit_bytes: cfg.log_limit_bytes,
        ..Default::default()
    };
    let ctx = Arc::new(Context {
        client: client.clone(),
        collector: Collector::new(client.clone(), collect, evidence.clone()),
        recorder: Recorder::new(client.clone()),
        decide,
        sinks,
        metrics: metrics.clone(),
        redactor: Redactor::default(),
        evidence,
    });

    let http_task = serve_http.then(|| {
        let mut stop = shutdown.clone();
        let (health, metrics) = (health.clone(), metrics.clone());
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = http::serve(cfg.http_addr, health, metrics, stopped).await {
                tracing::error!(error = %e, addr = %cfg.http_addr, "health/metrics server failed");
            }
        })
    });

    // Without election this replica always leads; the sender lives as long as the loop.
    let (leader_rx, leader_task, _always_leading) = if cfg.leader_election {
        let elector = LeaderElector::new(
            client.clone(),
            LeaseConfig {
                namespace: cfg.lease_namespace.clone(),
                name: cfg.lease_name.clone(),
                identity: cfg.identity.clone(),
                duration: cfg.lease_duration,
            },
        );
        let (rx, task) = elector.spawn(shutdown.clone());
        (rx, Some(task), None)
    } else {
        let (tx, rx) = channel::channel(true);
        (rx, None, Some(tx))
    };

    let (tx, rx) = mpsc::channel(1024);
    let scope = Scope {
        namespaces: cfg.namespaces.clone(),
        selector: cfg.selector.clone(),
    };
    let watches = watch::spawn_all(&client, &scope, tx, metrics.clone());
    let main = Loop {
        ctx,
        concurrency: cfg.concurrency,
        shutdown_grace: cfg.shutdown_grace,
    };
    let ready = health.clone();
    main.run(rx, leader_rx, shutdown, move || ready.set_ready())
        .await;

    for w in watches {
        w.abort();
    }
    if let Some(task) = leader_task {
        let _ = task.await;
    }
    if let Some(task) = http_task {
        let _ = task.await;
    }
    Ok(())
}

/// A channel that turns true on SIGTERM or Ctrl-C.
pub fn shutdown_on_signals() -> channel::Receiver<bool> {
    let (tx, rx) = channel::channel(false);
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot listen for SIGTERM");
                        let _ = tokio::signal::ctrl_c().await;
                        let _ = tx.send(true);
                        return;
                    }
                };
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM received"),
                _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received"),
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        let _ = tx.send(true);
    });
    rx
}
