//! The `pull_request:` section of the notify config: where fixes go and how far they may go.

use crate::diagnosis::Category;
use crate::fix::FixLimits;
use crate::gitops::auth::GitHubConfig;
use crate::gitops::github::RepoId;
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
    /// Repositories a fix may be proposed to: `owner/name` or `owner/*`. Empty means any the
    /// credentials reach; set it where Rollout owners are not trusted to name repositories
    /// (the source annotations and instance label are theirs to set).
    #[serde(default)]
    pub repositories: Vec<String>,
    /// The web host of repository URLs (`github.com`, `ghe.example`); by default derived from
    /// `github.api_url`. A source on any other host is not this GitHub's.
    pub repository_host: Option<String>,
    /// The most one incident's pull request work may take before the delivery fails (and is
    /// retried later), so that the messages after it are not held up.
    #[serde(default = "default_deadline_ms")]
    pub deadline_ms: u64,
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

    pub fn deadline(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.deadline_ms.max(1))
    }

    /// Why a fix may not go to `repo` (found at `url`), if it may not.
    pub fn refuses(&self, url: &str, repo: &RepoId) -> Option<String> {
        let want = match &self.repository_host {
            Some(h) => h.to_ascii_lowercase(),
            None => match self.github.api_url.as_deref().and_then(RepoId::host) {
                Some(h) if h == "api.github.com" => "github.com".into(),
                Some(h) => h,
                None => "github.com".into(),
            },
        };
        match RepoId::host(url) {
            Some(host) if host == want => {}
            host => {
                return Some(format!(
                    "{repo} is on {}, not on the configured GitHub {want}",
                    host.unwrap_or_default()
                ));
            }
        }
        let allowed = self.repositories.is_empty()
            || self.repositories.iter().any(|p| {
                let (owner, name) = p.split_once('/').unwrap_or((p, ""));
                owner.eq_ignore_ascii_case(&repo.owner)
                    && (name == "*" || name.eq_ignore_ascii_case(&repo.name))
            });
        (!allowed).then(|| format!("{repo} is not in pull_request.repositories"))
    }

    pub fn validate(&self) -> Result<(), String> {
        if let Some(bad) = self.repositories.iter().find(|p| !matches!(p.split_once('/'), Some((o, n)) if !o.is_empty() && !n.is_empty() && !n.contains('/'))) {
            return Err(format!("repositories: {bad:?} is not owner/name or owner/*"));
        }
        if self.name.trim().is_empty() {
            return Err("name is empty".into());
        }
        self.route().validate()?;
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
        // Negated so that NaN fails too.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(self.max_memory_factor >= 1.0) {
            return Err("max_memory_factor must be at least 1".into());
        }
        crate::fix::parse_quantity(&self.memory_cap)
            .ok_or_else(|| format!("memory_cap {:?} is not a quantity", self.memory_cap))?;
        Ok(())
    }
}

fn default_deadline_ms() -> u64 {
    120_000
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
            serde_yaml_ng::from_str(&format!("github: {{token_env: GITHUB_TOKEN}}\n{extra}"))
                .map_err(|e| e.to_string())?;
        cfg.validate().map(|()| cfg)
    }

    #[test]
    fn defaults_are_the_careful_ones() {
        let cfg = parse("").unwrap();
        assert!(cfg.draft && !cfg.dry_run && !cfg.issues_for_unfixable);
        assert_eq!(
            (cfg.name.as_str(), cfg.branch_prefix.as_str()),
            ("pull-request", "rollout-doctor/")
        );
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
            ("repositories: [acme]", "owner/name"),
        ] {
            let err = parse(extra).unwrap_err();
            assert!(err.contains(want), "{extra}: {err}");
        }
    }

    #[test]
    fn repositories_are_refused_by_host_and_allow_list() {
        let repo = |o: &str, n: &str| RepoId {
            owner: o.into(),
            name: n.into(),
        };
        let cfg = parse("repositories: [acme/deploy, platform/*]").unwrap();
        assert_eq!(
            cfg.refuses(
                "https://github.com/acme/deploy.git",
                &repo("acme", "deploy")
            ),
            None
        );
        assert_eq!(
            cfg.refuses(
                "git@github.com:Platform/anything",
                &repo("Platform", "anything")
            ),
            None
        );
        let no = cfg
            .refuses("https://github.com/acme/other", &repo("acme", "other"))
            .unwrap();
        assert!(no.contains("not in pull_request.repositories"), "{no}");
        let no = cfg
            .refuses(
                "https://gitlab.example/acme/deploy",
                &repo("acme", "deploy"),
            )
            .unwrap();
        assert!(no.contains("gitlab.example"), "{no}");
        let ghe: RepairConfig =
            serde_yaml_ng::from_str("github: {api_url: 'https://ghe.example/api/v3'}").unwrap();
        assert_eq!(
            ghe.refuses(
                "ssh://git@ghe.example:7999/acme/deploy.git",
                &repo("acme", "deploy")
            ),
            None
        );
        assert!(
            ghe.refuses("https://github.com/acme/deploy", &repo("acme", "deploy"))
                .is_some()
        );
    }
}
