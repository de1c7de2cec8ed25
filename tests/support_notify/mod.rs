//! A scripted HTTP receiver standing in for Slack (webhook or Web API) and for a generic
//! webhook receiver: each request takes the next scripted reply (or the default one) and is
//! recorded for assertions.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// Decides a reply from the request itself (a receiver verifying signatures).
pub type Judge = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Clone)]
struct Shared {
    script: Arc<Mutex<VecDeque<Reply>>>,
    default: Reply,
    judge: Option<Judge>,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

pub struct FakeServer {
    pub addr: SocketAddr,
    shared: Shared,
}

impl FakeServer {
    /// Replies with `script` in order, then with `default` forever.
    pub async fn start(script: Vec<Reply>, default: Reply) -> FakeServer {
        Self::launch(Shared {
            script: Arc::new(Mutex::new(script.into())),
            default,
            judge: None,
            seen: Arc::default(),
        })
        .await
    }

    pub async fn judging(judge: Judge) -> FakeServer {
        Self::launch(Shared {
            script: Arc::default(),
            default: Reply::new(200, "ok"),
            judge: Some(judge),
            seen: Arc::default(),
        })
        .await
    }

    async fn launch(shared: Shared) -> FakeServer {
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeServer { addr, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.seen.lock().unwrap().clone()
    }
}

async fn handle(State(s): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let rec = Recorded {
        path: uri.path().to_string(),
        headers,
        body,
    };
    let reply = match &s.judge {
        Some(j) => j(&rec),
        None => s
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| s.default.clone()),
    };
    s.seen.lock().unwrap().push(rec);
    let mut resp = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (k, v) in reply.headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            axum::http::HeaderValue::from_str(&v).unwrap(),
        );
    }
    resp
}

/// An address nothing listens on: connections are refused at once.
pub async fn refused_addr() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr
}
