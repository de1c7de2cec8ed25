//! A scripted OpenAI-compatible server for tests: each request takes the next scripted
//! reply (status, headers, body, delay) and is recorded for assertions.

#![allow(dead_code)]

pub mod harness;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Scripted {
    /// A 200 chat completion whose message content is `content`.
    pub fn content(content: &str) -> Self {
        Self::raw(
            200,
            json!({
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 0,
                "model": "test-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1234, "completion_tokens": 56, "total_tokens": 1290}
            })
            .to_string(),
        )
    }

    /// A 200 whose content is this JSON answer.
    pub fn answer(v: Value) -> Self {
        Self::content(&v.to_string())
    }

    pub fn raw(status: u16, body: impl Into<String>) -> Self {
        Scripted {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn error(status: u16, message: &str, type_: &str) -> Self {
        Self::raw(
            status,
            json!({"error": {"message": message, "type": type_, "param": null, "code": null}})
                .to_string(),
        )
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub raw: String,
    pub body: Value,
}

impl Recorded {
    /// Every message's content, joined.
    pub fn messages_text(&self) -> String {
        self.body["messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|x| x["content"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    pub fn message(&self, role: &str) -> String {
        self.body["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|x| x["role"] == role))
            .and_then(|x| x["content"].as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

#[derive(Default)]
struct Shared {
    script: VecDeque<Scripted>,
    requests: Vec<Recorded>,
    in_flight: usize,
    max_in_flight: usize,
}

#[derive(Clone)]
pub struct FakeLlm {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

impl FakeLlm {
    pub async fn start(script: Vec<Scripted>) -> FakeLlm {
        let shared = Arc::new(Mutex::new(Shared {
            script: script.into(),
            ..Shared::default()
        }));
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeLlm { addr, shared }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn push(&self, s: Scripted) {
        self.shared.lock().unwrap().script.push_back(s);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().unwrap().requests.clone()
    }

    pub fn max_in_flight(&self) -> usize {
        self.shared.lock().unwrap().max_in_flight
    }
}

async fn handle(
    State(shared): State<Arc<Mutex<Shared>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw = String::from_utf8_lossy(&body).into_owned();
    let next = {
        let mut s = shared.lock().unwrap();
        s.requests.push(Recorded {
            path: uri.path().to_owned(),
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: serde_json::from_str(&raw).unwrap_or(Value::Null),
            raw,
        });
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        s.script.pop_front()
    };
    let reply = next.unwrap_or_else(|| Scripted::error(500, "unscripted request", "server_error"));
    tokio::time::sleep(reply.delay).await;
    shared.lock().unwrap().in_flight -= 1;
    let mut resp = (
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        reply.body,
    )
        .into_response();
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}
