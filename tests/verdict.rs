//! `POST /v1/verdict` end to end over HTTP: against a real Prometheus holding backfilled
//! canary/stable series, a slow fake Prometheus, and the fake API server; with the LLM
//! reviewer against a scripted server (verdict/llm_review.rs), over TLS (verdict/tls.rs), and
//! inside `rollout-doctor run` (verdict/run.rs).

mod support;
#[path = "support_llm/mod.rs"]
mod support_llm;
#[path = "support_prometheus/mod.rs"]
mod support_prometheus;

// More of the same binary, kept in files of their own.
#[path = "verdict/limits.rs"]
mod limits;
#[path = "verdict/llm_review.rs"]
mod llm_review;
#[path = "verdict/run.rs"]
mod run;
#[path = "verdict/tls.rs"]
mod tls;

use rollout_doctor::verdict::prometheus::Prometheus as PromClient;
use rollout_doctor::verdict::request::Outcome;
use rollout_doctor::verdict::review::{Review, ReviewFuture, ReviewInput, VerdictReviewer};
use rollout_doctor::verdict::service::{self, VerdictConfig, VerdictService};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::FakeApiServer;
use support_prometheus::synthetic::{STABLE, data_end, series};

const TOKEN: &str = "s3cret-token";

struct Service {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn start(
    cfg: VerdictConfig,
    prom: Option<&str>,
    kube: Option<kube::Client>,
    reviewer: Option<Arc<dyn VerdictReviewer>>,
) -> Service {
    // The service deadline, not the client timeout, must be what cuts a slow Prometheus off.
    let prom = prom.map(|u| PromClient::new(u, cfg.budget + Duration::from_secs(1)).unwrap());
    let svc = Arc::new(VerdictService::new(cfg, prom, kube, reviewer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(service::serve_on(listener, svc, async move {
        let _ = rx.await;
    }));
    Service {
        url,
        stop: Some(stop),
    }
}

fn cfg() -> VerdictConfig {
    VerdictConfig {
        token: Some(TOKEN.into()),
        pod_judge: false,
        log_judge: false,
        ..VerdictConfig::default()
    }
}

async fn post(svc: &Service, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/v1/verdict", svc.url))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn verdict(svc: &Service, body: Value) -> Value {
    let (status, v) = post(svc, Some(TOKEN), &body.to_string()).await;
    assert_eq!(status, 200, "{v}");
    v
}

fn metrics(latency_metric: &str) -> Value {
    json!([
        {
            "name": "error-rate", "group": "errors", "kind": "rate", "critical": true,
            "errorsQuery": "sum(increase(http_requests_total{rollouts_pod_template_hash=\"{{hash}}\",code=\"500\"}[{{window}}]))",
            "totalQuery": "sum(increase(http_requests_total{rollouts_pod_template_hash=\"{{hash}}\"}[{{window}}]))"
        },
        {
            "name": "latency", "group": "latency", "kind": "continuous", "critical": true, "allowedIncreasePct": 10,
            "query": format!("{latency_metric}{{rollouts_pod_template_hash=\"{{{{hash}}}}\"}}")
        }
    ])
}

fn request(canary: &str, end: i64, latency_metric: &str) -> Value {
    json!({
        "namespace": "shop", "rollout": "web", "canaryHash": canary, "stableHash": STABLE,
        "metrics": metrics(latency_metric), "window": "10m", "step": "15s", "end": end
    })
}

async fn judge_against_prometheus(canary: &str, latency_metric: &str) -> Option<Value> {
    let end = data_end();
    let prom = support_prometheus::start(&series(end)).await?;
    let svc = start(cfg(), Some(&prom.url), None, None).await;
    let v = verdict(&svc, request(canary, end, latency_metric)).await;
    eprintln!("{canary}: {v}");
    Some(v)
}

#[tokio::test]
async fn a_healthy_canary_passes() {
    let Some(v) = judge_against_prometheus("healthy-1", "http_request_duration_seconds").await
    else {
        return;
    };
    assert_eq!(v["verdict"], "pass", "{v}");
    assert_eq!(v["category"], "healthy");
}

#[tokio::test]
async fn a_canary_with_three_times_the_error_rate_fails() {
    let Some(v) = judge_against_prometheus("errors-1", "http_request_duration_seconds").await
    else {
        return;
    };
    assert_eq!(v["verdict"], "fail", "{v}");
    assert_eq!(v["category"], "metrics");
    assert!(v["reasons"].to_string().contains("error-rate"), "{v}");
}

#[tokio::test]
async fn a_canary_forty_percent_slower_fails() {
    let Some(v) = judge_against_prometheus("slow-1", "http_request_duration_seconds").await else {
        return;
    };
    assert_eq!(v["verdict"], "fail", "{v}");
    assert!(v["reasons"].to_string().contains("latency"), "{v}");
}

#[tokio::test]
async fn a_canary_with_too_little_traffic_is_inconclusive() {
    let Some(v) = judge_against_prometheus("quiet-1", "http_request_duration_seconds").await else {
        return;
    };
    assert_eq!(v["verdict"], "inconclusive", "{v}");
    assert!(v["reasons"].to_string().contains("too few"), "{v}");
}

#[tokio::test]
async fn a_missing_metric_is_inconclusive() {
    let Some(v) =
        judge_against_prometheus("healthy-1", "http_request_duration_seconds_absent").await
    else {
        return;
    };
    assert_eq!(v["verdict"], "inconclusive", "{v}");
    assert!(
        v["reasons"].to_string().contains("no canary samples"),
        "{v}"
    );
}

// ---- HTTP contract -----------------------------------------------------------------------

#[tokio::test]
async fn a_missing_or_wrong_token_is_401() {
    let svc = start(cfg(), None, None, None).await;
    let body = json!({"namespace": "shop", "rollout": "web"}).to_string();
    assert_eq!(post(&svc, None, &body).await.0, 401);
    assert_eq!(post(&svc, Some("s3cret-tokem"), &body).await.0, 401);
    assert_eq!(post(&svc, Some(TOKEN), &body).await.0, 200);
}

#[tokio::test]
async fn a_malformed_request_is_400() {
    let svc = start(cfg(), None, None, None).await;
    for body in [
        "{",
        r#"{"namespace":"shop"}"#,
        r#"{"namespace":"shop","rollout":"web","window":"ten minutes"}"#,
        r#"{"namespace":"shop","rollout":"web","canaryHash":"a\"} or vector(1) #"}"#,
        r#"{"namespace":"shop","rollout":"web","metrics":[{"name":"x","kind":"rate"}]}"#,
        r#"{"namespace":"shop","rollout":"web","typo":1}"#,
    ] {
        let (status, v) = post(&svc, Some(TOKEN), body).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert!(v["error"].is_string());
    }
}

#[tokio::test]
async fn without_hashes_or_cluster_access_it_is_inconclusive_never_pass() {
    let svc = start(cfg(), None, None, None).await;
    let v = verdict(&svc, json!({"namespace": "shop", "rollout": "web"})).await;
    assert_eq!(v["verdict"], "inconclusive", "{v}");
    let fail_closed = VerdictConfig {
        undecided: Outcome::Fail,
        ..cfg()
    };
    let svc = start(fail_closed, None, None, None).await;
    let v = verdict(
        &svc,
        json!({"namespace": "shop", "rollout": "web", "canaryHash": "a", "stableHash": "b"}),
    )
    .await;
    assert_eq!(v["verdict"], "fail", "{v}");
}

/// A Prometheus that never answers in time.
async fn slow_prometheus() -> String {
    let app = axum::Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "late"
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn the_deadline_is_respected() {
    let prom = slow_prometheus().await;
    let budget = Duration::from_millis(500);
    let svc = start(VerdictConfig { budget, ..cfg() }, Some(&prom), None, None).await;
    let t = Instant::now();
    let v = verdict(&svc, request("healthy-1", data_end(), "x")).await;
    let took = t.elapsed();
    assert!(took < budget + Duration::from_millis(100), "took {took:?}");
    assert_eq!(v["verdict"], "inconclusive", "{v}");
    assert_eq!(v["category"], "deadline");
}

// ---- pod health with the fake API server ---------------------------------------------------

const ROLLOUT: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop, uid: 11111111-2222-3333-4444-555555555555}
spec:
  selector: {matchLabels: {app: web}}
  strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}]}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:2"}]}
