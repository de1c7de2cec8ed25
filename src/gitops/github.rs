//! The GitOps repository on GitHub (or GitHub Enterprise Server) over its REST API: read
//! files at a commit, commit a change on a new branch, open a pull request, comment.
//!
//! Requests per method (`{repo}` = `/repos/{owner}/{name}`; App auth may add the
//! installation lookup and token minting described in [`super::auth`]):
//! `default_branch` GET `{repo}`; `resolve` GET `{repo}/commits/{rev}` (sha media type);
//! `list_files` GET `{repo}/git/trees/{sha}?recursive=1`; `file` GET
//! `{repo}/contents/{path}?ref={rev}`; `create_branch` POST `{repo}/git/refs`; `update_file`
//! PUT `{repo}/contents/{path}`; `find_open_pull` GET `{repo}/pulls?state=open&head=o:b`;
//! `create_pull` POST `{repo}/pulls` then POST `{repo}/issues/{n}/labels`; `comment` POST
//! `{repo}/issues/{n}/comments`; `create_issue` POST `{repo}/issues`.

mod client;
pub(crate) mod errors;
pub(crate) mod wire;

use super::auth::Clients;
pub use super::auth::GitHubConfig;
use crate::notify::RetryConfig;
pub use errors::GitError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoId {
    pub owner: String,
    pub name: String,
}

impl RepoId {
    /// `https://github.com/o/r(.git)`, `git@github.com:o/r.git`, `ssh://git@host(:port)/o/r.git`,
    /// `https://ghe.example/o/r`; `None` for anything else (more path segments included).
    /// The host of `https://host:port/…`, `ssh://git@host/…` or `git@host:owner/repo`,
    /// lower-cased, without port or user.
    pub fn host(url: &str) -> Option<String> {
        let rest = match url.trim().split_once("://") {
            Some((_, rest)) => rest.split('/').next()?,
            None => url.trim().split(':').next()?,
        };
        let host = rest.rsplit('@').next()?.split(':').next()?.trim();
        (!host.is_empty()).then(|| host.to_ascii_lowercase())
    }

    /// Whether two repository URLs, in whatever form, name the same repository.
    pub fn same(a: &str, b: &str) -> bool {
        let key = |u: &str| {
            let id = RepoId::parse(u)?;
            Some((
                RepoId::host(u)?,
                id.owner.to_ascii_lowercase(),
                id.name.to_ascii_lowercase(),
            ))
        };
        matches!((key(a), key(b)), (Some(x), Some(y)) if x == y)
    }

