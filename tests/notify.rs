//! Notifications end to end against local stand-ins for Slack and for a webhook receiver:
//! Block Kit validity, retries (500 then success, 429 Retry-After, receiver down for good),
//! HMAC signatures checked with the receivers' own `verify`, threading of updates, routing.

mod support_notify;

use rollout_doctor::agent::sink::{Delivery, Sink};
use rollout_doctor::diagnosis::{Category, Diagnosis};
use rollout_doctor::llm::SecretString;
use rollout_doctor::notify::blocks::{HEADER_MAX, SECTION_MAX};
use rollout_doctor::notify::slack::{SlackClient, SlackMode};
use rollout_doctor::notify::webhook::{self, Event, Payload, SIGNATURE_HEADER};
use rollout_doctor::notify::{
    Links, NotifyConfig, RetryConfig, Route, SlackSink, routing, sinks_from_config,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support_notify::{FakeServer, Recorded, Reply, refused_addr};

const SECRET: &str = "whsec-test-0123456789";

fn diagnosis() -> Diagnosis {
    rollout_doctor::pipeline::diagnose_snapshot(
        Path::new("fixtures/scenarios/canary-db-dns-secret-in-log"),
        &Default::default(),
    )
    .unwrap()
}

fn delivery() -> Delivery {
    let mut d = Delivery::new("fulfillment-21-5745d85bfc", diagnosis());
    d.rollout_labels = [("team".to_owned(), "orders".to_owned())].into();
    d
}

fn fast_retry() -> RetryConfig {
    RetryConfig {
        attempts: 3,
        min_delay_ms: 10,
        max_delay_ms: 50,
        request_timeout_ms: 2_000,
        total_timeout_ms: 10_000,
    }
}

fn secret_file() -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "{SECRET}").unwrap();
    f
}

fn config(yaml: &str) -> NotifyConfig {
    let mut cfg = NotifyConfig::from_yaml(yaml).unwrap();
    cfg.retry = fast_retry();
    cfg
}

fn one_sink(yaml: &str) -> Arc<dyn Sink> {
    let mut sinks = sinks_from_config(&config(yaml)).unwrap();
    assert_eq!(sinks.len(), 1);
    sinks.remove(0)
}

/// Structure and limits Slack enforces, checked on every message we send.
fn assert_valid_blocks(msg: &Value) -> String {
    assert!(
        msg["text"].as_str().is_some_and(|t| !t.is_empty()),
        "fallback text"
    );
    let blocks = msg["blocks"].as_array().expect("blocks array");
    assert!(!blocks.is_empty() && blocks.len() <= 50);
    let mut all = String::new();
    for b in blocks {
        match b["type"].as_str().unwrap() {
            "header" => {
                assert_eq!(b["text"]["type"], "plain_text");
                assert!(b["text"]["text"].as_str().unwrap().chars().count() <= HEADER_MAX);
            }
            "section" => {
                assert_eq!(b["text"]["type"], "mrkdwn");
                let t = b["text"]["text"].as_str().unwrap();
                assert!(!t.is_empty() && t.chars().count() <= SECTION_MAX);
            }
            "context" => {
                let els = b["elements"].as_array().unwrap();
                assert!(!els.is_empty() && els.len() <= 10);
            }
            "divider" => {}
            other => panic!("unexpected block type {other}"),
        }
        for t in [&b["text"]["text"]].into_iter().chain(
            b["elements"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| &e["text"]),
        ) {
            if let Some(t) = t.as_str() {
                all.push_str(t);
                all.push('\n');
            }
        }
    }
    all
}

