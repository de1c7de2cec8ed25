//! Agent configuration: defaults < config file (YAML) < environment < flags.
//!
//! Every source is first turned into a [`Layer`] (all fields optional) so that precedence is
//! one ordered fold and every parse error can name where the bad value came from.

mod layer;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use layer::Layer;

#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// Namespaces to watch; empty means all.
    pub namespaces: Vec<String>,
    /// Label selector on Rollouts, e.g. `team=payments`.
    pub selector: Option<String>,
    /// Incidents diagnosed at once.
    pub concurrency: usize,
    /// Per-call timeout for API requests made while collecting.
    pub api_timeout: Duration,
    /// Log bounds for live collection (`tailLines`, `limitBytes`).
    pub log_tail_lines: i64,
    pub log_limit_bytes: i64,
    /// Address of /healthz, /readyz, /metrics.
    pub http_addr: SocketAddr,
    pub leader_election: bool,
    pub lease_name: String,
    /// Namespace of the Lease; the agent's own namespace.
    pub lease_namespace: String,
    pub lease_duration: Duration,
    /// This replica's identity in the Lease (the pod name).
    pub identity: String,
    pub log_format: LogFormat,
    /// Evidence token budget.
    pub evidence_budget: usize,
    /// How long in-flight incidents may take to finish after SIGTERM.
    pub shutdown_grace: Duration,
    pub config_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for AgentConfig {
    /// Pure: the process environment (POD_NAME, ...) is applied by [`load`], not here, so
    /// that tests and callers get the same defaults wherever they run.
    fn default() -> Self {
        AgentConfig {
            namespaces: Vec::new(),
            selector: None,
            concurrency: 8,
            api_timeout: Duration::from_secs(10),
            log_tail_lines: 5000,
            log_limit_bytes: 2 << 20,
            http_addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            leader_election: true,
            lease_name: "rollout-doctor".into(),
            lease_namespace: "rollout-doctor".into(),
            lease_duration: Duration::from_secs(15),
            identity: "rollout-doctor".into(),
            log_format: LogFormat::Text,
            evidence_budget: 4000,
            shutdown_grace: Duration::from_secs(25),
            config_file: None,
        }
    }
}

/// Flags of `rollout-doctor run`. Every field is optional: an absent flag leaves the value
/// from the environment, the config file or the defaults in place.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AgentArgs {
    /// YAML config file (snake_case keys named like the flags).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Namespace to watch; repeat or comma-separate for several. Default: all.
    #[arg(long = "namespace", value_name = "NS", value_delimiter = ',')]
    pub namespaces: Option<Vec<String>>,
    /// Label selector on Rollouts, e.g. `team=payments`.
    #[arg(long)]
    pub selector: Option<String>,
    /// Incidents diagnosed at once.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Address serving /healthz, /readyz and /metrics.
    #[arg(long, value_name = "ADDR")]
    pub http_addr: Option<SocketAddr>,
    /// Run without a Lease (a single replica only, or duplicates will be diagnosed).
    #[arg(long)]
    pub no_leader_election: bool,
    #[arg(long)]
    pub lease_name: Option<String>,
    /// Namespace of the Lease. Default: POD_NAMESPACE.
    #[arg(long)]
    pub lease_namespace: Option<String>,
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub lease_duration: Option<Duration>,
    /// This replica's name in the Lease. Default: POD_NAME.
    #[arg(long)]
    pub identity: Option<String>,
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Evidence token budget per diagnosis.
    #[arg(long, value_name = "TOKENS")]
    pub evidence_budget: Option<usize>,
    /// Per-request timeout for API calls while collecting, e.g. `10s`, `500ms`, `1m`.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub api_timeout: Option<Duration>,
    #[arg(long, value_name = "LINES")]
    pub log_tail_lines: Option<i64>,
    #[arg(long, value_name = "BYTES")]
    pub log_limit_bytes: Option<i64>,
    /// Time in-flight incidents get to finish after SIGTERM.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub shutdown_grace: Option<Duration>,
    /// Also serve the verdict endpoint (POST /v1/verdict, as `serve` does) on this address,
    /// on every replica, leader or not. Flags and environment only, not the config file.
    #[arg(long, env = "ROLLOUT_DOCTOR_VERDICT_ADDR", value_name = "ADDR")]
    pub verdict_addr: Option<SocketAddr>,
    #[command(flatten)]
    pub verdict: crate::verdict::args::VerdictArgs,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {}: unknown key `{key}` (known keys: {})", path.display(), layer::FILE_KEYS.join(", "))]
    UnknownKey { path: PathBuf, key: String },
    #[error("config file {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{origin}: invalid value {value:?}: {reason}")]
    Value {
        origin: String,
        value: String,
        reason: String,
    },
    #[error("invalid configuration: {field} {reason}")]
    Invalid { field: &'static str, reason: String },
}