    pub fn parse(url: &str) -> Option<RepoId> {
        let url = url.trim();
        let path = match url.split_once("://") {
            Some((scheme, rest)) => {
                if !matches!(scheme, "https" | "http" | "ssh" | "git" | "git+ssh") {
                    return None;
                }
                rest.split_once('/')?.1
            }
            None => {
                let (host, path) = url.split_once(':')?;
                if host.is_empty() || host.contains('/') {
                    return None;
                }
                path
            }
        };
        let path = path.trim_matches('/');
        let mut parts = path.strip_suffix(".git").unwrap_or(path).split('/');
        let (owner, name) = (parts.next()?, parts.next()?);
        let valid = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        (parts.next().is_none() && valid(owner) && valid(name)).then(|| RepoId {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl std::fmt::Display for RepoId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[derive(Debug, Clone)]
pub struct TreeEntry {
    pub path: String,
    pub sha: String,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct RemoteFile {
    pub path: String,
    /// The blob sha, needed to replace the file.
    pub sha: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PullRef {
    pub number: u64,
    /// `html_url`
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct NewPull {
    pub title: String,
    pub head: String,
    pub base: String,
    pub body: String,
    pub draft: bool,
    pub labels: Vec<String>,
}

pub type GitFuture<'a, T> = futures::future::BoxFuture<'a, Result<T, GitError>>;

pub trait GitHost: Send + Sync {
    fn default_branch<'a>(&'a self, repo: &'a RepoId) -> GitFuture<'a, String>;
    /// Commit sha a branch, tag or commit sha points at; NotFound if none.
    fn resolve<'a>(&'a self, repo: &'a RepoId, rev: &'a str) -> GitFuture<'a, String>;
    /// Commit sha of the branch `branch`; `None` when no branch has that name (a tag or a
    /// commit sha is not a branch, so a pull request cannot target it).
    fn branch_sha<'a>(&'a self, repo: &'a RepoId, branch: &'a str)
    -> GitFuture<'a, Option<String>>;
    /// Blobs under `dir` ("" or "." = whole repo) at commit `sha`, recursive (git trees API);
    /// errs Invalid if GitHub says the tree was truncated.
    fn list_files<'a>(
        &'a self,
        repo: &'a RepoId,
        sha: &'a str,
        dir: &'a str,
    ) -> GitFuture<'a, Vec<TreeEntry>>;
    /// Contents API, base64 decoded; NotFound if absent; Invalid for non-UTF-8 or > 1 MiB.
    fn file<'a>(
        &'a self,
        repo: &'a RepoId,
        rev: &'a str,
        path: &'a str,
    ) -> GitFuture<'a, RemoteFile>;
    /// AlreadyExists if it does.
    fn create_branch<'a>(
        &'a self,
        repo: &'a RepoId,
        branch: &'a str,
        sha: &'a str,
    ) -> GitFuture<'a, ()>;
    /// Commits `text` to `path` on `branch` (contents API PUT with the blob sha it replaces);
    /// returns the commit sha.
    fn update_file<'a>(
        &'a self,
        repo: &'a RepoId,
        branch: &'a str,
        path: &'a str,
        text: &'a str,
        blob_sha: &'a str,
        message: &'a str,
    ) -> GitFuture<'a, String>;
    /// GET pulls?state=open&head=owner:branch
    fn find_open_pull<'a>(
        &'a self,
        repo: &'a RepoId,
        head_branch: &'a str,
    ) -> GitFuture<'a, Option<PullRef>>;
    /// Then adds labels (issues/{n}/labels) if any; a failure to label is logged, not returned.
    fn create_pull<'a>(&'a self, repo: &'a RepoId, pull: &'a NewPull) -> GitFuture<'a, PullRef>;
    fn comment<'a>(&'a self, repo: &'a RepoId, number: u64, body: &'a str) -> GitFuture<'a, ()>;
    fn create_issue<'a>(
        &'a self,
        repo: &'a RepoId,
        title: &'a str,
        body: &'a str,
        labels: &'a [String],
    ) -> GitFuture<'a, PullRef>;
}

pub struct GitHub {
    clients: Clients,
    policy: RetryConfig,
}

impl GitHub {
    /// Reads the credentials and builds the client; no request is made (an App's installation
    /// is found on first use of each owner).
    pub async fn connect(cfg: &GitHubConfig) -> Result<GitHub, GitError> {
        Ok(GitHub {
            clients: Clients::connect(cfg)?,
            policy: cfg.retry_policy(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::RepoId;

    #[test]
    fn parses_repo_urls() {
        let id = |o: &str, n: &str| {
            Some(RepoId {
                owner: o.into(),
                name: n.into(),
            })
        };
        let table = [
            ("https://github.com/acme/deploy", id("acme", "deploy")),
            ("https://github.com/acme/deploy.git", id("acme", "deploy")),
            ("https://github.com/acme/deploy/", id("acme", "deploy")),
            ("http://github.com/acme/deploy.git", id("acme", "deploy")),
            (
                "https://x-access-token@github.com/acme/deploy.git",
                id("acme", "deploy"),
            ),
            ("git@github.com:acme/deploy.git", id("acme", "deploy")),
            ("git@github.com:acme/deploy", id("acme", "deploy")),
            (
                "ssh://git@ghe.example/acme/deploy.git",
                id("acme", "deploy"),
            ),
            (
                "ssh://git@ghe.example:2222/acme/deploy.git",
                id("acme", "deploy"),
            ),
            (
                "https://ghe.example/platform-team/k8s.manifests",
                id("platform-team", "k8s.manifests"),
            ),
            ("  https://github.com/acme/deploy  ", id("acme", "deploy")),
            ("https://gitlab.example/group/sub/repo", None),
            ("https://github.com/acme", None),
            ("https://github.com/", None),
            ("https://github.com/acme/.git", None),
            ("/srv/git/deploy", None),
            ("ftp://github.com/acme/deploy", None),
            ("deploy", None),
            ("", None),
            ("https://github.com/acme/de ploy", None),
        ];
        for (url, want) in table {
            assert_eq!(RepoId::parse(url), want, "{url}");
        }
    }
}
