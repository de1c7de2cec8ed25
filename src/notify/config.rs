//! Notification configuration: a `notify:` section of the agent's YAML file, or a file of
//! its own holding the same keys at top level. Secrets are never inline: they are named by
//! a file (a mounted Secret) or an environment variable and read once at start.

use crate::diagnosis::Category;
use crate::llm::SecretString;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    #[serde(default)]
    pub sinks: Vec<SinkConfig>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub retry: RetryConfig,
    /// Fix pull requests on the GitOps repository; they go out before the messages, which
    /// then link them.
    #[serde(default)]
    pub pull_request: Option<crate::repair::RepairConfig>,
}

/// URL templates; `{namespace}` and `{rollout}` are replaced (percent-encoded).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    /// e.g. `https://argo-rollouts.example/rollouts/{namespace}/{rollout}`
    pub rollouts_dashboard: Option<String>,
    /// e.g. `https://argocd.example/applications/argocd/{rollout}`
    pub argocd: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SinkKind {
    Slack,
    Webhook,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// Unique; the name the agent records delivery status and metrics under.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: SinkKind,
    /// Where to POST. A Slack incoming-webhook URL is a secret: prefer `url_file`/`url_env`.
    pub url: Option<String>,
    pub url_file: Option<PathBuf>,
    pub url_env: Option<String>,
    /// Slack bot token (`xoxb-…`): switches to chat.postMessage so updates thread.
    pub token_file: Option<PathBuf>,
    pub token_env: Option<String>,
    /// Slack channel for bot-token mode.
    pub channel: Option<String>,
    /// Slack Web API base; only tests change it.
    #[serde(default = "default_slack_api")]
    pub slack_api_url: String,
    /// HMAC key for the generic webhook.
    pub secret_file: Option<PathBuf>,
    pub secret_env: Option<String>,
    // Routing, inline rather than flattened: serde cannot deny unknown fields through
    // `flatten`, and a misspelt filter must fail at start, not silently route everything.
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub exclude_namespaces: Vec<String>,
    pub selector: Option<String>,
    #[serde(default)]
    pub min_confidence: f64,
    #[serde(default)]
    pub categories: Vec<Category>,
}

impl SinkConfig {
    pub fn route(&self) -> Route {
        Route {
            namespaces: self.namespaces.clone(),
            exclude_namespaces: self.exclude_namespaces.clone(),
            selector: self.selector.clone(),
            min_confidence: self.min_confidence,
            categories: self.categories.clone(),
        }
    }
}

/// Which diagnoses a sink receives. Every present condition must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route {
    /// Only these namespaces; empty means all.
    pub namespaces: Vec<String>,
    pub exclude_namespaces: Vec<String>,
    /// Kubernetes label selector on the Rollout's labels, e.g. `team=payments,tier!=batch`.
    pub selector: Option<String>,
    pub min_confidence: f64,
    /// Only these categories; empty means all.
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Tries per delivery, the first included.
    pub attempts: usize,
    pub min_delay_ms: u64,
    pub max_delay_ms: u64,
    /// Per HTTP request.
    pub request_timeout_ms: u64,
    /// For the whole delivery, retries included: bounds how long a worker is held.
    pub total_timeout_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            attempts: 5,
            min_delay_ms: 500,
            max_delay_ms: 8_000,
            request_timeout_ms: 5_000,
            total_timeout_ms: 30_000,
        }
    }
}

impl RetryConfig {
    pub fn min_delay(&self) -> Duration {
        Duration::from_millis(self.min_delay_ms)
    }
    pub fn max_delay(&self) -> Duration {
        Duration::from_millis(self.max_delay_ms.max(self.min_delay_ms))
    }
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(1))
    }
    pub fn total_timeout(&self) -> Duration {
        Duration::from_millis(self.total_timeout_ms.max(1))
    }
}

fn default_slack_api() -> String {
    "https://slack.com/api".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid notify config: {0}")]
    Parse(String),
    #[error("sink {sink}: {reason}")]
    Sink { sink: String, reason: String },
}