/// Builds the configuration. `env` is the environment lookup (injected so tests need not
/// touch the process environment); pass [`process_env`] in production.
pub fn load(
    args: &AgentArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<AgentConfig, ConfigError> {
    let env_layer = Layer::from_env(env)?;
    let config_file = args
        .config
        .clone()
        .or_else(|| env_layer.config_file.clone());
    let file_layer = match &config_file {
        Some(path) => Layer::from_file(path)?,
        None => Layer::default(),
    };
    let mut config = AgentConfig::default();
    for layer in [file_layer, env_layer, Layer::from_args(args)] {
        layer.apply(&mut config);
    }
    config.config_file = config_file;
    validate(&config)?;
    Ok(config)
}

/// Defaults overlaid with one config file's text, validated. This is what the file loader
/// accepts, without reading the disk or the environment (for checking example configs).
pub fn load_file_str(yaml: &str, path: &Path) -> Result<AgentConfig, ConfigError> {
    let mut config = AgentConfig::default();
    Layer::from_yaml(yaml, path)?.apply(&mut config);
    config.config_file = Some(path.to_path_buf());
    validate(&config)?;
    Ok(config)
}

/// The real process environment, for [`load`].
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Parses `10s`, `500ms`, `2m` and sums like `1m30s`. A bare number is rejected: whether it
/// meant seconds or milliseconds is exactly the kind of guess that breaks a lease.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("expected a number in {text:?}"));
        }
        let amount: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("number too large in {text:?}"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Some(Duration::from_millis(amount)),
            "s" => Some(Duration::from_secs(amount)),
            "m" => amount.checked_mul(60).map(Duration::from_secs),
            "" => return Err(format!("missing unit in {text:?} (use ms, s or m)")),
            unit => {
                return Err(format!(
                    "unknown unit {unit:?} in {text:?} (use ms, s or m)"
                ));
            }
        };
        total = part
            .and_then(|p| total.checked_add(p))
            .ok_or_else(|| format!("duration too large: {text:?}"))?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

fn validate(c: &AgentConfig) -> Result<(), ConfigError> {
    let invalid = |field, reason: &str| {
        Err(ConfigError::Invalid {
            field,
            reason: reason.into(),
        })
    };
    if c.concurrency < 1 {
        return invalid("concurrency", "must be at least 1");
    }
    if c.api_timeout.is_zero() {
        return invalid("api_timeout", "must be greater than zero");
    }
    if c.log_tail_lines < 1 {
        return invalid("log_tail_lines", "must be at least 1");
    }
    if c.log_limit_bytes < 1 {
        return invalid("log_limit_bytes", "must be at least 1");
    }
    if c.evidence_budget < 1 {
        return invalid("evidence_budget", "must be at least 1");
    }
    // Below ~5s, renew jitter and API latency make leadership flap between replicas.
    if c.lease_duration < Duration::from_secs(5) {
        return invalid("lease_duration", "must be at least 5s");
    }
    for ns in &c.namespaces {
        if !is_dns_label(ns) {
            return Err(ConfigError::Invalid {
                field: "namespaces",
                reason: format!("{ns:?} is not a valid namespace name"),
            });
        }
    }
    if c.leader_election {
        if c.identity.is_empty() {
            return invalid("identity", "must not be empty when leader election is on");
        }
        if !is_dns_label(&c.lease_namespace) {
            return invalid("lease_namespace", "must be a valid namespace name");
        }
        if !is_dns_subdomain(&c.lease_name) {
            return invalid("lease_name", "must be a valid object name (DNS subdomain)");
        }
    }
    Ok(())
}

/// RFC 1123 label, as Kubernetes requires of namespace names.
fn is_dns_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}
