//! The GitHub side of a fix: the files read, a branch of its own, one commit, one draft pull request; a
//! comment when the incident's pull request exists; an issue when nothing can be fixed.

use super::sink::{Outcome, Proposal, PullRequestSink, git_failure};
use crate::agent::sink::{Delivery, SinkError};
use crate::fix::{self, RepoFile};
use crate::gitops::github::{GitError, NewPull, PullRef, RepoId};
use crate::repair::body;
use crate::repair::source::GitSource;
use futures::StreamExt;
use std::collections::BTreeMap;

/// Files fetched at once from the Git host.
const FETCH_CONCURRENCY: usize = 8;

impl PullRequestSink {
    /// The candidate files of `source` at commit `sha`, and their blob shas for the commit.
    pub(super) async fn fetch(
        &self,
        repo: &RepoId,
        sha: &str,
        source: &GitSource,
    ) -> Result<(Vec<RepoFile>, BTreeMap<String, String>), GitError> {
        let mut paths: Vec<String> = Vec::new();
        if !source.path.is_empty() || source.extra_files.is_empty() {
            let entries = self.host.list_files(repo, sha, &source.path).await?;
            let mut wanted: Vec<_> = entries
                .into_iter()
                .filter(|e| fix::is_candidate(&e.path) && e.size <= self.cfg.max_file_bytes)
                .map(|e| e.path)
                .collect();
            if wanted.len() > self.cfg.max_files {
                tracing::warn!(repo = %source.repo_url, path = %source.path, found = wanted.len(), max = self.cfg.max_files, "too many manifest files; searching the first ones only");
                wanted.truncate(self.cfg.max_files);
            }
            paths.extend(wanted);
        }
        for f in &source.extra_files {
            if !paths.contains(f) {
                paths.push(f.clone());
            }
        }
        // Boxed futures rather than an async closure: the sink's future must stay `Send`.
        let requests: Vec<_> = paths.iter().map(|p| self.host.file(repo, sha, p)).collect();
        let answers: Vec<_> = futures::stream::iter(requests)
            .buffered(FETCH_CONCURRENCY)
            .collect()
            .await;
        let mut fetched = Vec::new();
        for answer in answers {
            match answer {
                Ok(f) => fetched.push(f),
                // A named value file that does not exist, or one that is not text, is simply
                // not where the fix goes.
                Err(GitError::NotFound(_) | GitError::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let mut shas = BTreeMap::new();
        let files = fetched
            .into_iter()
            .map(|f| {
                shas.insert(f.path.clone(), f.sha);
                RepoFile {
                    path: f.path,
                    text: f.text,
                }
            })
            .collect();
        Ok((files, shas))
    }

    /// Never touches the base branch: everything lands on the incident's own branch. A
    /// branch left by an earlier try is continued only if it holds exactly the state this
    /// fix starts from or ends in; anything else is someone's work and is left alone.
    pub(super) async fn propose(
        &self,
        delivery: &Delivery,
        p: Proposal<'_>,
    ) -> Result<Outcome, GitError> {
        let d = &delivery.diagnosis;
        let title = body::title(d, p.fix);
        // The blob the commit replaces: the base's, or the branch's when an earlier try made it.
        let mut blob = Some(p.blob.to_owned());
        if p.branch == p.base {
            return Ok(Outcome::Skipped(format!(
                "branch {} is the base branch; refusing",
                p.branch
            )));
        }
        match self.host.create_branch(p.repo, p.branch, p.base_sha).await {
            Ok(()) => {}
            Err(GitError::AlreadyExists(_)) => {
                let current = match self.host.file(p.repo, p.branch, &p.fix.path).await {
                    Ok(f) => f,
                    Err(GitError::NotFound(_)) => {
                        return Ok(Outcome::Skipped(format!(
                            "branch {} exists without {}; not touching it",
                            p.branch, p.fix.path
                        )));
                    }
                    Err(e) => return Err(e),
                };
                if current.text == p.fix.after {
                    blob = None;
                } else if current.text == p.fix.before {
                    blob = Some(current.sha);
                } else {
                    return Ok(Outcome::Skipped(format!(
                        "branch {} exists with other changes to {}; not touching it",
                        p.branch, p.fix.path
                    )));
                }
            }
            Err(e) => return Err(e),
        }
        if let Some(blob) = blob {
            let message = format!(
                "{title}\n\nIncident: {}\nRollout: {}\nField: {}\n",
                delivery.record, d.rollout, p.fix.field
            );
            self.host
                .update_file(p.repo, p.branch, &p.fix.path, &p.fix.after, &blob, &message)
                .await?;
        }
        let dashboard = self
            .cfg
            .rollouts_dashboard
            .as_deref()
            .map(|t| crate::notify::expand_template(t, d));
        let pull = NewPull {
            title,
            head: p.branch.to_owned(),
            base: p.base.to_owned(),
            body: body::pull_body(
                d,
                p.fix,
                &delivery.record,
                &p.source.origin,
                dashboard.as_deref(),
            ),
            draft: self.cfg.draft,
            labels: self.cfg.labels.clone(),
        };
        let pr = match self.host.create_pull(p.repo, &pull).await {
            Ok(pr) => pr,
            // A retried create whose first answer was lost: the pull request is there.
            Err(GitError::AlreadyExists(e)) => {
                match self.host.find_open_pull(p.repo, p.branch).await? {
                    Some(pr) => pr,
                    None => return Err(GitError::AlreadyExists(e)),
                }
            }
            Err(e) => return Err(e),
        };
        tracing::info!(record = %delivery.record, pr = %pr.url, path = %p.fix.path, "fix pull request opened");
        Ok(Outcome::Opened(pr))
    }

    pub(super) async fn comment(
        &self,
        repo: &RepoId,
        pr: PullRef,
        delivery: &Delivery,
    ) -> Result<Outcome, SinkError> {
        let d = &delivery.diagnosis;
        let text = format!(
            "rollout-doctor diagnosed incident `{}` again: **{}** (confidence {:.2}).\n\n{}",
            delivery.record,
            d.category,
            d.confidence,
            body::neutralize_outside_code(&crate::diagnosis::render::markdown(d))
        );
        match self.host.comment(repo, pr.number, &text).await {
            Ok(()) => Ok(Outcome::Commented(pr)),
            Err(e) => {
                git_failure(&format!("{}/{}", repo.owner, repo.name), e).map(Outcome::Skipped)
            }
        }
    }

    pub(super) async fn unfixable(
        &self,
        delivery: &Delivery,
        sources: &[GitSource],
        why: String,
    ) -> Result<Outcome, SinkError> {
        if !self.cfg.issues_for_unfixable || self.cfg.dry_run {
            return Ok(Outcome::Skipped(why));
        }
        let Some(repo) = sources.iter().find_map(|s| RepoId::parse(&s.repo_url)) else {
            return Ok(Outcome::Skipped(why));
        };
        let d = &delivery.diagnosis;
        let title = format!("rollout-doctor: {} in {}", d.category, d.rollout);
        let text = body::issue_body(d, &delivery.record, &why);
        match self
            .host
            .create_issue(&repo, &title, &text, &self.cfg.labels)
            .await
        {
            Ok(issue) => Ok(Outcome::Issue(issue)),
            Err(e) => {
                git_failure(&format!("{}/{}", repo.owner, repo.name), e).map(Outcome::Skipped)
            }
        }
    }
}
