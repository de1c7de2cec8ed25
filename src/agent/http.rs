//! The agent's own HTTP endpoints: liveness, readiness and Prometheus metrics.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use super::metrics::Metrics;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Readiness as the agent reports it. Starts not ready: a replica that cannot list Rollouts
/// (RBAC, API down) must not look healthy behind the Service.
#[derive(Debug)]
pub struct Health {
    ready: AtomicBool,
    /// Why the agent is not ready, shown in the 503 body to make `kubectl describe` useful.
    reason: Mutex<String>,
}

impl Default for Health {
    fn default() -> Self {
        Health::new()
    }
}

impl Health {
    pub fn new() -> Health {
        Health {
            ready: AtomicBool::new(false),
            reason: Mutex::new("waiting for the first Rollout list".into()),
        }
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub fn set_not_ready(&self, reason: impl Into<String>) {
        // A poisoned lock only means a writer panicked mid-store of a String; the value is
        // still a whole String, so keep using it.
        *self.reason.lock().unwrap_or_else(|p| p.into_inner()) = reason.into();
        self.ready.store(false, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    fn reason(&self) -> String {
        self.reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[derive(Clone)]
struct AppState {
    health: Arc<Health>,
    metrics: Arc<Metrics>,
}

/// The routes alone, for embedding or for tests that drive the router directly.
pub fn router(health: Arc<Health>, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_page))
        .with_state(AppState { health, metrics })
}

/// Binds `addr` and serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    addr: SocketAddr,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    serve_on(listener, health, metrics, shutdown).await
}

/// As [`serve`] on an already bound listener (lets callers bind port 0 and learn the port).
pub async fn serve_on(
    listener: TcpListener,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(local) = listener.local_addr() {
        tracing::info!(addr = %local, "serving /healthz, /readyz, /metrics");
    }
    axum::serve(listener, router(health, metrics))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    if s.health.is_ready() {
        (StatusCode::OK, "ok".to_string())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}", s.health.reason()),
        )
    }
}

async fn metrics_page(State(s): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, OPENMETRICS)], s.metrics.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Running {
        base: String,
        health: Arc<Health>,
        stop: tokio::sync::oneshot::Sender<()>,
        task: tokio::task::JoinHandle<std::io::Result<()>>,
    }

    async fn start() -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let health = Arc::new(Health::new());
        let metrics = Arc::new(Metrics::new());
        metrics.watch_restart();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_on(listener, health.clone(), metrics, async {
            let _ = stopped.await;
        }));
        Running {
            base,
            health,
            stop,
            task,
        }
    }

    async fn get(url: String) -> (u16, String, String) {
        let resp = reqwest::get(url).await.expect("request");
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, ctype, resp.text().await.expect("body"))
    }

    #[tokio::test]
    async fn endpoints_and_graceful_shutdown() {
        let srv = start().await;

        let (status, _, body) = get(format!("{}/healthz", srv.base)).await;
        assert_eq!((status, body.as_str()), (200, "ok"));

        let (status, _, body) = get(format!("{}/readyz", srv.base)).await;
        assert_eq!(status, 503);
        assert!(
            body.contains("waiting for the first Rollout list"),
            "{body}"
        );

        srv.health.set_ready();
        let (status, _, _) = get(format!("{}/readyz", srv.base)).await;
        assert_eq!(status, 200);

        srv.health.set_not_ready("watch lost: 403 Forbidden");
        let (status, _, body) = get(format!("{}/readyz", srv.base)).await;
        assert_eq!(status, 503);
        assert!(body.contains("403 Forbidden"), "{body}");

        let (status, ctype, body) = get(format!("{}/metrics", srv.base)).await;
        assert_eq!(status, 200);
        assert_eq!(ctype, OPENMETRICS);
        assert!(
            body.contains("rollout_doctor_watch_restarts_total 1"),
            "{body}"
        );
        assert!(body.ends_with("# EOF\n"));

        let (status, _, _) = get(format!("{}/nope", srv.base)).await;
        assert_eq!(status, 404);

        srv.stop.send(()).expect("server still running");
        let result = tokio::time::timeout(std::time::Duration::from_secs(5), srv.task)
            .await
            .expect("server stops after the shutdown signal")
            .expect("server task did not panic");
        assert!(result.is_ok(), "{result:?}");
    }

    #[tokio::test]
    async fn serve_reports_bind_errors() {
        let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = taken.local_addr().expect("local addr");
        let err = serve(
            addr,
            Arc::new(Health::new()),
            Arc::new(Metrics::new()),
            async {},
        )
        .await;
        assert!(err.is_err());
    }
}
