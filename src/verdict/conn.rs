//! The verdict endpoint's accept loop. `axum::serve` reads headers forever and accepts without
//! bound, so one slow client per socket (slowloris) or a flood of idle connections could starve
//! Argo's analysis calls; here every connection holds a permit, headers must arrive within a
//! deadline (idle keep-alive connections too), and a whole request, body included, has one.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::Listener;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// From accept (or the end of the last response) to the end of the request headers.
    pub header_timeout: Duration,
    /// A whole request, body and judgement included.
    pub request_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// How long in-flight connections get to finish after shutdown.
const DRAIN: Duration = Duration::from_secs(10);

async fn within(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "request took too long").into_response(),
    }
}

pub async fn serve_limited<L: Listener>(
    mut listener: L,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limit = limits.request_timeout;
    let app = app.layer(middleware::from_fn(move |req, next| {
        within(limit, req, next)
    }));
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, closed) = watch::channel(());
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (io, _) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let service = TowerToHyperService::new(
            app.clone()
                .map_request(|req: Request<hyper::body::Incoming>| req.map(Body::new)),
        );
        let mut closed = closed.clone();
        let header_timeout = limits.header_timeout;
        conns.spawn(async move {
            // HTTP/1.1 only (the TLS listener offers no other ALPN): sniffing for an h2
            // preface would wait, without any deadline, for a client that sends nothing.
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection(TokioIo::new(io), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = closed.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(permit);
        });
        while conns.try_join_next().is_some() {}
    }
    drop(closing);
    let _ = tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} }).await;
    Ok(())
}
