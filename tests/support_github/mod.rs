//! A fake GitHub REST API over real HTTP: in-memory repositories (see `store`), token and
//! GitHub App auth (a JWT's `iss` checked, installation tokens minted with an expiry), every
//! request recorded, and faults injected for the next N requests matching a method and a
//! path prefix. Only what `rollout_doctor::gitops::github` calls is served; see `api`.

#![allow(dead_code)]

mod api;
pub mod store;
mod writes;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
#[allow(unused_imports)]
pub use store::{Comment, Issue, Pull, Repo};

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, v: Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: v.to_string(),
        }
    }
    /// GitHub's error shape: `{"message": …}`.
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(
            status,
            serde_json::json!({ "message": message, "documentation_url": "https://docs.github.com/rest" }),
        )
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// As received: path (with any API prefix) and query.
    pub path: String,
    pub authorization: Option<String>,
    pub accept: Option<String>,
    pub body: Option<Value>,
}

struct Fault {
    method: String,
    prefix: String,
    left: usize,
    reply: Reply,
}

pub struct AppSetup {
    pub app_id: u64,
    /// owner (lower-cased) → installation id
    pub installations: HashMap<String, u64>,
    pub token_ttl: Duration,
}

#[derive(Default)]
pub struct State {
    pub repos: HashMap<String, Repo>,
    pub requests: Vec<Recorded>,
    faults: Vec<Fault>,
    /// Bearer tokens accepted on repository endpoints, with their expiry (Unix seconds).
    pub tokens: HashMap<String, Option<u64>>,
    pub app: Option<AppSetup>,
    pub minted: u64,
}

pub struct FakeGitHub {
    pub addr: SocketAddr,
    prefix: String,
    state: Arc<Mutex<State>>,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl FakeGitHub {
    pub async fn start() -> FakeGitHub {
        Self::start_with_prefix("").await
    }

    /// GitHub Enterprise Server serves the API under `/api/v3`.
    pub async fn start_with_prefix(prefix: &str) -> FakeGitHub {
        let state = Arc::new(Mutex::new(State::default()));
        let prefix = prefix.trim_end_matches('/').to_owned();
        let app = Router::new()
            .fallback(handle)
            .with_state((prefix.clone(), state.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeGitHub {
            addr,
            prefix,
            state,
        }
    }

    pub fn api_url(&self) -> String {
        format!("http://{}{}", self.addr, self.prefix)
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub fn accept_token(&self, token: &str) {
        self.with(|s| s.tokens.insert(token.into(), None));
    }

    /// Acts as GitHub App `app_id`, minting installation tokens valid for `token_ttl`.
    pub fn enable_app(&self, app_id: u64, token_ttl: Duration) {
        self.with(|s| {
            s.app = Some(AppSetup {
                app_id,
                installations: HashMap::new(),
                token_ttl,
            })
        });
    }

    pub fn install(&self, owner: &str, installation_id: u64) {
        self.with(|s| {
            s.app
                .as_mut()
                .unwrap()
                .installations
                .insert(owner.to_ascii_lowercase(), installation_id)
        });
    }

    /// Commits `files` on `branch` (created on first use; a new repository's default branch).
    pub fn seed(&self, owner: &str, name: &str, branch: &str, files: &[(&str, &str)]) -> String {
        self.with(|s| {
            let repo = s.repos.entry(format!("{owner}/{name}")).or_default();
            if repo.default_branch.is_empty() {
                repo.default_branch = branch.to_owned();
            }
            let parent = repo.branches.get(branch).cloned();
            let mut tree = parent
                .as_ref()
                .map(|p| repo.commits[p].tree.clone())
                .unwrap_or_default();
            tree.extend(files.iter().map(|(p, c)| (p.to_string(), c.to_string())));
            let sha = repo.commit(parent, tree, "seed");
            repo.branches.insert(branch.to_owned(), sha.clone());
            sha
        })
    }

    pub fn repo(&self, owner: &str, name: &str) -> Repo {
        self.with(|s| s.repos[&format!("{owner}/{name}")].clone())
    }

    pub fn file_on(&self, owner: &str, name: &str, branch: &str, path: &str) -> Option<String> {
        self.repo(owner, name).file(branch, path)
    }

    /// The next `times` requests with `method` whose path (after any API prefix) starts with
    /// `path_prefix` get `reply` instead of an answer.
    pub fn fail(&self, method: &str, path_prefix: &str, times: usize, reply: Reply) {
        let f = Fault {
            method: method.into(),
            prefix: path_prefix.into(),
            left: times,
            reply,
        };
        self.with(|s| s.faults.push(f));
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    /// `"GET /repos/o/r?x=1"`: method and path+query without the API prefix.
    pub fn calls(&self) -> Vec<String> {
        let p = self.prefix.clone();
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.method,
                    r.path.strip_prefix(&p).unwrap_or(&r.path)
                )
            })
            .collect()
    }

    pub fn clear_requests(&self) {
        self.with(|s| s.requests.clear());
    }
}

async fn handle(
    AxState((prefix, state)): AxState<(String, Arc<Mutex<State>>)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let rec = Recorded {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        authorization: header("authorization"),
        accept: header("accept"),
        body: serde_json::from_slice(&body).ok(),
    };
    let reply = {
        let mut s = state.lock().unwrap();
        s.requests.push(rec.clone());
        match uri.path().strip_prefix(prefix.as_str()) {
            Some(rel) if rel.starts_with('/') => injected(&mut s, &rec.method, rel)
                .unwrap_or_else(|| api::serve(&mut s, &rec, rel, uri.query().unwrap_or(""))),
            _ => Reply::error(404, "Not Found"),
        }
    };
    let mut resp = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (k, v) in reply.headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            axum::http::HeaderValue::from_str(&v).unwrap(),
        );
    }
    resp
}

fn injected(s: &mut State, method: &str, rel: &str) -> Option<Reply> {
    let f = s
        .faults
        .iter_mut()
        .find(|f| f.left > 0 && f.method == method && rel.starts_with(&f.prefix))?;
    f.left -= 1;
    Some(f.reply.clone())
}
