//! The requests behind each [`GitHost`] method (listed in the parent module's docs).

use super::errors::{Failed, retrying};
use super::{
    GitError, GitFuture, GitHost, GitHub, NewPull, PullRef, RemoteFile, RepoId, TreeEntry, wire,
};
use futures::FutureExt;
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::json;

impl GitHub {
    async fn get<T: DeserializeOwned + Send>(
        &self,
        repo: &RepoId,
        route: &str,
    ) -> Result<T, GitError> {
        let crab = self.clients.for_repo(repo, &self.policy).await?;
        let crab = &*crab;
        retrying(&self.policy, move || async move {
            crab.get::<T, _, ()>(route, None)
                .await
                .map_err(Failed::from)
        })
        .await
    }

    async fn send<B, T>(
        &self,
        repo: &RepoId,
        put: bool,
        route: &str,
        body: &B,
    ) -> Result<T, GitError>
    where
        B: Serialize + Sync,
        T: DeserializeOwned + Send,
    {
        let crab = self.clients.for_repo(repo, &self.policy).await?;
        let crab = &*crab;
        retrying(&self.policy, move || async move {
            let r = if put {
                crab.put(route, Some(body)).await
            } else {
                crab.post(route, Some(body)).await
            };
            r.map_err(Failed::from)
        })
        .await
    }

    async fn resolve_sha(&self, repo: &RepoId, rev: &str) -> Result<String, GitError> {
        if rev.trim().is_empty() {
            return Err(GitError::Invalid("empty revision".into()));
        }
        let crab = self.clients.for_repo(repo, &self.policy).await?;
        let crab = &*crab;
        let uri = format!("{}/commits/{}", base(repo), wire::path(rev));
        let uri = uri.as_str();
        let sha = retrying(&self.policy, move || async move {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                reqwest::header::ACCEPT,
                reqwest::header::HeaderValue::from_static("application/vnd.github.sha"),
            );
            let resp = crab._get_with_headers(uri, Some(headers)).await?;
            let resp = octocrab::map_github_error(resp).await?;
            Ok::<_, Failed>(crab.body_to_string(resp).await?.trim().to_owned())
        })
        .await
        .map_err(|e| match e {
            // GitHub answers 422 "No commit found for SHA: …" for an unknown ref.
            GitError::Invalid(m) if m.contains("No commit found") => {
                GitError::NotFound(format!("{repo}@{rev}: {m}"))
            }
            other => other,
        })?;
        if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(GitError::Invalid(format!(
                "GitHub resolved {rev} to {sha:?}, not a commit sha"
            )));
        }
        Ok(sha)
    }
}

fn base(repo: &RepoId) -> String {
    format!(
        "/repos/{}/{}",
        wire::seg(&repo.owner),
        wire::seg(&repo.name)
    )
}

fn pull_ref(n: wire::Numbered) -> PullRef {
    PullRef {
        number: n.number,
        url: n.html_url,
    }
}

impl GitHost for GitHub {
    fn default_branch<'a>(&'a self, repo: &'a RepoId) -> GitFuture<'a, String> {
        async move {
            Ok(self
                .get::<wire::Repo>(repo, &base(repo))
                .await?
                .default_branch)
        }
        .boxed()
    }

