//! The verdict endpoint under hostile clients (issue #12): oversized bodies, PromQL smuggled
//! through request fields, slow clients and idle connection floods.

use super::{TOKEN, cfg, post};
use rollout_doctor::verdict::conn::{ConnLimits, serve_limited};
use rollout_doctor::verdict::service::{self, VerdictService};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The service with short limits, so that slow clients are cut within a test's patience.
async fn limited(limits: ConnLimits) -> super::Service {
    let svc = Arc::new(VerdictService::new(cfg(), None, None, None));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(serve_limited(
        listener,
        service::router(svc),
        limits,
        async move {
            let _ = rx.await;
        },
    ));
    super::Service {
        url,
        stop: Some(stop),
    }
}

fn short() -> ConnLimits {
    ConnLimits {
        max_connections: 8,
        header_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
    }
}

fn addr(svc: &super::Service) -> String {
    svc.url.trim_start_matches("http://").to_owned()
}

fn body(metrics: serde_json::Value) -> String {
    json!({"namespace": "shop", "rollout": "web", "canaryHash": "abc12", "stableHash": "def34", "metrics": metrics}).to_string()
}

#[tokio::test]
async fn a_huge_body_is_413() {
    let svc = super::start(cfg(), None, None, None).await;
    let huge = format!(
        "{{\"namespace\":\"shop\",\"rollout\":\"web\",\"pad\":\"{}\"}}",
        "x".repeat(4 << 20)
    );
    let (status, _) = post(&svc, Some(TOKEN), &huge).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn promql_smuggled_through_request_fields_is_400() {
    let svc = super::start(cfg(), None, None, None).await;
    let q = |q: &str| json!([{"name": "latency", "query": q}]);
    for bad in [
        json!({"namespace": "shop\"} or vector(1) or {a=\"", "rollout": "web"}).to_string(),
        json!({"namespace": "shop", "rollout": "web", "canaryHash": "abc\"}or{__name__=~\".+\"", "stableHash": "def34"}).to_string(),
        json!({"namespace": "shop", "rollout": "web", "canaryHash": "a.*", "stableHash": "def34"}).to_string(),
        // Without the hash both versions read the same series: a pass would mean nothing.
        body(q("sum(rate(http_requests_total[5m]))")),
        body(q("up{h=\"{{hash}}\"}\n or vector(1)")),
    ] {
        let (status, v) = post(&svc, Some(TOKEN), &bad).await;
        assert_eq!(status, 400, "{bad}: {v}");
    }
}

#[tokio::test]
async fn without_measurements_it_is_never_pass() {
    let svc = super::start(cfg(), None, None, None).await;
    for metrics in [
        json!([]),
        json!([{"name": "latency", "query": "x{h=\"{{hash}}\"}"}]),
    ] {
        let (status, v) = post(&svc, Some(TOKEN), &body(metrics)).await;
        assert_eq!(status, 200, "{v}");
        assert_ne!(v["verdict"], "pass", "{v}");
    }
}

#[tokio::test]
async fn a_slowloris_client_is_cut_off_and_others_are_served() {
    let svc = limited(short()).await;
    let mut slow = TcpStream::connect(addr(&svc)).await.unwrap();
    slow.write_all(b"POST /v1/verdict HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let dripping = tokio::spawn(async move {
        // One header byte a second, as slowloris does; the server must close the socket.
        for _ in 0..30 {
            if slow.write_all(b"X").await.is_err() {
                return started.elapsed();
            }
            let mut buf = [0u8; 512];
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_secs(1), slow.read(&mut buf)).await
            {
                return started.elapsed();
            }
        }
        Duration::MAX
    });
    // Meanwhile a normal client is answered.
    let (status, _) = post(&svc, Some(TOKEN), &body(json!([]))).await;
    assert_eq!(status, 200);
    let cut = dripping.await.unwrap();
    assert!(
        cut < Duration::from_secs(4),
        "slow client held on for {cut:?}"
    );
}

#[tokio::test]
async fn idle_connections_neither_exhaust_the_cap_nor_block_requests() {
    let svc = limited(short()).await;
    // Twice the cap of idle sockets: the first 8 hold permits until their header deadline.
    let mut idle = Vec::new();
    for _ in 0..16 {
        idle.push(TcpStream::connect(addr(&svc)).await.unwrap());
    }
    let started = Instant::now();
    let (status, _) = post(&svc, Some(TOKEN), &body(json!([]))).await;
    assert_eq!(status, 200);
    // Served once the idle ones time out (1 s each wave), not never.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(idle);
}

#[tokio::test]
async fn two_hundred_idle_connections_do_not_delay_a_request_under_the_default_cap() {
    let svc = super::start(cfg(), None, None, None).await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(addr(&svc)).await.unwrap());
    }
    let started = Instant::now();
    let (status, _) = post(&svc, Some(TOKEN), &body(json!([]))).await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    drop(idle);
}
