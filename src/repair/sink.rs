//! The fix pull request as a sink: find the Rollout's source of truth, derive the minimal
//! edit from the diagnosis's structured remediation, and propose it on a branch of its own.

use super::RepairConfig;
use super::source::{ApplicationLookup, GitSource, SourceError, discover, locate};
use crate::agent::sink::{Delivery, Link, Receipt, Sink, SinkError};
use crate::diagnosis::{Action, Category};
use crate::fix::{self, Fix, FixError, FixTarget};
use crate::gitops::github::{GitError, GitHost, PullRef, RepoId};
use crate::notify::{Route, routing};
use futures::future::BoxFuture;
use std::sync::Arc;

pub struct PullRequestSink {
    pub(super) cfg: RepairConfig,
    route: Route,
    pub(super) host: Arc<dyn GitHost>,
    apps: Arc<dyn ApplicationLookup>,
    metrics: super::FixMetrics,
}

/// What became of an incident; everything but `Failed` ends the sink's work on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Opened(PullRef),
    /// A pull request for this incident was open already; it got the diagnosis as a comment.
    Commented(PullRef),
    DryRun(Fix),
    Issue(PullRef),
    Skipped(String),
}

/// Permanent conditions become a skip with its reason on the record; transient ones fail the
/// delivery so that the agent tries again later. A 403 is a missing permission unless it is
/// a rate limit the client could not wait out.
fn transient(e: &GitError) -> bool {
    match e {
        GitError::Unauthorized(_) | GitError::Transport(_) => true,
        GitError::Forbidden(m) => m.to_ascii_lowercase().contains("rate limit"),
        GitError::Api { status, .. } => *status >= 500 || *status == 429 || *status == 408,
        _ => false,
    }
}

/// The pairs a fix may be derived for. An action outside this list, whoever proposed it, gets
/// no pull request: this is the ceiling of what the agent may change.
pub fn fixable(category: Category, action: &Action) -> bool {
    matches!(
        (category, action),
        (
            Category::ImagePull | Category::CrashLoop | Category::MetricRegression,
            Action::RevertImage { .. }
        ) | (Category::ConfigMissing, Action::RestoreEnv { .. })
            | (Category::OomKilled, Action::RaiseMemoryLimit { .. })
            | (Category::ProbeFailure, Action::FixProbe { .. })
    )
}

impl PullRequestSink {
    pub fn new(
        cfg: RepairConfig,
        host: Arc<dyn GitHost>,
        apps: Arc<dyn ApplicationLookup>,
    ) -> PullRequestSink {
        let route = cfg.route();
        PullRequestSink {
            cfg,
            route,
            host,
            apps,
            metrics: super::FixMetrics::default(),
        }
    }

    /// Its outcome counters, to register with the agent's registry.
    pub fn metrics(&self) -> &super::FixMetrics {
        &self.metrics
    }

    fn branch(&self, record: &str) -> String {
        format!("{}{record}", self.cfg.branch_prefix)
    }

    pub async fn repair(&self, delivery: &Delivery) -> Result<Outcome, SinkError> {
        let d = &delivery.diagnosis;
        if let Some(why) = routing::rejects(&self.route, d, &delivery.rollout_labels) {
            return Ok(Outcome::Skipped(format!("not routed: {why}")));
        }
        let no_fix = (!fixable(d.category, &d.remediation.action)).then(|| {
            format!(
                "{} ({}) has no mechanical fix",
                d.category,
                d.remediation.action.name()
            )
        });
        // Without a fix the source only matters for an issue: no lookup otherwise.
        if let Some(why) = &no_fix
            && (!self.cfg.issues_for_unfixable || self.cfg.dry_run)
        {
            return Ok(Outcome::Skipped(why.clone()));
        }
        let Some(locator) = locate(
            &delivery.rollout_labels,
            &delivery.rollout_annotations,
            &self.cfg.discovery(),
        ) else {
            return Ok(Outcome::Skipped(
                "no GitOps source: no Argo CD tracking annotation or instance label, no rollout-doctor.io/git-repo annotation".into(),
            ));
        };
        let sources = match discover(locator, self.apps.as_ref(), &d.rollout.namespace).await {
            Ok(s) => s,
            Err(e @ SourceError::Lookup { .. }) => return Err(SinkError(e.to_string())),
            Err(e) => return Ok(Outcome::Skipped(e.to_string())),
        };
        if let Some(why) = no_fix {
            return self.unfixable(delivery, &sources, why).await;
        }
        let mut misses = Vec::new();
        for source in &sources {
            match self.try_source(delivery, source).await? {
                Err(miss) => misses.push(miss),
                Ok(outcome) => return Ok(outcome),
            }
        }
        Ok(Outcome::Skipped(misses.join("; ")))
    }