    fn resolve<'a>(&'a self, repo: &'a RepoId, rev: &'a str) -> GitFuture<'a, String> {
        self.resolve_sha(repo, rev).boxed()
    }

    fn branch_sha<'a>(
        &'a self,
        repo: &'a RepoId,
        branch: &'a str,
    ) -> GitFuture<'a, Option<String>> {
        async move {
            let route = format!("{}/git/ref/heads/{}", base(repo), wire::path(branch));
            match self.get::<wire::Ref>(repo, &route).await {
                Ok(r) => Ok(Some(r.object.sha)),
                Err(GitError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn list_files<'a>(
        &'a self,
        repo: &'a RepoId,
        sha: &'a str,
        dir: &'a str,
    ) -> GitFuture<'a, Vec<TreeEntry>> {
        async move {
            let route = format!("{}/git/trees/{}?recursive=1", base(repo), wire::seg(sha));
            let tree: wire::Tree = self.get(repo, &route).await?;
            if tree.truncated {
                return Err(GitError::Invalid(format!(
                    "{repo}@{sha}: GitHub truncated the tree; too many files to list"
                )));
            }
            let dir = dir.trim_start_matches("./").trim_matches('/');
            let dir = if dir == "." { "" } else { dir };
            let under = |p: &str| {
                dir.is_empty()
                    || p.strip_prefix(dir)
                        .is_some_and(|rest| rest.starts_with('/'))
            };
            Ok(tree
                .tree
                .into_iter()
                .filter(|i| i.kind == "blob" && under(&i.path))
                .map(|i| TreeEntry {
                    path: i.path,
                    sha: i.sha,
                    size: i.size.unwrap_or(0),
                })
                .collect())
        }
        .boxed()
    }

    fn file<'a>(
        &'a self,
        repo: &'a RepoId,
        rev: &'a str,
        path: &'a str,
    ) -> GitFuture<'a, RemoteFile> {
        async move {
            let route = format!(
                "{}/contents/{}?ref={}",
                base(repo),
                wire::path(path),
                wire::query(rev)
            );
            let v: serde_json::Value = self.get(repo, &route).await?;
            let (c, text) = wire::file_text(v, path)?;
            Ok(RemoteFile {
                path: c.path,
                sha: c.sha,
                text,
            })
        }
        .boxed()
    }

    fn create_branch<'a>(
        &'a self,
        repo: &'a RepoId,
        branch: &'a str,
        sha: &'a str,
    ) -> GitFuture<'a, ()> {
        async move {
            let body = json!({ "ref": format!("refs/heads/{branch}"), "sha": sha });
            self.send::<_, IgnoredAny>(repo, false, &format!("{}/git/refs", base(repo)), &body)
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn update_file<'a>(
        &'a self,
        repo: &'a RepoId,
        branch: &'a str,
        path: &'a str,
        text: &'a str,
        blob_sha: &'a str,
        message: &'a str,
    ) -> GitFuture<'a, String> {
        async move {
            let body = json!({ "message": message, "content": wire::base64(text), "sha": blob_sha, "branch": branch });
            let route = format!("{}/contents/{}", base(repo), wire::path(path));
            Ok(self.send::<_, wire::Written>(repo, true, &route, &body).await?.commit.sha)
        }
        .boxed()
    }

    fn find_open_pull<'a>(
        &'a self,
        repo: &'a RepoId,
        head_branch: &'a str,
    ) -> GitFuture<'a, Option<PullRef>> {
        async move {
            let route = format!(
                "{}/pulls?state=open&head={}:{}",
                base(repo),
                wire::query(&repo.owner),
                wire::query(head_branch)
            );
            let pulls: Vec<wire::Numbered> = self.get(repo, &route).await?;
            Ok(pulls.into_iter().next().map(pull_ref))
        }
        .boxed()
    }

    fn create_pull<'a>(&'a self, repo: &'a RepoId, pull: &'a NewPull) -> GitFuture<'a, PullRef> {
        async move {
            let body = json!({ "title": pull.title, "head": pull.head, "base": pull.base, "body": pull.body, "draft": pull.draft });
            let created = pull_ref(self.send(repo, false, &format!("{}/pulls", base(repo)), &body).await?);
            if !pull.labels.is_empty() {
                let route = format!("{}/issues/{}/labels", base(repo), created.number);
                let labels = json!({ "labels": pull.labels });
                if let Err(e) = self.send::<_, IgnoredAny>(repo, false, &route, &labels).await {
                    tracing::warn!(%repo, pull = created.number, error = %e, "pull request opened but not labelled");
                }
            }
            Ok(created)
        }
        .boxed()
    }

    fn comment<'a>(&'a self, repo: &'a RepoId, number: u64, body: &'a str) -> GitFuture<'a, ()> {
        async move {
            let route = format!("{}/issues/{number}/comments", base(repo));
            self.send::<_, IgnoredAny>(repo, false, &route, &json!({ "body": body }))
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn create_issue<'a>(
        &'a self,
        repo: &'a RepoId,
        title: &'a str,
        body: &'a str,
        labels: &'a [String],
    ) -> GitFuture<'a, PullRef> {
        async move {
            let issue = json!({ "title": title, "body": body, "labels": labels });
            Ok(pull_ref(
                self.send(repo, false, &format!("{}/issues", base(repo)), &issue)
                    .await?,
            ))
        }
        .boxed()
    }
}
