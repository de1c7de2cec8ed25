//! The verdict service over HTTP: latency with a warm cache, latency without the cache (and
//! without the LLM) against a local Prometheus holding backfilled series, and sustained
//! requests per second with the service on a 2-worker runtime; and the warm-cache latency
//! over native TLS (a self-signed certificate made here), with connections kept alive and
//! with a new connection (a full handshake) per request.
//! Run: `cargo bench --bench verdict_service`. Numbers only; asserts nothing. Needs
//! promtool/prometheus for the uncached numbers (skipped otherwise).

#[path = "../tests/support_prometheus/mod.rs"]
mod support_prometheus;

use rollout_doctor::verdict::listen;
use rollout_doctor::verdict::prometheus::Prometheus as PromClient;
use rollout_doctor::verdict::service::{self, VerdictConfig, VerdictService};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support_prometheus::synthetic::{STABLE, data_end, series};

const TOKEN: &str = "bench-token";
const HOST: &str = "verdict.bench";

fn request(end: i64) -> Value {
    json!({
        "namespace": "shop", "rollout": "web", "canaryHash": "healthy-1", "stableHash": STABLE,
        "window": "10m", "step": "15s", "end": end,
        "metrics": [
            {"name": "error-rate", "group": "errors", "kind": "rate", "critical": true,
             "errorsQuery": "sum(increase(http_requests_total{rollouts_pod_template_hash=\"${hash}\",code=\"500\"}[${window}]))",
             "totalQuery": "sum(increase(http_requests_total{rollouts_pod_template_hash=\"${hash}\"}[${window}]))"},
            {"name": "latency", "group": "latency", "kind": "continuous", "critical": true, "allowedIncreasePct": 10,
             "query": "http_request_duration_seconds{rollouts_pod_template_hash=\"${hash}\"}"}
        ]
    })
}

/// Starts the service on its own 2-worker runtime (the "2 cores"); returns its URL.
fn start_service(prom: &str, cache_ttl: Duration) -> String {
    start_service_with(prom, cache_ttl, None)
}

fn start_service_with(
    prom: &str,
    cache_ttl: Duration,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    let prom = prom.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let cfg = VerdictConfig {
                token: Some(TOKEN.into()),
                pod_judge: false,
                log_judge: false,
                cache_ttl,
                ..VerdictConfig::default()
            };
            let client = PromClient::new(&prom, cfg.budget + Duration::from_secs(1)).unwrap();
            let svc = Arc::new(VerdictService::new(cfg, Some(client), None, None));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            match tls {
                Some(cfg) => {
                    tx.send(format!("https://{HOST}:{port}/v1/verdict"))
                        .unwrap();
                    listen::serve_tls_on(listener, cfg, svc, std::future::pending())
                        .await
                        .unwrap();
                }
                None => {
                    tx.send(format!("http://127.0.0.1:{port}/v1/verdict"))
                        .unwrap();
                    service::serve_on(listener, svc, std::future::pending())
                        .await
                        .unwrap();
                }
            }
        });
    });
    rx.recv().unwrap()
}

async fn call(http: &reqwest::Client, url: &str, body: &str) -> Duration {
    let t = Instant::now();
    let r = http
        .post(url)
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["verdict"], "pass", "{v}");
    t.elapsed()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

async fn latencies(label: &str, url: &str, body: &str, n: usize) {
    latencies_with(label, &reqwest::Client::new(), url, body, n).await
}

async fn latencies_with(label: &str, http: &reqwest::Client, url: &str, body: &str, n: usize) {
    call(http, url, body).await; // fills the cache (when there is one) and warms connections
    let mut d = Vec::with_capacity(n);
    for _ in 0..n {
        d.push(call(http, url, body).await);
    }
    d.sort();
    println!(
        "{label}: n={n} p50={:?} p90={:?} p99={:?} max={:?}",
        pct(&d, 0.5),
        pct(&d, 0.9),
        pct(&d, 0.99),
        d[n - 1]
    );
}

async fn throughput(label: &str, url: &str, body: &str, clients: usize, run: Duration) {
    let done = Arc::new(AtomicU64::new(0));
    let stop_at = Instant::now() + run;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (url, body, done) = (url.to_owned(), body.to_owned(), done.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                while Instant::now() < stop_at {
                    call(&http, &url, &body).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let t = Instant::now();
    for task in tasks {
        task.await.unwrap();
    }
    let n = done.load(Ordering::Relaxed);
    println!(
        "{label}: {clients} clients, {n} verdicts in {:?} = {:.0} req/s",
        t.elapsed(),
        n as f64 / t.elapsed().as_secs_f64()
    );
}

fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let quick = !std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let end = data_end();
        let Some(prom) = support_prometheus::start(&series(end)).await else { return };
        let body = request(end).to_string();
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!("machine: {cores} cores; service on a 2-worker tokio runtime; load generator in the same process");
        let (n, run) = if quick { (50, Duration::from_secs(1)) } else { (2000, Duration::from_secs(10)) };

        let warm = start_service(&prom.url, Duration::from_secs(3600));
        latencies("warm cache, sequential", &warm, &body, n).await;
        throughput("warm cache, sustained", &warm, &body, 32, run).await;

        // TLS: the same warm-cache service behind rustls (aws-lc-rs), self-signed for HOST.
        let ck = rcgen::generate_simple_self_signed(vec![HOST.to_owned()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::write(&cert, ck.cert.pem()).unwrap();
        std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
        let tls = rollout_doctor::verdict::tls::server_config(&cert, &key).unwrap();
        let https = start_service_with(&prom.url, Duration::from_secs(3600), Some(tls));
        let port: u16 = https.rsplit(':').next().and_then(|p| p.split('/').next()).and_then(|p| p.parse().ok()).unwrap();
        let trust = || reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap();
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        let kept = reqwest::Client::builder().resolve(HOST, addr).tls_certs_only([trust()]).build().unwrap();
        latencies_with("TLS, warm cache, sequential, connection kept", &kept, &https, &body, n).await;
        let fresh = reqwest::Client::builder().resolve(HOST, addr).tls_certs_only([trust()]).pool_max_idle_per_host(0).build().unwrap();
        latencies_with("TLS, warm cache, sequential, new connection (handshake) each", &fresh, &https, &body, n / 10).await;
        let plain_fresh = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        latencies_with("plain, warm cache, sequential, new connection each", &plain_fresh, &warm, &body, n / 10).await;

        let cold = start_service(&prom.url, Duration::ZERO);
        latencies("no cache (Prometheus every time), no LLM, sequential", &cold, &body, n / 10).await;
        throughput("no cache, sustained", &cold, &body, 8, run).await;
    });
}