status: {currentPodHash: canary-1, stableRS: stable-1}
"#;

fn pod(name: &str, hash: &str, ready: bool, waiting: Option<&str>, restarts: i32) -> String {
    let state = match waiting {
        Some(r) => format!("{{waiting: {{reason: {r}}}}}"),
        None => "{running: {startedAt: \"2024-01-01T00:00:00Z\"}}".into(),
    };
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: shop, labels: {{app: web, rollouts-pod-template-hash: {hash}}}}}
spec: {{containers: [{{name: web, image: "web:x"}}]}}
status:
  phase: Running
  conditions: [{{type: Ready, status: "{}"}}]
  containerStatuses: [{{name: web, image: "web:x", imageID: "", ready: {ready}, restartCount: {restarts}, state: {state}}}]
"#,
        if ready { "True" } else { "False" }
    )
}

async fn pod_verdict(server: &FakeApiServer) -> Value {
    let c = VerdictConfig {
        pod_judge: true,
        log_judge: true,
        ..cfg()
    };
    let svc = start(c, None, Some(server.client()), None).await;
    // No hashes: they come from the Rollout's status.
    verdict(&svc, json!({"namespace": "shop", "rollout": "web"})).await
}

#[tokio::test]
async fn no_canary_pods_is_inconclusive() {
    let server = FakeApiServer::start().await;
    server.apply_yaml(ROLLOUT);
    server.apply_yaml(&pod("web-stable-a", "stable-1", true, None, 0));
    let v = pod_verdict(&server).await;
    assert_eq!(v["verdict"], "inconclusive", "{v}");
    assert_eq!(v["category"], "no_canary_pods", "{v}");
    assert_eq!(v["canaryHash"], "canary-1");
}