    /// `Ok(Err(why))`: nothing to do in this source, try the next.
    async fn try_source(
        &self,
        delivery: &Delivery,
        source: &GitSource,
    ) -> Result<Result<Outcome, String>, SinkError> {
        let Some(repo) = RepoId::parse(&source.repo_url) else {
            return Ok(Err(format!(
                "{} is not a GitHub repository URL",
                without_userinfo(&source.repo_url)
            )));
        };
        if let Some(why) = self.cfg.refuses(&source.repo_url, &repo) {
            return Ok(Err(why));
        }
        let name = repo.to_string();
        let git = |e: GitError| git_failure(&name, e);
        let branch = self.branch(&delivery.record);
        match self.host.find_open_pull(&repo, &branch).await {
            Ok(Some(open)) => return self.comment(&repo, open, delivery).await.map(Ok),
            Ok(None) => {}
            Err(e) => return git(e).map(Err),
        }
        let base = match &source.revision {
            Some(r) => r.clone(),
            None => match self.host.default_branch(&repo).await {
                Ok(b) => b,
                Err(e) => return git(e).map(Err),
            },
        };
        let base_sha = match self.host.branch_sha(&repo, &base).await {
            Ok(Some(sha)) => sha,
            // A tag or commit: a branch made from it could be proposed against nothing.
            Ok(None) => {
                return Ok(Err(format!(
                    "{repo}: {base} is not a branch (a tag or commit); a pull request needs a branch to target"
                )));
            }
            Err(e) => return git(e).map(Err),
        };
        let (files, shas) = match self.fetch(&repo, &base_sha, source).await {
            Ok(f) => f,
            Err(e) => return git(e).map(Err),
        };
        let d = &delivery.diagnosis;
        let target = FixTarget {
            rollout: d.rollout.name.clone(),
            namespace: Some(d.rollout.namespace.clone()),
            helm_values: source.helm_values.clone(),
        };
        let fix = match fix::plan(&d.remediation.action, &target, &files, &self.cfg.limits()) {
            Ok(f) => f,
            Err(e @ FixError::NotFound { .. }) => return Ok(Err(format!("{repo}: {e}"))),
            Err(e) => return Ok(Ok(Outcome::Skipped(format!("no fix proposed: {e}")))),
        };
        if self.cfg.dry_run {
            tracing::info!(record = %delivery.record, %repo, path = %fix.path, diff = %fix.diff, "dry run: fix not proposed");
            return Ok(Ok(Outcome::DryRun(fix)));
        }
        let blob = shas.get(&fix.path).cloned().unwrap_or_default();
        let ctx = Proposal {
            repo: &repo,
            base: &base,
            base_sha: &base_sha,
            branch: &branch,
            source,
            fix: &fix,
            blob: &blob,
        };
        match self.propose(delivery, ctx).await {
            Ok(outcome) => Ok(Ok(outcome)),
            Err(e) => git(e).map(|skip| Ok(Outcome::Skipped(skip))),
        }
    }
}

pub(super) struct Proposal<'a> {
    pub(super) repo: &'a RepoId,
    pub(super) base: &'a str,
    pub(super) base_sha: &'a str,
    pub(super) branch: &'a str,
    pub(super) source: &'a GitSource,
    pub(super) fix: &'a Fix,
    pub(super) blob: &'a str,
}

/// `https://user:token@host/...` → `https://host/...`, for messages.
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('/') {
            Some((auth, path)) => format!(
                "{scheme}://{}/{path}",
                auth.rsplit('@').next().unwrap_or(auth)
            ),
            None => format!("{scheme}://{}", rest.rsplit('@').next().unwrap_or(rest)),
        },
        None => url.rsplit('@').next().unwrap_or(url).to_owned(),
    }
}

/// Transient failures fail the delivery; permanent ones become the reason for a skip.
pub(super) fn git_failure(repo: &str, e: GitError) -> Result<String, SinkError> {
    if transient(&e) {
        Err(SinkError(format!("{repo}: {e}")))
    } else {
        Ok(format!("{repo}: {e}"))
    }
}

impl Sink for PullRequestSink {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Receipt, SinkError>> {
        Box::pin(async move {
            // A degraded GitHub must not hold the messages after this sink for long.
            let outcome =
                match tokio::time::timeout(self.cfg.deadline(), self.repair(delivery)).await {
                    Ok(result) => result,
                    Err(_) => Err(SinkError(format!(
                        "gave up after {:?}; will try again",
                        self.cfg.deadline()
                    ))),
                }
                .inspect_err(|_| self.metrics.count("failed"))?;
            self.metrics.count(match &outcome {
                Outcome::Opened(_) => "opened",
                Outcome::Commented(_) => "commented",
                Outcome::Issue(_) => "issue",
                Outcome::DryRun(_) => "dry_run",
                Outcome::Skipped(_) => "skipped",
            });
            let receipt = match outcome {
                Outcome::Opened(pr) | Outcome::Commented(pr) => Receipt {
                    link: Some(Link {
                        label: "Fix pull request".into(),
                        url: pr.url,
                    }),
                    reference: Some(pr.number.to_string()),
                    note: None,
                },
                Outcome::Issue(issue) => Receipt {
                    link: Some(Link {
                        label: "Issue".into(),
                        url: issue.url,
                    }),
                    reference: Some(issue.number.to_string()),
                    note: Some("no mechanical fix; issue opened".into()),
                },
                Outcome::DryRun(fix) => Receipt {
                    note: Some(format!(
                        "dry run: would change {} ({})",
                        fix.path, fix.field
                    )),
                    ..Receipt::default()
                },
                Outcome::Skipped(why) => {
                    tracing::info!(record = %delivery.record, reason = %why, "no fix pull request");
                    Receipt {
                        note: Some(why),
                        ..Receipt::default()
                    }
                }
            };
            Ok(receipt)
        })
    }
}
