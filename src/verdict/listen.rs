//! Binding and serving the verdict endpoint, over plain HTTP or native TLS. Binding happens
//! before anything is spawned, so a taken port is a start error, not a log line.

use super::conn::{ConnLimits, serve_limited};
use super::service::{VerdictService, router};
use super::tls::TlsListener;
use rustls::ServerConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running endpoint: where it listens, and the task serving it (it ends after shutdown).
pub struct Endpoint {
    pub addr: SocketAddr,
    pub tls: bool,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Binds `addr` and serves `service` on it until `shutdown` completes.
pub async fn start(
    addr: SocketAddr,
    service: Arc<VerdictService>,
    tls: Option<Arc<ServerConfig>>,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Endpoint> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let is_tls = tls.is_some();
    let task = match tls {
        Some(cfg) => {
            let listener = TlsListener::new(listener, cfg)?;
            tokio::spawn(serve_limited(listener, router(service), limits, shutdown))
        }
        None => tokio::spawn(serve_limited(listener, router(service), limits, shutdown)),
    };
    Ok(Endpoint {
        addr,
        tls: is_tls,
        task,
    })
}

/// Serves HTTPS on `listener` until `shutdown` completes.
pub async fn serve_tls_on(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    service: Arc<VerdictService>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TlsListener::new(listener, tls)?;
    serve_limited(listener, router(service), ConnLimits::default(), shutdown).await
}

/// Serves plain HTTP on `addr` until `shutdown` completes.
pub async fn serve(
    addr: SocketAddr,
    service: Arc<VerdictService>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(listener, service, shutdown).await
}

/// Serves plain HTTP on `listener` until `shutdown` completes.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    service: Arc<VerdictService>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_limited(listener, router(service), ConnLimits::default(), shutdown).await
}