#[tokio::test]
async fn a_crashing_canary_fails_and_a_healthy_one_passes() {
    let server = FakeApiServer::start().await;
    server.apply_yaml(ROLLOUT);
    server.apply_yaml(&pod("web-stable-a", "stable-1", true, None, 0));
    server.apply_yaml(&pod("web-canary-a", "canary-1", true, None, 0));
    let v = pod_verdict(&server).await;
    assert_eq!(v["verdict"], "pass", "{v}");
    server.apply_yaml(&pod(
        "web-canary-b",
        "canary-1",
        false,
        Some("CrashLoopBackOff"),
        4,
    ));
    let v = pod_verdict(&server).await;
    assert_eq!(v["verdict"], "fail", "{v}");
    assert_eq!(v["category"], "pod_health", "{v}");
}

// ---- the slow reviewer ---------------------------------------------------------------------

/// A Prometheus whose canary and stable look the same: every verdict is a statistical pass.
async fn flat_prometheus() -> String {
    async fn answer(path: axum::extract::OriginalUri, body: String) -> axum::Json<Value> {
        if path.path().ends_with("query_range") {
            let values: Vec<Value> = (0..40)
                .map(|i| json!([i * 15, format!("{}", 0.2 + (i % 7) as f64 * 0.01)]))
                .collect();
            axum::Json(
                json!({"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": values}]}}),
            )
        } else {
            let v = if body.contains("500") { "10" } else { "1000" };
            axum::Json(
                json!({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, v]}]}}),
            )
        }
    }
    let app = axum::Router::new().fallback(answer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

struct FakeReviewer {
    verdict: Outcome,
    delay: Duration,
}

impl VerdictReviewer for FakeReviewer {
    fn review(&self, input: ReviewInput) -> ReviewFuture<'_> {
        Box::pin(async move {
            tokio::time::sleep(self.delay).await;
            assert_eq!(input.canary_hash, "healthy-1");
            Ok(Review {
                verdict: self.verdict,
                reason: "stack traces only the canary logs".into(),
            })
        })
    }
}

