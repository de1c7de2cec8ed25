//! The LLM reviewer against the scripted OpenAI-compatible server: it never delays an
//! answer, can only make later answers for the same canary stricter, and any failure of
//! the model leaves the statistical verdict alone. Nothing secret reaches it.

use super::support_llm::{FakeLlm, Scripted};
use super::*;
use rollout_doctor::llm::{LlmConfig, LlmMode, SecretString};
use rollout_doctor::redact::Redactor;
use rollout_doctor::verdict::llm_review::LlmReviewer;

const KEY: &str = "sk-review-0123456789";

fn llm_reviewer(server: &FakeLlm, timeout: Duration) -> Arc<dyn VerdictReviewer> {
    let cfg = LlmConfig {
        mode: LlmMode::Auto,
        base_url: server.base_url(),
        model: "review-model".into(),
        api_key: Some(SecretString::new(KEY)),
        timeout,
        max_tries: 1,
        ..LlmConfig::default()
    };
    Arc::new(LlmReviewer::new(cfg, Redactor::default()).unwrap().unwrap())
}

async fn requests_after(server: &FakeLlm, n: usize) {
    let t = Instant::now();
    while server.requests().len() < n {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the LLM got {} requests, not {n}",
            server.requests().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Measures until the verdict is `want` (the review lands in the background).
async fn eventually(svc: &Service, body: &Value, want: &str) -> Value {
    let t = Instant::now();
    loop {
        let v = verdict(svc, body.clone()).await;
        if v["verdict"] == want || t.elapsed() > Duration::from_secs(10) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_answer_is_statistical_and_a_later_one_is_downgraded() {
    let prom = flat_prometheus().await;
    let slow_fail = Scripted::answer(
        json!({"verdict": "fail", "reason": "the canary logs a new panic template"}),
    )
    .delay(Duration::from_millis(1500));
    let llm = FakeLlm::start(vec![slow_fail]).await;
    let svc = start(
        cfg(),
        Some(&prom),
        None,
        Some(llm_reviewer(&llm, Duration::from_secs(5))),
    )
    .await;
    let body = request("healthy-1", 1_000_000, "m");
    let t = Instant::now();
    let first = verdict(&svc, body.clone()).await;
    let took = t.elapsed();
    assert_eq!(first["verdict"], "pass", "{first}");
    assert!(
        took < Duration::from_millis(1500) && took < cfg().budget,
        "the review must not delay the answer: {took:?}"
    );
    requests_after(&llm, 1).await;
    let later = eventually(&svc, &body, "fail").await;
    assert_eq!(
        (later["verdict"].as_str(), later["category"].as_str()),
        (Some("fail"), Some("llm")),
        "{later}"
    );
    assert_eq!(
        later["reasons"][0],
        "llm review: the canary logs a new panic template"
    );
    // One review per canary, whatever the number of measurements.
    let reqs = llm.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.body["model"], "review-model");
    assert_eq!(
        r.body["response_format"]["json_schema"]["name"],
        "rollout_verdict_review"
    );
    assert_eq!(
        r.authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    let text = r.messages_text();
    assert!(
        text.contains("healthy-1") && text.contains("error-rate (group errors, critical): Pass"),
        "{text}"
    );
    assert!(!r.raw.contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_misbehaving_model_leaves_the_statistical_verdict() {
    let prom = flat_prometheus().await;
    let cases = [
        (
            "prose",
            Scripted::content("The canary looks bad to me, fail it."),
        ),
        (
            "unknown verdict",
            Scripted::answer(json!({"verdict": "block", "reason": "x"})),
        ),
        (
            "control characters",
            Scripted::answer(json!({"verdict": "fail", "reason": "bad\u{1b}[31m canary"})),
        ),
        (
            "extra field",
            Scripted::answer(json!({"verdict": "fail", "reason": "x", "confidence": 0.9})),
        ),
        (
            "server error",
            Scripted::error(500, "overloaded", "server_error"),
        ),
        (
            "timeout",
            Scripted::answer(json!({"verdict": "fail", "reason": "too late"}))
                .delay(Duration::from_secs(3)),
        ),
    ];
    for (label, reply) in cases {
        let llm = FakeLlm::start(vec![reply]).await;
        let svc = start(
            cfg(),
            Some(&prom),
            None,
            Some(llm_reviewer(&llm, Duration::from_millis(300))),
        )
        .await;
        let body = request("healthy-1", 1_000_000, "m");
        assert_eq!(
            verdict(&svc, body.clone()).await["verdict"],
            "pass",
            "{label}"
        );
        requests_after(&llm, 1).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let v = verdict(&svc, body).await;
        assert_eq!(
            (v["verdict"].as_str(), v["category"].as_str()),
            (Some("pass"), Some("healthy")),
            "{label}: {v}"
        );
        assert_eq!(
            llm.requests().len(),
            1,
            "{label}: the failed review is not retried"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inconclusive_canary_is_not_reviewed_yet() {
    let prom = flat_prometheus().await;
    let llm = FakeLlm::start(vec![Scripted::answer(
        json!({"verdict": "fail", "reason": "too little data"}),
    )])
    .await;
    let svc = start(
        cfg(),
        Some(&prom),
        None,
        Some(llm_reviewer(&llm, Duration::from_secs(5))),
    )
    .await;
    let mut body = request("healthy-1", 1_000_000, "m");
    // 40 points a side cannot meet 1000 samples: the latency metric is inconclusive. A review
    // now would see missing data and could hold the canary back after the data arrives.
    body["metrics"][1]["minSamples"] = json!(1000);
    let first = verdict(&svc, body.clone()).await;
    assert_eq!(first["verdict"], "inconclusive", "{first}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = verdict(&svc, body).await;
    assert_eq!(later["verdict"], "inconclusive", "{later}");
    assert_eq!(later["category"], first["category"]);
    assert!(
        llm.requests().is_empty(),
        "only a statistical pass is reviewed"
    );
}

const PLANTED: &str = "Zq8nR4tLw2Kp";

fn app_log(lines: usize, extra: &str) -> String {
    let mut out = String::new();
    for i in 0..lines {
        out.push_str(&format!(
            "time=\"2024-05-06T11:{:02}:00.000Z\" level=info msg=\"request served\" path=/api/orders status=200\n",
            i % 60
        ));
        if !extra.is_empty() && i % 5 == 0 {
            out.push_str(extra);
            out.push('\n');
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_from_the_canary_logs_reaches_the_model() {
    let server = FakeApiServer::start().await;
    server.apply_yaml(ROLLOUT);
    server.apply_yaml(&pod("web-stable-a", "stable-1", true, None, 0));
    server.apply_yaml(&pod("web-canary-a", "canary-1", true, None, 0));
    server.set_log("shop", "web-stable-a", "web", false, &app_log(50, ""));
    let leak = format!(
        "time=\"2024-05-06T11:27:50.000Z\" level=warning msg=\"retrying upstream\" url=\"postgres://orders:{PLANTED}@orders-db.shop.svc.cluster.local:5432/orders?sslmode=require\""
    );
    server.set_log("shop", "web-canary-a", "web", false, &app_log(50, &leak));
    let llm = FakeLlm::start(vec![Scripted::answer(
        json!({"verdict": "inconclusive", "reason": "new upstream retry warnings in the canary"}),
    )])
    .await;
    let c = VerdictConfig {
        pod_judge: true,
        log_judge: true,
        ..cfg()
    };
    let svc = start(
        c,
        None,
        Some(server.client()),
        Some(llm_reviewer(&llm, Duration::from_secs(5))),
    )
    .await;
    let body = json!({"namespace": "shop", "rollout": "web"});
    let first = verdict(&svc, body.clone()).await;
    // Warnings alone do not fail a canary: the statistical answer is a pass.
    assert_eq!(first["verdict"], "pass", "{first}");
    requests_after(&llm, 1).await;
    let later = eventually(&svc, &body, "inconclusive").await;
    assert_eq!(
        (later["verdict"].as_str(), later["category"].as_str()),
        (Some("inconclusive"), Some("llm")),
        "{later}"
    );
    let req = &llm.requests()[0];
    let text = req.messages_text();
    assert!(
        text.contains("retrying upstream"),
        "the warning template reaches the reviewer: {text}"
    );
    assert!(
        !req.raw.contains(PLANTED),
        "the planted secret leaked: {text}"
    );
    assert!(!later.to_string().contains(PLANTED));
}