impl NotifyConfig {
    /// Reads the `notify:` section of a larger file, or a file that is only that section.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        Self::from_yaml(&text)
    }

    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        let doc: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        let section = match doc.get("notify") {
            Some(s) => s.clone(),
            None if doc.is_null() => return Ok(Self::default()),
            None => doc,
        };
        let cfg: NotifyConfig =
            serde_yaml_ng::from_value(section).map_err(|e| ConfigError::Parse(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Catches at start what would otherwise fail at the first incident.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut names = std::collections::HashSet::new();
        if let Some(pr) = &self.pull_request {
            pr.validate().map_err(|reason| ConfigError::Sink {
                sink: pr.name.clone(),
                reason,
            })?;
            names.insert(pr.name.as_str());
        }
        for s in &self.sinks {
            let bad = |reason: &str| {
                Err(ConfigError::Sink {
                    sink: s.name.clone(),
                    reason: reason.into(),
                })
            };
            if s.name.trim().is_empty() {
                return bad("name is empty");
            }
            if !names.insert(s.name.as_str()) {
                return bad("name used twice");
            }
            if let Err(e) = s.route().validate() {
                return bad(&e);
            }
            let has_url = s.url.is_some() || s.url_file.is_some() || s.url_env.is_some();
            let has_token = s.token_file.is_some() || s.token_env.is_some();
            match s.kind {
                SinkKind::Webhook if !has_url => {
                    return bad("webhook needs url, url_file or url_env");
                }
                SinkKind::Webhook if s.secret_file.is_none() && s.secret_env.is_none() => {
                    return bad(
                        "webhook needs secret_file or secret_env (payloads are always signed)",
                    );
                }
                SinkKind::Slack if has_token && s.channel.is_none() => {
                    return bad("slack bot token needs a channel");
                }
                SinkKind::Slack if !has_token && !has_url => {
                    return bad(
                        "slack needs url_file/url_env (incoming webhook) or token_file/token_env",
                    );
                }
                _ => {}
            }
        }
        if self.retry.attempts == 0 {
            return Err(ConfigError::Parse(
                "retry.attempts must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// A value given inline, by file or by environment variable; file wins, then env.
pub(crate) fn resolve(
    sink: &str,
    what: &str,
    inline: Option<&str>,
    file: Option<&Path>,
    env: Option<&str>,
) -> Result<Option<SecretString>, ConfigError> {
    let err = |reason: String| ConfigError::Sink {
        sink: sink.into(),
        reason,
    };
    if let Some(path) = file {
        let v = std::fs::read_to_string(path)
            .map_err(|e| err(format!("cannot read {what} file {}: {e}", path.display())))?;
        return non_empty(v)
            .map(Some)
            .ok_or_else(|| err(format!("{what} file {} is empty", path.display())));
    }
    if let Some(var) = env {
        let v = std::env::var(var).map_err(|_| err(format!("{what} env {var} is not set")))?;
        return non_empty(v)
            .map(Some)
            .ok_or_else(|| err(format!("{what} env {var} is empty")));
    }
    Ok(inline.map(SecretString::new))
}

fn non_empty(v: String) -> Option<SecretString> {
    let t = v.trim();
    (!t.is_empty()).then(|| SecretString::new(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r##"
notify:
  links:
    rollouts_dashboard: "https://argo-rollouts.example/rollouts/{namespace}/{rollout}"
  retry: {attempts: 3, min_delay_ms: 10}
  sinks:
    - name: payments-slack
      type: slack
      token_env: SLACK_BOT_TOKEN
      channel: "#payments-deploys"
      namespaces: [payments]
      selector: "team=payments"
      min_confidence: 0.6
    - name: audit
      type: webhook
      url: https://hooks.example/rollout-doctor
      secret_file: /etc/rollout-doctor/webhook-secret
      categories: [image_pull, config_missing]
"##;

    #[test]
    fn section_or_own_file() {
        let cfg = NotifyConfig::from_yaml(YAML).unwrap();
        assert_eq!(cfg.sinks.len(), 2);
        assert_eq!(cfg.retry.attempts, 3);
        assert_eq!(cfg.retry.total_timeout_ms, 30_000);
        assert_eq!(
            cfg.sinks[1].categories,
            [Category::ImagePull, Category::ConfigMissing]
        );
        let own = YAML.replacen("notify:\n", "", 1).replace("\n  ", "\n");
        let alone = NotifyConfig::from_yaml(&own).unwrap();
        assert_eq!(
            (alone.sinks, alone.links, alone.retry),
            (cfg.sinks.clone(), cfg.links.clone(), cfg.retry)
        );
        let empty = NotifyConfig::from_yaml("").unwrap();
        assert!(empty.sinks.is_empty() && empty.pull_request.is_none());
    }

    #[test]
    fn mistakes_fail_at_start() {
        let bad = |from: &str, to: &str| {
            NotifyConfig::from_yaml(&YAML.replace(from, to))
                .unwrap_err()
                .to_string()
        };
        assert!(bad("min_confidence: 0.6", "min_confidense: 0.6").contains("unknown field"));
        assert!(bad("min_confidence: 0.6", "min_confidence: 6").contains("0..1"));
        assert!(bad("secret_file: /etc/rollout-doctor/webhook-secret", "").contains("secret"));
        assert!(bad("      channel: \"#payments-deploys\"\n", "").contains("channel"));
        assert!(bad("team=payments", "team in payments").contains("selector"));
        assert!(bad("name: audit", "name: payments-slack").contains("twice"));
        assert!(bad("image_pull", "imagepull").contains("unknown variant"));
    }
}