/// What the scenario's evidence text looks like once formatted for Slack.
fn slack_code(s: &str) -> String {
    let one = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('`', "ʼ");
    let prefix: String = one.chars().take(120).collect();
    prefix
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[tokio::test]
async fn slack_webhook_message_is_valid_block_kit_with_the_evidence() {
    let slack = FakeServer::start(vec![], Reply::new(200, "ok")).await;
    let yaml = format!(
        "links:\n  rollouts_dashboard: https://argo-rollouts.example/rollouts/{{namespace}}/{{rollout}}\nsinks:\n  - name: slack\n    type: slack\n    url: {}\n",
        slack.url("/services/T0/B0/xyz")
    );
    let sink = one_sink(&yaml);
    sink.deliver(&delivery()).await.unwrap();
    let reqs = slack.requests();
    assert_eq!(reqs.len(), 1);
    let text = assert_valid_blocks(&reqs[0].json());
    let d = diagnosis();
    assert!(text.contains("Dependency failure"), "{text}");
    assert!(text.contains("confidence 90%"));
    assert!(text.contains("revision 21"));
    assert!(text.contains("step 0 (setWeight: 34)"));
    for e in d.evidence.iter().take(3) {
        assert!(
            text.contains(&slack_code(&e.text)),
            "evidence {} missing in\n{text}",
            e.id
        );
    }
    assert!(
        text.contains("`ghcr.io/acme/fulfillment:1.32.2`")
            && text.contains("`ghcr.io/acme/fulfillment:1.33.0`")
    );
    assert!(
        text.contains("<https://argo-rollouts.example/rollouts/orders/fulfillment|Argo Rollouts>")
    );
    assert!(!text.contains('{'), "no raw JSON in the message");
}

#[tokio::test]
async fn slack_500_then_success_is_delivered_on_the_second_request() {
    let slack = FakeServer::start(vec![Reply::new(500, "oops")], Reply::new(200, "ok")).await;
    let sink = one_sink(&format!(
        "sinks:\n  - name: slack\n    type: slack\n    url: {}\n",
        slack.url("/hook")
    ));
    sink.deliver(&delivery()).await.unwrap();
    assert_eq!(slack.requests().len(), 2);
    // The same diagnosis again (a resumed delivery) is not a second alert.
    sink.deliver(&delivery()).await.unwrap();
    assert_eq!(slack.requests().len(), 2);
}

#[tokio::test]
async fn slack_client_error_is_not_retried_and_hides_the_url() {
    let slack = FakeServer::start(vec![], Reply::new(400, "invalid_blocks")).await;
    let sink = one_sink(&format!(
        "sinks:\n  - name: slack\n    type: slack\n    url: {}\n",
        slack.url("/services/SECRETPATH")
    ));
    let err = sink.deliver(&delivery()).await.unwrap_err().to_string();
    assert_eq!(slack.requests().len(), 1);
    assert!(err.contains("HTTP 400: invalid_blocks"), "{err}");
    assert!(!err.contains("SECRETPATH"));
}

fn bot_sink(slack: &FakeServer, retry: RetryConfig) -> SlackSink {
    let mode = SlackMode::Bot {
        token: SecretString::new("xoxb-test"),
        channel: "C123".into(),
        api_url: slack.url("/api"),
    };
    SlackSink::new(
        "slack-bot",
        Route::default(),
        Links::default(),
        SlackClient::new(mode, retry).unwrap(),
    )
}

#[tokio::test]
async fn bot_mode_threads_updates_and_honours_retry_after() {
    let ok = Reply::new(
        200,
        r#"{"ok":true,"channel":"C123","ts":"1700000000.000100"}"#,
    );
    let slack = FakeServer::start(vec![Reply::new(429, "").header("Retry-After", "0")], ok).await;
    let sink = bot_sink(&slack, fast_retry());
    let first = sink
        .notify(&delivery(), &BTreeMap::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.ts.as_deref(), Some("1700000000.000100"));

    // A refinement (the LLM's, say) of the same incident goes into the thread.
    let mut refined = delivery();
    refined.diagnosis.confidence = 0.95;
    refined.diagnosis.summary = "Refined: the canary's DNS name orders-db-v2 does not exist".into();
    let pr = [(
        "Pull request".to_string(),
        "https://github.example/acme/fulfillment/pull/7".to_string(),
    )];
    let second = sink
        .notify_with_links(&refined, &BTreeMap::new(), &pr)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.ts, first.ts, "the thread root is kept");

    let reqs = slack.requests();
    assert_eq!(reqs.len(), 3, "429, first post, update");
    assert!(reqs.iter().all(|r| r.path == "/api/chat.postMessage"));
    assert_eq!(
        reqs[1].header("authorization").as_deref(),
        Some("Bearer xoxb-test")
    );
    let (a, b) = (reqs[1].json(), reqs[2].json());
    assert_eq!(a["channel"], "C123");
    assert!(a.get("thread_ts").is_none());
    assert_eq!(b["thread_ts"], "1700000000.000100");
    assert!(b["text"].as_str().unwrap().starts_with("Update: "));
    assert!(
        b["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Update: ")
    );
    let text = assert_valid_blocks(&b);
    assert!(
        text.contains("<https://github.example/acme/fulfillment/pull/7|Pull request>"),
        "{text}"
    );
}

