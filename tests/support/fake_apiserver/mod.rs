//! A faithful fake Kubernetes API server: real HTTP on loopback, for the real kube client.
//!
//! ```ignore
//! let server = FakeApiServer::start().await;
//! server.apply_yaml(include_str!("data/rollout.yaml"));
//! let api: kube::Api<Pod> = kube::Api::namespaced(server.client(), "default");
//! ```
mod discovery;
mod faults;
mod handlers;
mod logs;
mod meta;
mod patch;
mod resources;
mod routes;
mod selectors;
mod store;
mod watch;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::task::JoinHandle;

pub use faults::{ApiError, Fault};
pub use resources::ResourceDef;
pub use selectors::Selectors;
use store::{LogEntry, Store, WatchMsg, WriteMode};

/// One HTTP request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Raw query string, without `?` (empty if none).
    pub query: String,
}

impl RecordedRequest {
    /// A decoded query parameter.
    pub fn param(&self, key: &str) -> Option<String> {
        routes::parse_query(&self.query).remove(key)
    }
    pub fn is_watch(&self) -> bool {
        self.param("watch").is_some_and(|w| w == "true" || w == "1")
    }
}

pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) active_watches: AtomicUsize,
    pub(crate) bookmark_interval_ms: AtomicU64,
    pub(crate) addr: SocketAddr,
}

/// The fake server. Dropping it stops accepting connections and ends open watches.
pub struct FakeApiServer {
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl FakeApiServer {
    /// Bind 127.0.0.1:0 and serve in a background tokio task.
    pub async fn start() -> FakeApiServer {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (tx, _) = tokio::sync::broadcast::channel(4096);
        let mut store = Store::new(tx);
        store.resources = resources::builtin();
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            active_watches: AtomicUsize::new(0),
            bookmark_interval_ms: AtomicU64::new(1000),
            addr,
        });
        let app = axum::Router::new()
            .fallback(routes::handle)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeApiServer {
            shared,
            task: Some(task),
        }
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// A real kube client for this server (plain http, no auth, default namespace "default").
    pub fn client(&self) -> kube::Client {
        let uri: axum::http::Uri = self.url().parse().expect("valid url");
        kube::Client::try_from(kube::Config::new(uri)).expect("kube client")
    }

    /// Stop serving and end all open watch streams.
    pub async fn stop(mut self) {
        self.shutdown();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn shutdown(&mut self) {
        self.drop_watches();
        if let Some(task) = &self.task {
            task.abort();
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.shared.store.lock().unwrap()
    }

    /// Serve another resource type (e.g. a CRD) from now on.
    pub fn register(&self, def: ResourceDef) {
        let mut store = self.store();
        store
            .resources
            .retain(|r| !(r.group == def.group && r.plural == def.plural));
        store.resources.push(def);
    }

    /// Create or replace `obj` as given (status included, no optimistic concurrency), emitting
    /// ADDED or MODIFIED. Namespaced objects without a namespace go to "default". Panics on
    /// objects of unregistered kinds. Returns the stored object.
    pub fn apply(&self, obj: Value) -> Value {
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut store = self.store();
        let res = store
            .by_kind(&api_version, &kind)
            .unwrap_or_else(|| panic!("fake apiserver: unregistered {api_version} {kind}"));
        let ns = if res.namespaced {
            store::meta_str(&obj, "namespace")
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        let name = store::meta_str(&obj, "name")
            .unwrap_or_default()
            .to_string();
        let mut obj = obj;
        if res.namespaced {
            store::meta_mut(&mut obj).insert("namespace".into(), Value::String(ns.clone()));
        }
        let result = if !name.is_empty() && store.get(&res, &ns, &name).is_some() {
            store::meta_mut(&mut obj).remove("resourceVersion");
            store.update(&res, &ns, &name, obj, WriteMode::Raw)
        } else {
            store.create(&res, obj, WriteMode::Raw)
        };
        result.unwrap_or_else(|e| panic!("fake apiserver: apply {kind} {ns}/{name}: {}", e.message))
    }

    /// [`apply`](Self::apply) every document of a (multi-document) YAML string; `kind: *List`
    /// documents apply each item. Returns the stored objects.
    pub fn apply_yaml(&self, yaml: &str) -> Vec<Value> {
        let mut out = vec![];
        for doc in serde_yaml_ng::Deserializer::from_str(yaml) {
            let v = Value::deserialize(doc).expect("fake apiserver: invalid YAML");
            if v.is_null() {
                continue;
            }
            let is_list = v
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"));
            match v.get("items").and_then(Value::as_array) {
                Some(items) if is_list => out.extend(items.iter().map(|i| self.apply(i.clone()))),
                _ => out.push(self.apply(v)),
            }
        }
        out
    }

    /// Delete immediately (finalizers ignored), emitting DELETED. `plural` may be
    /// `events` (core) or qualified like `events.events.k8s.io`; `ns` is ignored for
    /// cluster-scoped resources.
    pub fn delete(&self, plural: &str, ns: &str, name: &str) -> Option<Value> {
        let mut store = self.store();
        let res = store.resolve(plural)?;
        store.delete(&res, ns, name, None, true).ok()
    }

    pub fn get(&self, plural: &str, ns: &str, name: &str) -> Option<Value> {
        let store = self.store();
        let res = store.resolve(plural)?;
        store.get(&res, ns, name).cloned()
    }

    /// All objects of a resource, across namespaces, ordered by namespace/name.
    pub fn list(&self, plural: &str) -> Vec<Value> {
        let store = self.store();
        store
            .resolve(plural)
            .map(|r| store.list(&r, None))
            .unwrap_or_default()
    }

    /// Set the log a container returns (`previous` = the last terminated instance).
    pub fn set_log(&self, ns: &str, pod: &str, container: &str, previous: bool, text: &str) {
        let stamp = k8s_openapi::jiff::Timestamp::now().to_string();
        let key = (
            ns.to_string(),
            pod.to_string(),
            container.to_string(),
            previous,
        );
        self.store().logs.insert(
            key,
            LogEntry {
                text: text.to_string(),
                stamp,
            },
        );
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.store().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.store().requests.clear();
    }

    /// Make matching requests fail with a `Status` error (first matching fault wins).
    pub fn inject(&self, fault: Fault) {
        self.store().faults.push(fault);
    }

    pub fn clear_faults(&self) {
        self.store().faults.clear();
    }

    /// Abort every open watch stream mid-response (clients see a broken connection).
    pub fn drop_watches(&self) {
        let _ = self.store().tx.send(WatchMsg::DropAll);
    }

    /// Forget the watch history: watches from any earlier resourceVersion get 410 Expired.
    pub fn compact(&self) {
        self.store().compact();
    }

    /// Number of watch streams currently open.
    pub fn watch_count(&self) -> usize {
        self.shared.active_watches.load(Ordering::SeqCst)
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.store().rv
    }

    /// How often watches with allowWatchBookmarks=true get a BOOKMARK (default 1 s).
    pub fn set_bookmark_interval(&self, every: Duration) {
        self.shared
            .bookmark_interval_ms
            .store(every.as_millis() as u64, Ordering::SeqCst);
    }

    /// Retain at most `n` events of watch history (default 10 000).
    pub fn set_history_limit(&self, n: usize) {
        self.store().history_limit = n;
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
