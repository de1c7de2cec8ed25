//! The verdict service over HTTP: latency with a warm cache, latency without the cache (and
//! without the LLM) against a local Prometheus holding backfilled series, and sustained
//! requests per second with the service on a 2-worker runtime.
//! Run: `cargo bench --bench verdict_service`. Numbers only; asserts nothing. Needs
//! promtool/prometheus for the uncached numbers (skipped otherwise).

#[path = "../tests/support_prometheus/mod.rs"]
mod support_prometheus;

use rollout_doctor::verdict::prometheus::Prometheus as PromClient;
use rollout_doctor::verdict::service::{self, VerdictConfig, VerdictService};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support_prometheus::synthetic::{STABLE, data_end, series};

const TOKEN: &str = "bench-token";

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
    let (tx, rx) = std::sync::mpsc::channel();
    let prom = prom.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let cfg = VerdictConfig { token: Some(TOKEN.into()), pod_judge: false, log_judge: false, cache_ttl, ..VerdictConfig::default() };
            let client = PromClient::new(&prom, cfg.budget + Duration::from_secs(1)).unwrap();
            let svc = Arc::new(VerdictService::new(cfg, Some(client), None, None));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}/v1/verdict", listener.local_addr().unwrap())).unwrap();
            service::serve_on(listener, svc, std::future::pending()).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

async fn call(http: &reqwest::Client, url: &str, body: &str) -> Duration {
    let t = Instant::now();
    let r = http.post(url).bearer_auth(TOKEN).header("content-type", "application/json").body(body.to_owned()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["verdict"], "pass", "{v}");
    t.elapsed()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

async fn latencies(label: &str, url: &str, body: &str, n: usize) {
    let http = reqwest::Client::new();
    call(&http, url, body).await; // fills the cache (when there is one) and warms connections
    let mut d = Vec::with_capacity(n);
    for _ in 0..n {
        d.push(call(&http, url, body).await);
    }
    d.sort();
    println!("{label}: n={n} p50={:?} p90={:?} p99={:?} max={:?}", pct(&d, 0.5), pct(&d, 0.9), pct(&d, 0.99), d[n - 1]);
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
    println!("{label}: {clients} clients, {n} verdicts in {:?} = {:.0} req/s", t.elapsed(), n as f64 / t.elapsed().as_secs_f64());
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
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

        let cold = start_service(&prom.url, Duration::ZERO);
        latencies("no cache (Prometheus every time), no LLM, sequential", &cold, &body, n / 10).await;
        throughput("no cache, sustained", &cold, &body, 8, run).await;
    });
}