/// What an agent restart relies on: the thread stored on the record (`references`) and
/// the pull request an earlier sink opened (`links`) reach the Slack message through the
/// generic `Sink::deliver`, and the receipt hands the thread back for the record.
#[tokio::test]
async fn deliver_continues_a_stored_thread_and_carries_earlier_links() {
    let ok = Reply::new(
        200,
        r#"{"ok":true,"channel":"C123","ts":"1700000000.000999"}"#,
    );
    let slack = FakeServer::start(vec![], ok).await;
    let sink = bot_sink(&slack, fast_retry());
    let mut d = delivery();
    d.references
        .insert("slack-bot".into(), "1699999999.000001".into());
    d.links.push(rollout_doctor::agent::sink::Link {
        label: "Fix pull request".into(),
        url: "https://github.example/acme/deploy/pull/12".into(),
    });
    let receipt = sink.deliver(&d).await.unwrap();
    assert_eq!(
        receipt.reference.as_deref(),
        Some("1699999999.000001"),
        "the stored root stays the thread"
    );
    let reqs = slack.requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json();
    assert_eq!(body["thread_ts"], "1699999999.000001");
    let text = assert_valid_blocks(&body);
    assert!(
        text.contains("<https://github.example/acme/deploy/pull/12|Fix pull request>"),
        "{text}"
    );
}

