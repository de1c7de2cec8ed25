//! The verdict endpoint's options, shared by `rollout-doctor serve` and `rollout-doctor run
//! --verdict-addr` (one struct, flattened into both), and the one way to start it from them.

use super::conn::ConnLimits;
use super::listen::{self, Endpoint};
use super::llm_review::LlmReviewer;
use super::prometheus::Prometheus;
use super::request::{Outcome, parse_duration};
use super::review::VerdictReviewer;
use super::service::{VerdictConfig, VerdictService};
use crate::llm::LlmConfig;
use crate::redact::Redactor;
use anyhow::Context as _;
use clap::ValueEnum;
use rustls::ServerConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Undecided {
    Inconclusive,
    Fail,
}

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Verdict endpoint")]
pub struct VerdictArgs {
    /// Prometheus base URL; without it metric judges answer "no data".
    #[arg(long, env = "ROLLOUT_DOCTOR_PROMETHEUS_URL")]
    pub prometheus_url: Option<String>,
    /// File holding the bearer token (a mounted Secret); re-read only at start.
    #[arg(long, env = "ROLLOUT_DOCTOR_VERDICT_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Serve without authentication (loopback experiments only).
    #[arg(long, conflicts_with = "token_file")]
    pub insecure_no_auth: bool,
    /// Answer within this budget, whatever is still running (Argo's web timeout is 10s).
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub budget: Duration,
    #[arg(long, default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    pub cache_ttl: Duration,
    /// What no canary pods, no data, a deadline or an internal error become.
    #[arg(long, value_enum, default_value = "inconclusive")]
    pub undecided: Undecided,
    /// Significance level of each metric test: the per-metric false-positive rate (the
    /// simulation benchmark measures ≤ 1% at 0.01, also on autocorrelated series).
    #[arg(long, default_value_t = 0.01)]
    pub alpha: f64,
    /// Metric score (0–100) at or above which the canary passes.
    #[arg(long, default_value_t = 95.0, value_name = "SCORE")]
    pub pass_threshold: f64,
    /// Metric score at or above which (and below the pass threshold) it is inconclusive;
    /// below it the canary fails.
    #[arg(long, default_value_t = 75.0, value_name = "SCORE")]
    pub marginal_threshold: f64,
    /// How long the background LLM review of one canary may take (with `--llm`).
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub review_timeout: Duration,
    /// Connections served at once (the rest wait in the kernel's backlog).
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub max_connections: usize,
    /// A client must send its request headers within this, and an idle keep-alive
    /// connection is closed after it (slow clients cannot hold connections).
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub header_timeout: Duration,
    /// PEM certificate chain (leaf first): serve HTTPS instead of HTTP. Needs --tls-key.
    #[arg(
        long,
        env = "ROLLOUT_DOCTOR_VERDICT_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(
        long,
        env = "ROLLOUT_DOCTOR_VERDICT_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
}

impl Default for VerdictArgs {
    /// The same values as the flags' defaults.
    fn default() -> Self {
        let d = VerdictConfig::default();
        VerdictArgs {
            prometheus_url: None,
            token_file: None,
            insecure_no_auth: false,
            budget: d.budget,
            cache_ttl: d.cache_ttl,
            undecided: Undecided::Inconclusive,
            alpha: d.alpha,
            pass_threshold: d.pass_threshold,
            marginal_threshold: d.marginal_threshold,
            review_timeout: d.review_timeout,
            max_connections: ConnLimits::default().max_connections,
            header_timeout: ConnLimits::default().header_timeout,
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl VerdictArgs {
    /// The service's settings; reads the token file.
    pub fn config(&self) -> anyhow::Result<VerdictConfig> {
        let token = match (&self.token_file, self.insecure_no_auth) {
            (Some(path), _) => {
                let t = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let t = t.trim().to_owned();
                anyhow::ensure!(!t.is_empty(), "{} is empty", path.display());
                Some(t)
            }
            (None, true) => None,
            (None, false) => anyhow::bail!(
                "give --token-file (a mounted Secret) or, for experiments, --insecure-no-auth"
            ),
        };
        anyhow::ensure!(
            self.alpha > 0.0 && self.alpha < 0.5,
            "--alpha must be in (0, 0.5)"
        );
        let (pass, marginal) = (self.pass_threshold, self.marginal_threshold);
        anyhow::ensure!(
            (0.0..=100.0).contains(&pass) && (0.0..=pass).contains(&marginal),
            "need 0 <= --marginal-threshold <= --pass-threshold <= 100"
        );
        anyhow::ensure!(!self.budget.is_zero(), "--budget must be above zero");
        Ok(VerdictConfig {
            budget: self.budget,
            cache_ttl: self.cache_ttl,
            undecided: match self.undecided {
                Undecided::Inconclusive => Outcome::Inconclusive,
                Undecided::Fail => Outcome::Fail,
            },
            alpha: self.alpha,
            pass_threshold: pass,
            marginal_threshold: marginal,
            token,
            review_timeout: self.review_timeout,
            ..VerdictConfig::default()
        })
    }

    pub fn prometheus(&self) -> anyhow::Result<Option<Prometheus>> {
        self.prometheus_url
            .as_deref()
            // A safety net only: the budget deadline cuts slow queries off first.
            .map(|u| Prometheus::new(u, self.budget + Duration::from_secs(1)))
            .transpose()
            .context("building the Prometheus client")
    }

    /// The TLS identity, when --tls-cert and --tls-key are given.
    pub fn tls(&self) -> anyhow::Result<Option<Arc<ServerConfig>>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(super::tls::server_config(cert, key)?)),
            (None, None) => Ok(None),
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        }
    }

    /// Options that only mean something with a listener (for `run` without --verdict-addr).
    pub fn listener_options_given(&self) -> bool {
        self.token_file.is_some() || self.tls_cert.is_some() || self.insecure_no_auth
    }

    /// Builds the service (the LLM reviewer when `llm` is not off) and serves it on `addr`
    /// until `shutdown` completes. Every configuration problem is an error here, at start.
    pub async fn start(
        &self,
        addr: SocketAddr,
        kube: Option<kube::Client>,
        llm: &LlmConfig,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<Endpoint> {
        let cfg = self.config()?;
        let prom = self.prometheus()?;
        let tls = self.tls()?;
        let reviewer = LlmReviewer::new(llm.clone(), Redactor::default())
            .context("setting up the LLM verdict reviewer")?
            .map(|r| Arc::new(r) as Arc<dyn VerdictReviewer>);
        let reviewed = reviewer.is_some();
        let svc = Arc::new(VerdictService::new(cfg, prom, kube, reviewer));
        let limits = ConnLimits {
            max_connections: self.max_connections.max(1),
            header_timeout: self.header_timeout,
            // Body and judgement: the budget is the judgement's own deadline.
            request_timeout: self.budget + self.header_timeout,
        };
        let endpoint = listen::start(addr, svc, tls, limits, shutdown)
            .await
            .with_context(|| format!("binding the verdict endpoint to {addr}"))?;
        tracing::info!(addr = %endpoint.addr, tls = endpoint.tls, llm_review = reviewed, "verdict endpoint listening");
        Ok(endpoint)
    }
}
