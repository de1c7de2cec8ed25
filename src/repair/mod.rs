//! Fix pull requests: the Rollout's GitOps source ([`source`]), the minimal edit
//! ([`crate::fix`]), and a branch, commit and draft pull request on the Git host
//! ([`crate::gitops`]), wired as an agent sink ([`PullRequestSink`]).

pub mod body;
mod config;
mod metrics;
mod propose;
mod sink;
pub mod source;

pub use config::RepairConfig;
pub use metrics::FixMetrics;
pub use sink::{Outcome, PullRequestSink, fixable};

/// The pull request sink of a configuration: the GitHub client (secrets read now, so that a
/// missing Secret fails the start) and Argo CD Applications read through `client`.
pub async fn connect(
    cfg: RepairConfig,
    client: kube::Client,
) -> Result<PullRequestSink, crate::gitops::github::GitError> {
    let host = crate::gitops::github::GitHub::connect(&cfg.github).await?;
    Ok(PullRequestSink::new(
        cfg,
        std::sync::Arc::new(host),
        std::sync::Arc::new(client),
    ))
}
