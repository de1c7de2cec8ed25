//! `?watch=true`: newline-delimited JSON watch events over a chunked response.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::Shared;
use super::faults::{ApiError, qualified};
use super::selectors::Selectors;
use super::store::{HistEvent, ResourceDef, WatchMsg};

type Chunk = Result<Bytes, std::io::Error>;

struct Filter {
    res: String,
    ns: Option<String>,
    sel: Selectors,
}

impl Filter {
    /// Translate a stored event the way the apiserver does for a filtered watch: an object
    /// that stops matching the selector is DELETED, one that starts matching is ADDED.
    fn translate(&self, ev: &HistEvent) -> Option<Value> {
        if ev.res != self.res || self.ns.as_ref().is_some_and(|ns| *ns != ev.ns) {
            return None;
        }
        let now = self.sel.matches(&ev.object);
        let before = ev.old.as_ref().is_some_and(|o| self.sel.matches(o));
        let typ = match ev.typ {
            "MODIFIED" if now && !before => "ADDED",
            "MODIFIED" if !now && before => "DELETED",
            "DELETED" if before || now => "DELETED",
            "DELETED" => return None,
            t if now => t,
            _ => return None,
        };
        Some(json!({ "type": typ, "object": ev.object }))
    }
}

fn line(v: &Value) -> Chunk {
    let mut s = v.to_string();
    s.push('\n');
    Ok(Bytes::from(s))
}

fn bookmark(res: &ResourceDef, rv: u64, initial_end: bool) -> Value {
    let mut md = json!({ "resourceVersion": rv.to_string() });
    if initial_end {
        md["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
    }
    json!({ "type": "BOOKMARK", "object": { "apiVersion": res.api_version(), "kind": res.kind, "metadata": md } })
}

struct Guard(Arc<Shared>);
impl Drop for Guard {
    fn drop(&mut self) {
        self.0.active_watches.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Start a watch. Errors before the stream starts (bad selector) are returned as HTTP errors;
/// an expired resourceVersion is an in-stream ERROR event with a 410 Status, like the real server.
pub(crate) fn serve(
    shared: Arc<Shared>,
    res: &ResourceDef,
    ns: Option<String>,
    q: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let sel = Selectors::parse(
        q.get("labelSelector").map(String::as_str),
        q.get("fieldSelector").map(String::as_str),
    )?;
    let filter = Filter {
        res: res.key(),
        ns,
        sel,
    };
    let bookmarks = q
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true" || v == "1");
    let send_initial = q
        .get("sendInitialEvents")
        .is_some_and(|v| v == "true" || v == "1");
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|t| *t > 0);
    let rv_param = q.get("resourceVersion").cloned().unwrap_or_default();

    let mut initial: Vec<Chunk> = vec![];
    let mut expired = false;
    let (rx, mut last_rv) = {
        let store = shared.store.lock().unwrap();
        let rx = store.tx.subscribe();
        if send_initial || rv_param.is_empty() || rv_param == "0" {
            for obj in store.list(res, filter.ns.as_deref()) {
                if filter.sel.matches(&obj) {
                    initial.push(line(&json!({ "type": "ADDED", "object": obj })));
                }
            }
            if send_initial && bookmarks {
                initial.push(line(&bookmark(res, store.rv, true)));
            }
            (rx, store.rv)
        } else {
            let since: u64 = rv_param.parse().map_err(|_| {
                ApiError::bad_request(format!(
                    "invalid resource version \"{rv_param}\" for {}",
                    qualified(res)
                ))
            })?;
            match store.events_since(since) {
                Some(evs) => initial.extend(
                    evs.iter()
                        .filter_map(|e| filter.translate(e))
                        .map(|v| line(&v)),
                ),
                None => {
                    let e = ApiError::expired(format!(
                        "too old resource version: {since} ({})",
                        store.history_start
                    ));
                    initial.push(line(&json!({ "type": "ERROR", "object": e.status() })));
                    expired = true;
                }
            }
            (rx, store.rv.max(since))
        }
    };

    let (tx, body_rx) = mpsc::channel::<Chunk>(256);
    shared.active_watches.fetch_add(1, Ordering::SeqCst);
    let guard = Guard(shared.clone());
    let interval =
        Duration::from_millis(shared.bookmark_interval_ms.load(Ordering::SeqCst).max(10));
    let res = res.clone();
    tokio::spawn(async move {
        let _guard = guard;
        let mut rx: broadcast::Receiver<WatchMsg> = rx;
        for c in initial {
            if tx.send(c).await.is_err() {
                return;
            }
        }
        if expired {
            return;
        }
        let deadline = tokio::time::sleep(Duration::from_secs(timeout.unwrap_or(24 * 3600)));
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = tick.tick(), if bookmarks => {
                    if tx.send(line(&bookmark(&res, last_rv, false))).await.is_err() { return; }
                }
                msg = rx.recv() => match msg {
                    Ok(WatchMsg::Event(ev)) => {
                        last_rv = last_rv.max(ev.rv);
                        if let Some(v) = filter.translate(&ev)
                            && tx.send(line(&v)).await.is_err()
                        {
                            return;
                        }
                    }
                    // Abort the HTTP body mid-stream: the client sees a broken chunked response.
                    Ok(WatchMsg::DropAll) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = tx.send(Err(std::io::Error::other("watch dropped by test"))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    let stream =
        futures::stream::unfold(
            body_rx,
            |mut rx| async move { rx.recv().await.map(|c| (c, rx)) },
        );
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .expect("valid response"))
}
