//! `rollout-doctor serve`: the verdict endpoint for Argo Rollouts' web metric provider.

use crate::agent::config::LogFormat;
use crate::verdict::prometheus::Prometheus;
use crate::verdict::request::{Outcome, parse_duration};
use crate::verdict::service::{self, VerdictConfig, VerdictService};
use anyhow::Context as _;
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Undecided {
    Inconclusive,
    Fail,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, env = "ROLLOUT_DOCTOR_VERDICT_ADDR", default_value = "0.0.0.0:8090")]
    pub listen: SocketAddr,
    /// Prometheus base URL; without it metric judges answer "no data".
    #[arg(long, env = "ROLLOUT_DOCTOR_PROMETHEUS_URL")]
    pub prometheus_url: Option<String>,
    /// File holding the bearer token (a mounted Secret); re-read only at start.
    #[arg(long, env = "ROLLOUT_DOCTOR_VERDICT_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Serve without authentication (loopback experiments only).
    #[arg(long, conflicts_with = "token_file")]
    pub insecure_no_auth: bool,
    /// Answer within this budget, whatever is still running (Argo's web timeout is 10s).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub budget: std::time::Duration,
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub cache_ttl: std::time::Duration,
    /// What no canary pods, no data, a deadline or an internal error become.
    #[arg(long, value_enum, default_value = "inconclusive")]
    pub undecided: Undecided,
    /// Significance level of each metric test: the per-metric false-positive rate (the
    /// simulation benchmark measures ≤ 1% at 0.01, also on autocorrelated series).
    #[arg(long, default_value_t = 0.01)]
    pub alpha: f64,
    /// Do not talk to the Kubernetes API: no pod-health or log judges, hashes must be given.
    #[arg(long)]
    pub no_kube: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    crate::telemetry::init(args.log_format, "info");
    let token = match (&args.token_file, args.insecure_no_auth) {
        (Some(path), _) => {
            let t = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let t = t.trim().to_owned();
            anyhow::ensure!(!t.is_empty(), "{} is empty", path.display());
            Some(t)
        }
        (None, true) => None,
        (None, false) => anyhow::bail!("give --token-file (a mounted Secret) or, for experiments, --insecure-no-auth"),
    };
    anyhow::ensure!(args.alpha > 0.0 && args.alpha < 0.5, "--alpha must be in (0, 0.5)");
    let prom = args
        .prometheus_url
        .as_deref()
        // A safety net only: the budget deadline cuts slow queries off first.
        .map(|u| Prometheus::new(u, args.budget + std::time::Duration::from_secs(1)))
        .transpose()
        .context("building the Prometheus client")?;
    let kube = if args.no_kube {
        None
    } else {
        Some(
            kube::Client::try_default()
                .await
                .context("cannot reach the Kubernetes API (in-cluster config or KUBECONFIG); or pass --no-kube")?,
        )
    };
    let cfg = VerdictConfig {
        budget: args.budget,
        cache_ttl: args.cache_ttl,
        undecided: match args.undecided {
            Undecided::Inconclusive => Outcome::Inconclusive,
            Undecided::Fail => Outcome::Fail,
        },
        alpha: args.alpha,
        token,
        ..VerdictConfig::default()
    };
    // The LLM reviewer is not wired here yet: statistical verdicts only.
    let svc = Arc::new(VerdictService::new(cfg, prom, kube, None));
    tracing::info!(addr = %args.listen, "verdict service listening");
    let mut stop = crate::agent::app::shutdown_on_signals();
    service::serve(args.listen, svc, async move {
        let _ = stop.wait_for(|s| *s).await;
    })
    .await
    .with_context(|| format!("serving on {}", args.listen))?;
    Ok(ExitCode::SUCCESS)
}