#[tokio::test]
async fn a_review_downgrades_the_next_measurement_and_a_slow_one_changes_nothing() {
    let prom = flat_prometheus().await;
    let fail = Arc::new(FakeReviewer {
        verdict: Outcome::Fail,
        delay: Duration::from_millis(50),
    });
    let svc = start(cfg(), Some(&prom), None, Some(fail)).await;
    let body = request("healthy-1", 1_000_000, "m");
    let first = verdict(&svc, body.clone()).await;
    assert_eq!(
        first["verdict"], "pass",
        "the review runs in the background: {first}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = verdict(&svc, body.clone()).await;
    assert_eq!(second["verdict"], "fail", "{second}");
    assert_eq!(second["category"], "llm");

    let slow = Arc::new(FakeReviewer {
        verdict: Outcome::Fail,
        delay: Duration::from_secs(60),
    });
    let c = VerdictConfig {
        review_timeout: Duration::from_millis(100),
        ..cfg()
    };
    let svc = start(c, Some(&prom), None, Some(slow)).await;
    assert_eq!(verdict(&svc, body.clone()).await["verdict"], "pass");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        verdict(&svc, body).await["verdict"],
        "pass",
        "a timed-out review leaves the statistical verdict"
    );
}

#[tokio::test]
async fn a_repeated_measurement_is_answered_from_the_cache() {
    let prom = flat_prometheus().await;
    let svc = start(cfg(), Some(&prom), None, None).await;
    let body = request("healthy-1", 1_000_000, "m");
    let first = verdict(&svc, body.clone()).await;
    let t = Instant::now();
    let second = verdict(&svc, body).await;
    assert_eq!(first, second);
    assert!(t.elapsed() < Duration::from_millis(50), "{:?}", t.elapsed());
    let text = reqwest::get(format!("{}/metrics", svc.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"rollout_doctor_verdicts_total{verdict="pass",category="healthy"} 2"#),
        "{text}"
    );
}

// ---- the AnalysisTemplate example ----------------------------------------------------------

#[test]
fn the_analysis_template_example_maps_the_verdict_exactly() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/examples/analysistemplate-verdict.yaml");
    let t: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(t["kind"], "AnalysisTemplate");
    let m = &t["spec"]["metrics"][0];
    assert_eq!(m["successCondition"], r#"result == "pass""#);
    assert_eq!(m["failureCondition"], r#"result == "fail""#);
    let web = &m["provider"]["web"];
    assert_eq!(web["jsonPath"], "{$.verdict}");
    assert_eq!(web["method"], "POST");
    // Above the service's default budget, below Argo's default web timeout.
    let timeout = web["timeoutSeconds"].as_u64().unwrap();
    assert!(
        timeout > VerdictConfig::default().budget.as_secs() && timeout < 10,
        "{timeout}"
    );
    let auth = web["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["key"] == "Authorization")
        .unwrap();
    assert_eq!(auth["value"], "Bearer {{ args.verdict-token }}");
    let secret = t["spec"]["args"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "verdict-token")
        .unwrap();
    assert!(secret["valueFrom"]["secretKeyRef"].is_object());

    // Every {{...}} is one of the template's args (Argo fails on any other), and the body
    // Argo sends is a request the service accepts.
    let args: Vec<&str> = t["spec"]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    let mut body = web["body"].as_str().unwrap().to_owned();
    while let Some(start) = body.find("{{") {
        let end = start + body[start..].find("}}").unwrap() + 2;
        let arg = body[start + 2..end - 2]
            .trim()
            .strip_prefix("args.")
            .expect("only args are templated");
        assert!(args.contains(&arg), "{arg} is not an arg");
        body.replace_range(
            start..end,
            &format!("{arg}-x")
                .replace("canary-hash-x", "abc123")
                .replace("stable-hash-x", "def456"),
        );
    }
    let req: rollout_doctor::verdict::request::VerdictRequest =
        serde_json::from_str(&body).expect("body is a verdict request");
    let checked =
        rollout_doctor::verdict::request::check(req).expect("the service accepts the body");
    assert_eq!(checked.req.metrics.len(), 2);
}

// ---- logs through the core's log diff ------------------------------------------------------

/// Loads a scenario snapshot's objects and logs into the fake API server.
fn load_scenario(server: &FakeApiServer, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/scenarios")
        .join(name);
    let stored = server.apply_yaml(&std::fs::read_to_string(dir.join("objects.yaml")).unwrap());
    let Ok(pods) = std::fs::read_dir(dir.join("logs")) else {
        return;
    };
    for pod in pods.flatten() {
        let pod_name = pod.file_name().to_string_lossy().into_owned();
        let Some(ns) = stored
            .iter()
            .find(|o| o["kind"] == "Pod" && o["metadata"]["name"] == pod_name.as_str())
            .and_then(|o| o["metadata"]["namespace"].as_str())
        else {
            continue;
        };
        for file in std::fs::read_dir(pod.path()).unwrap().flatten() {
            let fname = file.file_name().to_string_lossy().into_owned();
            assert!(!fname.ends_with(".gz"), "gzip logs not handled here");
            let text = std::fs::read_to_string(file.path()).unwrap();
            let (container, previous) = match fname.strip_suffix(".previous.log") {
                Some(c) => (c.to_owned(), true),
                None => (fname.trim_end_matches(".log").to_owned(), false),
            };
            server.set_log(ns, &pod_name, &container, previous, &text);
        }
    }
}

#[tokio::test]
async fn new_error_templates_in_the_canary_logs_fail() {
    let server = FakeApiServer::start().await;
    load_scenario(&server, "canary-python-missing-env-var");
    // Pod health alone would already fail this canary: judge the logs by themselves.
    let c = VerdictConfig {
        pod_judge: false,
        log_judge: true,
        ..cfg()
    };
    let svc = start(c, None, Some(server.client()), None).await;
    let v = verdict(
        &svc,
        json!({"namespace": "notifications", "rollout": "notifier"}),
    )
    .await;
    assert_eq!(v["verdict"], "fail", "{v}");
    assert_eq!(v["category"], "logs", "{v}");
    assert!(v["reasons"].to_string().contains("SENDGRID_API_KEY"), "{v}");
    assert_eq!(v["canaryHash"], "778d66b9d4");
}

#[test]
fn the_verdict_service_example_is_valid_and_matches_the_template() {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Service as KService;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
    let text = std::fs::read_to_string(dir.join("verdict-service.yaml")).unwrap();
    let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    // k8s-openapi drops unknown keys: a lossless round trip means no typo was ignored.
    let deployment: Deployment = serde_json::from_value(docs[0].clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&deployment).unwrap(),
        docs[0],
        "Deployment has keys k8s would ignore"
    );
    let svc: KService = serde_json::from_value(docs[1].clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&svc).unwrap(),
        docs[1],
        "Service has keys k8s would ignore"
    );
    let args = deployment.spec.unwrap().template.spec.unwrap().containers[0]
        .args
        .clone()
        .unwrap();
    assert_eq!(args[0], "serve");
    // The command line the example passes parses.
    let cli = <rollout_doctor::cli::Cli as clap::Parser>::try_parse_from(
        std::iter::once("rollout-doctor".to_owned()).chain(args),
    );
    assert!(cli.is_ok(), "{:?}", cli.err());
    let template = std::fs::read_to_string(dir.join("analysistemplate-verdict.yaml")).unwrap();
    let name = svc.metadata.name.unwrap();
    let port = svc.spec.unwrap().ports.unwrap()[0].port;
    assert!(template.contains(&format!(
        "http://{name}.rollout-doctor.svc:{port}/v1/verdict"
    )));
}
