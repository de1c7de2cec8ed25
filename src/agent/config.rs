//! Agent configuration: defaults < config file (YAML) < environment < flags.
//! OWNED BY THE OPS WORK: loading, merging and validation are filled in there; the fields
//! below are the contract the agent reads.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for AgentConfig {
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
            identity: std::env::var("POD_NAME").unwrap_or_else(|_| "rollout-doctor".into()),
            log_format: LogFormat::Text,
            evidence_budget: 4000,
            shutdown_grace: Duration::from_secs(25),
            config_file: None,
        }
    }
}
