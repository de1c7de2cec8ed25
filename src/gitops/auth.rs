//! Who the GitHub client is: a token (personal or fine-grained), or a GitHub App acting
//! through an installation. Secrets are read once, at connect, and never logged.
//!
//! App auth: every call to an `/app/…` endpoint carries a fresh JWT (RS256, `iss` = the App
//! id, signed with the private key). Repository calls carry the installation's access token,
//! which octocrab mints with `POST /app/installations/{id}/access_tokens`, caches with its
//! `expires_at`, and mints again when less than 30 s of it remain (or after a 401). The
//! installation is the configured one, or is looked up once per repository owner with
//! `GET /repos/{owner}/{repo}/installation`; each installation keeps one client so that its
//! cached token is reused.

use super::github::errors::{Failed, retrying};
use super::github::{GitError, RepoId};
use crate::llm::SecretString;
use crate::notify::RetryConfig;
use octocrab::Octocrab;
use octocrab::models::{AppId, InstallationId};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const DEFAULT_API_URL: &str = "https://api.github.com";

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitHubConfig {
    /// GitHub Enterprise Server: `https://ghe.example/api/v3`; default `https://api.github.com`.
    pub api_url: Option<String>,
    /// Token auth: the token's file (preferred) or the env variable holding it.
    pub token_file: Option<PathBuf>,
    pub token_env: Option<String>,
    /// App auth: the App's id and private key (PEM), and optionally its installation.
    pub app_id: Option<u64>,
    pub private_key_file: Option<PathBuf>,
    pub installation_id: Option<u64>,
    /// Per HTTP request.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Tries per operation, the first included.
    #[serde(default = "default_attempts")]
    pub attempts: usize,
}

fn default_request_timeout_ms() -> u64 {
    10_000
}

fn default_attempts() -> usize {
    4
}

impl Default for GitHubConfig {
    fn default() -> Self {
        GitHubConfig {
            api_url: None,
            token_file: None,
            token_env: None,
            app_id: None,
            private_key_file: None,
            installation_id: None,
            request_timeout_ms: default_request_timeout_ms(),
            attempts: default_attempts(),
        }
    }
}

impl GitHubConfig {
    /// Backoff between tries from 500 ms up to 8 s; the whole operation, waits included,
    /// within every try's timeout plus 20 s.
    pub fn retry_policy(&self) -> RetryConfig {
        let attempts = self.attempts.max(1);
        RetryConfig {
            attempts,
            min_delay_ms: 500,
            max_delay_ms: 8_000,
            request_timeout_ms: self.request_timeout_ms.max(1),
            total_timeout_ms: self
                .request_timeout_ms
                .max(1)
                .saturating_mul(attempts as u64)
                .saturating_add(20_000),
        }
    }
}

/// The octocrab clients behind a `GitHub`.
pub(crate) enum Clients {
    Token(Arc<Octocrab>),
    App {
        app_id: u64,
        /// JWT-authenticated: only for `/app/…` and the installation lookup.
        app: Box<Octocrab>,
        /// The configured installation, else one per owner (lower-cased), found on first use.
        fixed: Option<Arc<Octocrab>>,
        by_owner: Mutex<HashMap<String, Arc<Octocrab>>>,
    },
}

fn invalid(m: impl Into<String>) -> GitError {
    GitError::Invalid(format!("GitHub config: {}", m.into()))
}

/// A file first, then an env variable (the project's rule for secrets), trimmed, non-empty.
fn secret(
    what: &str,
    file: Option<&std::path::Path>,
    env: Option<&str>,
) -> Result<Option<SecretString>, GitError> {
    crate::notify::config::resolve("github", what, None, file, env).map_err(|e| match e {
        crate::notify::ConfigError::Sink { reason, .. } => invalid(reason),
        other => invalid(other.to_string()),
    })
}