#[tokio::test]
async fn bot_mode_api_errors_are_final_or_retried_by_kind() {
    let slack = FakeServer::start(
        vec![],
        Reply::new(200, r#"{"ok":false,"error":"channel_not_found"}"#),
    )
    .await;
    let err = bot_sink(&slack, fast_retry())
        .notify(&delivery(), &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("channel_not_found"));
    assert_eq!(slack.requests().len(), 1);

    let slack = FakeServer::start(
        vec![],
        Reply::new(200, r#"{"ok":false,"error":"internal_error"}"#),
    )
    .await;
    let sink = bot_sink(&slack, fast_retry());
    assert!(sink.notify(&delivery(), &BTreeMap::new()).await.is_err());
    assert_eq!(slack.requests().len(), 3);
}

fn verifying_receiver() -> support_notify::Judge {
    Arc::new(|r: &Recorded| {
        let header = r.header(SIGNATURE_HEADER).unwrap_or_default();
        match webhook::verify(SECRET.as_bytes(), now(), &r.body, &header) {
            Ok(()) => Reply::new(204, ""),
            Err(e) => Reply::new(401, e.to_string()),
        }
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn webhook_payload_is_signed_versioned_and_verifiable() {
    let receiver = FakeServer::judging(verifying_receiver()).await;
    let secret = secret_file();
    let yaml = format!(
        "sinks:\n  - name: hook\n    type: webhook\n    url: {}\n    secret_file: {}\n",
        receiver.url("/in"),
        secret.path().display()
    );
    let sink = one_sink(&yaml);
    sink.deliver(&delivery())
        .await
        .expect("the receiver accepted the signature");
    let mut refined = delivery();
    refined.diagnosis.category = Category::CrashLoop;
    sink.deliver(&refined).await.unwrap();

    let reqs = receiver.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].header("x-rollout-doctor-event").as_deref(),
        Some("diagnosis")
    );
    let p: Payload = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(
        (p.version.as_str(), p.event, p.id.as_str()),
        ("1", Event::Created, "fulfillment-21-5745d85bfc")
    );
    assert_eq!(p.diagnosis, diagnosis(), "the full diagnosis travels");
    let raw = reqs[0].json();
    assert_eq!(raw["event"], "diagnosis.created");
    assert_eq!(reqs[1].json()["event"], "diagnosis.updated");

    // A tampered body, replayed with the genuine header, is refused.
    let header = reqs[0].header(SIGNATURE_HEADER).unwrap();
    let tampered = String::from_utf8(reqs[0].body.to_vec())
        .unwrap()
        .replace("dependency_failure", "unknown");
    assert_eq!(
        webhook::verify(SECRET.as_bytes(), now(), tampered.as_bytes(), &header),
        Err(webhook::VerifyError::Mismatch)
    );
    let resp = reqwest::Client::new()
        .post(receiver.url("/in"))
        .header(SIGNATURE_HEADER, header)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn webhook_down_for_good_fails_after_bounded_retries() {
    let addr = refused_addr().await;
    let secret = secret_file();
    let yaml = format!(
        "sinks:\n  - name: hook\n    type: webhook\n    url: http://{addr}/in\n    secret_file: {}\n",
        secret.path().display()
    );
    let sink = one_sink(&yaml);
    let started = Instant::now();
    let err = sink.deliver(&delivery()).await.unwrap_err().to_string();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        err.contains("hook: delivery failed after 3 tries: connection failed"),
        "{err}"
    );
    assert!(!err.contains(SECRET));
}

#[tokio::test]
async fn unrouted_diagnoses_send_nothing() {
    let slack = FakeServer::start(vec![], Reply::new(200, "ok")).await;
    let yaml = format!(
        "sinks:\n  - name: slack\n    type: slack\n    url: {}\n    namespaces: [payments]\n",
        slack.url("/hook")
    );
    one_sink(&yaml).deliver(&delivery()).await.unwrap();
    assert!(slack.requests().is_empty());
}

#[test]
fn routing_table() {
    let d = diagnosis(); // orders/fulfillment, dependency_failure, 0.9
    let labels: BTreeMap<String, String> = [("team", "orders"), ("tier", "web")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let route = |f: &dyn Fn(&mut Route)| {
        let mut r = Route::default();
        f(&mut r);
        r
    };
    let cases: Vec<(&str, Route, bool)> = vec![
        ("everything", Route::default(), true),
        (
            "namespace included",
            route(&|r| r.namespaces = vec!["orders".into()]),
            true,
        ),
        (
            "namespace not included",
            route(&|r| r.namespaces = vec!["payments".into()]),
            false,
        ),
        (
            "namespace excluded",
            route(&|r| r.exclude_namespaces = vec!["orders".into()]),
            false,
        ),
        (
            "selector matches",
            route(&|r| r.selector = Some("team=orders,tier in (web,api)".into())),
            true,
        ),
        (
            "selector differs",
            route(&|r| r.selector = Some("team=payments".into())),
            false,
        ),
        (
            "selector negation",
            route(&|r| r.selector = Some("tier!=batch,!legacy".into())),
            true,
        ),
        (
            "confidence enough",
            route(&|r| r.min_confidence = 0.9),
            true,
        ),
        (
            "confidence too low",
            route(&|r| r.min_confidence = 0.95),
            false,
        ),
        (
            "category listed",
            route(&|r| r.categories = vec![Category::DependencyFailure, Category::ImagePull]),
            true,
        ),
        (
            "category not listed",
            route(&|r| r.categories = vec![Category::ImagePull]),
            false,
        ),
    ];
    for (name, r, want) in &cases {
        assert_eq!(routing::rejects(r, &d, &labels).is_none(), *want, "{name}");
    }
    let named: Vec<(String, Route)> = cases
        .into_iter()
        .map(|(n, r, _)| (n.to_string(), r))
        .collect();
    let chosen = routing::select(&named, &d, &labels);
    assert_eq!(chosen.len(), 6);
    assert!(chosen.contains(&"selector matches") && !chosen.contains(&"selector differs"));
    // Without labels, a selector that needs one routes nothing.
    assert!(routing::rejects(&named[4].1, &d, &BTreeMap::new()).is_some());
}
