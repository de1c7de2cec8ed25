//! One configuration source (file, environment or flags) with every field optional.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::ValueEnum;
use serde::Deserialize;

use super::{AgentArgs, AgentConfig, ConfigError, LogFormat, parse_duration};

#[derive(Debug, Default)]
pub(super) struct Layer {
    pub config_file: Option<PathBuf>,
    namespaces: Option<Vec<String>>,
    selector: Option<String>,
    concurrency: Option<usize>,
    api_timeout: Option<Duration>,
    log_tail_lines: Option<i64>,
    log_limit_bytes: Option<i64>,
    http_addr: Option<SocketAddr>,
    leader_election: Option<bool>,
    lease_name: Option<String>,
    lease_namespace: Option<String>,
    lease_duration: Option<Duration>,
    identity: Option<String>,
    log_format: Option<LogFormat>,
    evidence_budget: Option<usize>,
    shutdown_grace: Option<Duration>,
}

/// Keys a config file may contain; kept next to [`FileConfig`] so the list cannot drift far.
pub(super) const FILE_KEYS: &[&str] = &[
    "namespaces",
    "selector",
    "concurrency",
    "api_timeout",
    "log_tail_lines",
    "log_limit_bytes",
    "http_addr",
    "leader_election",
    "lease_name",
    "lease_namespace",
    "lease_duration",
    "identity",
    "log_format",
    "evidence_budget",
    "shutdown_grace",
];

/// Durations and the address stay strings here so their errors can name the key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    namespaces: Option<Vec<String>>,
    selector: Option<String>,
    concurrency: Option<usize>,
    api_timeout: Option<String>,
    log_tail_lines: Option<i64>,
    log_limit_bytes: Option<i64>,
    http_addr: Option<String>,
    leader_election: Option<bool>,
    lease_name: Option<String>,
    lease_namespace: Option<String>,
    lease_duration: Option<String>,
    identity: Option<String>,
    log_format: Option<LogFormat>,
    evidence_budget: Option<usize>,
    shutdown_grace: Option<String>,
}

