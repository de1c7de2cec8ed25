//! The `pull_request:` section of the notify config: where fixes go and how far they may go.

use crate::diagnosis::Category;
use crate::fix::FixLimits;
use crate::gitops::auth::GitHubConfig;
use crate::notify::Route;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepairConfig {
    /// Name in the record's delivery status and in metrics.
    #[serde(default = "default_name")]
    pub name: String,
    pub github: GitHubConfig,
    /// Draft PRs ask for a human's review before anyone can merge by accident.
    #[serde(default = "yes")]
    pub draft: bool,
    #[serde(default = "default_labels")]
    pub labels: Vec<String>,
    #[serde(default = "default_prefix")]
    pub branch_prefix: String,
    /// Computes and logs the patch but changes nothing on GitHub.
    #[serde(default)]
    pub dry_run: bool,
    /// Opens an issue with the diagnosis when the cause has no mechanical fix.
    #[serde(default)]
    pub issues_for_unfixable: bool,
    #[serde(default = "default_argocd_namespace")]
    pub argocd_namespace: String,
    #[serde(default = "default_instance_label")]
    pub instance_label: String,
    /// Files fetched per repository at most; a bigger tree needs a narrower path.
    #[serde(default = "default_max_files")]
    pub max_files: usize,
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    #[serde(default = "default_max_diff_lines")]
    pub max_diff_lines: usize,
    /// The highest memory limit a fix may set.
    #[serde(default = "default_memory_cap")]
    pub memory_cap: String,
    #[serde(default = "default_memory_factor")]
    pub max_memory_factor: f64,
    /// Rollout dashboard URL template (`{namespace}`, `{rollout}`) linked from the PR.
    pub rollouts_dashboard: Option<String>,
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub exclude_namespaces: Vec<String>,
    pub selector: Option<String>,
    /// A PR on a weak diagnosis wastes reviewers' time; below this nothing is opened.
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f64,
    #[serde(default)]
    pub categories: Vec<Category>,
}

impl RepairConfig {
    pub fn route(&self) -> Route {
        Route {
            namespaces: self.namespaces.clone(),
            exclude_namespaces: self.exclude_namespaces.clone(),
            selector: self.selector.clone(),
            min_confidence: self.min_confidence,
            categories: self.categories.clone(),
        }
    }

    pub fn limits(&self) -> FixLimits {
        FixLimits {
            max_diff_lines: self.max_diff_lines,
            memory_cap: self.memory_cap.clone(),
            max_memory_factor: self.max_memory_factor,
        }
    }

    pub fn discovery(&self) -> super::source::DiscoveryConfig {
        super::source::DiscoveryConfig {
            argocd_namespace: self.argocd_namespace.clone(),
            instance_label: self.instance_label.clone(),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("name is empty".into());
        }
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err("min_confidence must be within 0..1".into());
        }
        if let Some(sel) = &self.selector {
            crate::notify::routing::Selector::parse(sel).map_err(|e| format!("selector: {e}"))?;
        }
        let branch_ok = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
        if self.branch_prefix.is_empty()
            || !self.branch_prefix.chars().all(branch_ok)
            || self.branch_prefix.contains("..")
        {
            return Err(format!(
                "branch_prefix {:?} is not a safe branch name prefix",
                self.branch_prefix
            ));
        }
        if self.max_files == 0 || self.max_file_bytes == 0 || self.max_diff_lines == 0 {
            return Err("max_files, max_file_bytes and max_diff_lines must be positive".into());
        }
        if !(self.max_memory_factor >= 1.0) {
            return Err("max_memory_factor must be at least 1".into());
        }
        crate::fix::parse_quantity(&self.memory_cap)
            .ok_or_else(|| format!("memory_cap {:?} is not a quantity", self.memory_cap))?;
        Ok(())
    }
}

fn default_name() -> String {
    "pull-request".into()
}
fn yes() -> bool {
    true
}
fn default_labels() -> Vec<String> {
    vec!["rollout-doctor".into()]
}
fn default_prefix() -> String {
    "rollout-doctor/".into()
}
fn default_argocd_namespace() -> String {
    "argocd".into()
}
fn default_instance_label() -> String {
    "app.kubernetes.io/instance".into()
}
fn default_max_files() -> usize {
    200
}
fn default_max_file_bytes() -> u64 {
    256 * 1024
}
fn default_max_diff_lines() -> usize {
    FixLimits::default().max_diff_lines
}
fn default_memory_cap() -> String {
    FixLimits::default().memory_cap
}
fn default_memory_factor() -> f64 {
    FixLimits::default().max_memory_factor
}
fn default_min_confidence() -> f64 {
    0.6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &str) -> Result<RepairConfig, String> {
        let cfg: RepairConfig =
            serde_yaml_ng::from_str(&format!("github: {{token_env: GITHUB_TOKEN}}\n{extra}")).map_err(|e| e.to_string())?;
        cfg.validate().map(|()| cfg)
    }

    #[test]
    fn defaults_are_the_careful_ones() {
        let cfg = parse("").unwrap();
        assert!(cfg.draft && !cfg.dry_run && !cfg.issues_for_unfixable);
        assert_eq!((cfg.name.as_str(), cfg.branch_prefix.as_str()), ("pull-request", "rollout-doctor/"));
        assert_eq!(cfg.labels, ["rollout-doctor"]);
        assert_eq!(cfg.min_confidence, 0.6);
        assert_eq!(cfg.limits().memory_cap, "4Gi");
    }

    #[test]
    fn mistakes_fail_at_start() {
        for (extra, want) in [
            ("branch_prefix: 'fix/../main'", "branch name"),
            ("branch_prefix: 'a b/'", "branch name"),
            ("memory_cap: lots", "quantity"),
            ("max_memory_factor: 0.5", "at least 1"),
            ("min_confidence: 2", "0..1"),
            ("selector: 'team in x'", "selector"),
            ("max_files: 0", "positive"),
            ("dryrun: true", "unknown field"),
        ] {
            let err = parse(extra).unwrap_err();
            assert!(err.contains(want), "{extra}: {err}");
        }
    }
}