impl Clients {
    pub(crate) fn connect(cfg: &GitHubConfig) -> Result<Clients, GitError> {
        let token = secret("token", cfg.token_file.as_deref(), cfg.token_env.as_deref())?;
        let timeout = Some(Duration::from_millis(cfg.request_timeout_ms.max(1)));
        let api = cfg
            .api_url
            .as_deref()
            .unwrap_or(DEFAULT_API_URL)
            .trim_end_matches('/');
        if !(api.starts_with("https://") || api.starts_with("http://")) {
            return Err(invalid(format!("api_url {api:?} is not an http(s) URL")));
        }
        let builder = Octocrab::builder()
            .base_uri(api)
            .map_err(|e| invalid(format!("api_url {api:?}: {e}")))?
            .set_connect_timeout(timeout)
            .set_read_timeout(timeout)
            .set_write_timeout(timeout);
        let build_err = |e: octocrab::Error| {
            GitError::Transport(format!("cannot build the GitHub client: {e}"))
        };
        match (token, cfg.app_id) {
            (Some(_), Some(_)) => Err(invalid(
                "set either a token (token_file/token_env) or a GitHub App (app_id), not both",
            )),
            (None, None) => Err(invalid(
                "no credentials: set token_file/token_env, or app_id and private_key_file",
            )),
            (Some(token), None) => {
                if cfg.private_key_file.is_some() || cfg.installation_id.is_some() {
                    return Err(invalid("private_key_file and installation_id need app_id"));
                }
                // octocrab builds the header with `parse().unwrap()`: refuse what would panic.
                if !token.expose().bytes().all(|b| (0x21..0x7f).contains(&b)) {
                    return Err(invalid(
                        "the token holds characters not allowed in an HTTP header",
                    ));
                }
                let crab = builder
                    .personal_token(token.expose().to_owned())
                    .build()
                    .map_err(build_err)?;
                Ok(Clients::Token(Arc::new(crab)))
            }
            (None, Some(app_id)) => {
                let path = cfg
                    .private_key_file
                    .as_deref()
                    .ok_or_else(|| invalid("app_id needs private_key_file"))?;
                let pem = secret("private key", Some(path), None)?
                    .ok_or_else(|| invalid("no private key"))?;
                let key =
                    octocrab::EncodingKey::from_rsa_pem(pem.expose().as_bytes()).map_err(|e| {
                        invalid(format!(
                            "private_key_file {} is not an RSA private key in PEM: {e}",
                            path.display()
                        ))
                    })?;
                // Sign once now, so that a key that parses but cannot sign fails here.
                octocrab::auth::create_jwt(AppId(app_id), &key).map_err(|e| {
                    invalid(format!("cannot sign a JWT with {}: {e}", path.display()))
                })?;
                let app = builder.app(AppId(app_id), key).build().map_err(build_err)?;
                let fixed = match cfg.installation_id {
                    Some(id) => Some(Arc::new(
                        app.installation(InstallationId(id)).map_err(build_err)?,
                    )),
                    None => None,
                };
                Ok(Clients::App {
                    app_id,
                    app: Box::new(app),
                    fixed,
                    by_owner: Mutex::default(),
                })
            }
        }
    }

    /// The client that acts on `repo`.
    pub(crate) async fn for_repo(
        &self,
        repo: &RepoId,
        policy: &RetryConfig,
    ) -> Result<Arc<Octocrab>, GitError> {
        let (app_id, app, by_owner) = match self {
            Clients::Token(c) => return Ok(c.clone()),
            Clients::App { fixed: Some(c), .. } => return Ok(c.clone()),
            Clients::App {
                app_id,
                app,
                by_owner,
                ..
            } => (*app_id, app, by_owner),
        };
        let owner = repo.owner.to_ascii_lowercase();
        let cached = by_owner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&owner)
            .cloned();
        if let Some(c) = cached {
            return Ok(c);
        }
        #[derive(serde::Deserialize)]
        struct Installation {
            id: u64,
        }
        let route = format!(
            "/repos/{}/{}/installation",
            super::github::wire::seg(&repo.owner),
            super::github::wire::seg(&repo.name)
        );
        let found: Installation = retrying(policy, || async {
            app.get::<Installation, _, ()>(&route, None)
                .await
                .map_err(Failed::from)
        })
        .await
        .map_err(|e| match e {
            GitError::NotFound(_) => GitError::NotFound(format!(
                "GitHub App {app_id} is not installed on {}/{}",
                repo.owner, repo.name
            )),
            other => other,
        })?;
        tracing::debug!(owner = %repo.owner, installation = found.id, "GitHub App installation found");
        let client = Arc::new(
            app.installation(InstallationId(found.id))
                .map_err(|e| GitError::Invalid(format!("installation {}: {e}", found.id)))?,
        );
        // A concurrent lookup may have won: keep its client (and its token cache).
        let mut map = by_owner.lock().unwrap_or_else(|p| p.into_inner());
        Ok(map.entry(owner).or_insert(client).clone())
    }
}