impl Layer {
    pub fn from_file(path: &Path) -> Result<Layer, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Layer::from_yaml(&text, path)
    }

    pub fn from_yaml(text: &str, path: &Path) -> Result<Layer, ConfigError> {
        let parse_err = |e: serde_yaml_ng::Error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // Checked on the generic value first so an unknown key gets its own error naming
        // the key, rather than serde's one-line message among type errors.
        match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text).map_err(parse_err)? {
            // An empty file (or only comments) means "no overrides".
            serde_yaml_ng::Value::Null => return Ok(Layer::default()),
            serde_yaml_ng::Value::Mapping(map) => {
                for key in map.keys() {
                    let key = match key.as_str() {
                        Some(k) => k.to_string(),
                        None => format!("{key:?}"),
                    };
                    if !FILE_KEYS.contains(&key.as_str()) {
                        return Err(ConfigError::UnknownKey {
                            path: path.to_path_buf(),
                            key,
                        });
                    }
                }
            }
            _ => {
                return Err(ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: "expected a mapping of keys to values at the top level".into(),
                });
            }
        }
        let file: FileConfig = serde_yaml_ng::from_str(text).map_err(parse_err)?;
        let origin = |key: &str| format!("config file {}: {key}", path.display());
        let duration = |key: &str, value: Option<String>| {
            value
                .map(|v| parse_value(&origin(key), &v, parse_duration))
                .transpose()
        };
        Ok(Layer {
            config_file: None,
            namespaces: file.namespaces,
            selector: file.selector,
            concurrency: file.concurrency,
            api_timeout: duration("api_timeout", file.api_timeout)?,
            log_tail_lines: file.log_tail_lines,
            log_limit_bytes: file.log_limit_bytes,
            http_addr: file
                .http_addr
                .map(|v| parse_value(&origin("http_addr"), &v, from_str))
                .transpose()?,
            leader_election: file.leader_election,
            lease_name: file.lease_name,
            lease_namespace: file.lease_namespace,
            lease_duration: duration("lease_duration", file.lease_duration)?,
            identity: file.identity,
            log_format: file.log_format,
            evidence_budget: file.evidence_budget,
            shutdown_grace: duration("shutdown_grace", file.shutdown_grace)?,
        })
    }

    /// `ROLLOUT_DOCTOR_<FIELD>` for every field, plus the downward-API variables POD_NAME and
    /// POD_NAMESPACE as fallbacks for identity and lease namespace. Empty values count as
    /// unset, because manifests often template a variable to "" to mean "not configured".
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
        let get = |key: &str| env(key).filter(|v| !v.trim().is_empty());
        Ok(Layer {
            config_file: get("ROLLOUT_DOCTOR_CONFIG").map(PathBuf::from),
            namespaces: get("ROLLOUT_DOCTOR_NAMESPACES")
                .map(|v| v.split(',').map(str::to_string).collect()),
            selector: get("ROLLOUT_DOCTOR_SELECTOR"),
            concurrency: env_parsed(&get, "ROLLOUT_DOCTOR_CONCURRENCY", from_str)?,
            api_timeout: env_parsed(&get, "ROLLOUT_DOCTOR_API_TIMEOUT", parse_duration)?,
            log_tail_lines: env_parsed(&get, "ROLLOUT_DOCTOR_LOG_TAIL_LINES", from_str)?,
            log_limit_bytes: env_parsed(&get, "ROLLOUT_DOCTOR_LOG_LIMIT_BYTES", from_str)?,
            http_addr: env_parsed(&get, "ROLLOUT_DOCTOR_HTTP_ADDR", from_str)?,
            leader_election: env_parsed(&get, "ROLLOUT_DOCTOR_LEADER_ELECTION", parse_bool)?,
            lease_name: get("ROLLOUT_DOCTOR_LEASE_NAME"),
            lease_namespace: get("ROLLOUT_DOCTOR_LEASE_NAMESPACE").or_else(|| get("POD_NAMESPACE")),
            lease_duration: env_parsed(&get, "ROLLOUT_DOCTOR_LEASE_DURATION", parse_duration)?,
            identity: get("ROLLOUT_DOCTOR_IDENTITY").or_else(|| get("POD_NAME")),
            log_format: env_parsed(&get, "ROLLOUT_DOCTOR_LOG_FORMAT", |v| {
                LogFormat::from_str(v, true)
            })?,
            evidence_budget: env_parsed(&get, "ROLLOUT_DOCTOR_EVIDENCE_BUDGET", from_str)?,
            shutdown_grace: env_parsed(&get, "ROLLOUT_DOCTOR_SHUTDOWN_GRACE", parse_duration)?,
        })
    }

    pub fn from_args(a: &AgentArgs) -> Layer {
        Layer {
            config_file: a.config.clone(),
            namespaces: a.namespaces.clone(),
            selector: a.selector.clone(),
            concurrency: a.concurrency,
            api_timeout: a.api_timeout,
            log_tail_lines: a.log_tail_lines,
            log_limit_bytes: a.log_limit_bytes,
            http_addr: a.http_addr,
            // A bare switch can only turn election off; absent means "no opinion".
            leader_election: a.no_leader_election.then_some(false),
            lease_name: a.lease_name.clone(),
            lease_namespace: a.lease_namespace.clone(),
            lease_duration: a.lease_duration,
            identity: a.identity.clone(),
            log_format: a.log_format,
            evidence_budget: a.evidence_budget,
            shutdown_grace: a.shutdown_grace,
        }
    }

    pub fn apply(self, c: &mut AgentConfig) {
        if let Some(v) = self.namespaces {
            // Trimmed and de-emptied so `--namespace ''` or `a, b` mean what they look like.
            c.namespaces = v
                .iter()
                .map(|ns| ns.trim())
                .filter(|ns| !ns.is_empty())
                .map(str::to_string)
                .collect();
        }
        if let Some(v) = self.selector {
            // An empty selector clears one set by a lower layer.
            c.selector = Some(v.trim().to_string()).filter(|s| !s.is_empty());
        }
        set(&mut c.concurrency, self.concurrency);
        set(&mut c.api_timeout, self.api_timeout);
        set(&mut c.log_tail_lines, self.log_tail_lines);
        set(&mut c.log_limit_bytes, self.log_limit_bytes);
        set(&mut c.http_addr, self.http_addr);
        set(&mut c.leader_election, self.leader_election);
        set(&mut c.lease_name, self.lease_name);
        set(&mut c.lease_namespace, self.lease_namespace);
        set(&mut c.lease_duration, self.lease_duration);
        set(&mut c.identity, self.identity);
        set(&mut c.log_format, self.log_format);
        set(&mut c.evidence_budget, self.evidence_budget);
        set(&mut c.shutdown_grace, self.shutdown_grace);
    }
}

fn env_parsed<T>(
    get: &dyn Fn(&str) -> Option<String>,
    key: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, ConfigError> {
    get(key).map(|v| parse_value(key, &v, parse)).transpose()
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn parse_value<T>(
    origin: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    parse(value.trim()).map_err(|reason| ConfigError::Value {
        origin: origin.to_string(),
        value: value.to_string(),
        reason,
    })
}

fn from_str<T: FromStr>(v: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e: T::Err| e.to_string())
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}
