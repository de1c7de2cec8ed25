//! The live agent end to end against the fake API server, driven by the real kube client:
//! scenario snapshots are loaded into the server, the agent watches, collects, diagnoses,
//! records and delivers.

mod support;
#[path = "support_llm/mod.rs"]
mod support_llm;

use rollout_doctor::agent::app::{self, Parts};
use rollout_doctor::agent::config::AgentConfig;
use rollout_doctor::agent::metrics::Metrics;
use rollout_doctor::pipeline::{DiagnoseOptions, diagnose_snapshot};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::{FakeApiServer, Fault, wait_for};
use tokio::sync::watch;

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/scenarios")
        .join(name)
}

/// Loads a snapshot into the server: its objects, and its logs as pod logs.
fn load(server: &FakeApiServer, name: &str) {
    support::scenario::load(server, &scenario(name));
}

struct Agent {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    metrics: Arc<Metrics>,
}

impl Agent {
    fn start(server: &FakeApiServer, identity: &str, election: bool) -> Agent {
        Self::start_with(server, identity, election, Parts::new(server.client()))
    }

    fn start_with(server: &FakeApiServer, identity: &str, election: bool, parts: Parts) -> Agent {
        let _ = server;
        let cfg = AgentConfig {
            identity: identity.into(),
            leader_election: election,
            lease_namespace: "rollout-doctor".into(),
            lease_duration: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(5),
            api_timeout: Duration::from_secs(5),
            ..AgentConfig::default()
        };
        let metrics = parts.metrics.clone();
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            app::run(cfg, parts, rx, false).await.unwrap();
        });
        Agent {
            stop,
            task,
            metrics,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("agent stops")
            .unwrap();
    }

    fn incidents(&self) -> u64 {
        let text = self.metrics.encode();
        text.lines()
            .filter(|l| l.starts_with("rollout_doctor_incidents_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }
}

fn records(server: &FakeApiServer) -> Vec<Value> {
    server.list("rolloutdiagnoses")
}

fn diagnosed_events(server: &FakeApiServer) -> Vec<Value> {
    server
        .list("events")
        .into_iter()
        .filter(|e| e["reason"] == "RolloutDiagnosed")
        .collect()
}

fn expected_category(name: &str) -> String {
    diagnose_snapshot(&scenario(name), &DiagnoseOptions::default())
        .unwrap()
        .category
        .to_string()
}

async fn delivered_record(server: &FakeApiServer) -> Value {
    wait_for(
        "a delivered RolloutDiagnosis",
        Duration::from_secs(20),
        || {
            records(server)
                .into_iter()
                .find(|r| r["status"]["phase"] == "Delivered")
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_aborted_rollout_gets_exactly_one_record_and_one_event() {
    let server = FakeApiServer::start().await;
    load(&server, "canary-python-missing-env-var");
    let agent = Agent::start(&server, "agent-a", true);
    let record = delivered_record(&server).await;
    assert_eq!(
        record["spec"]["category"],
        expected_category("canary-python-missing-env-var").as_str()
    );
    assert_eq!(record["metadata"]["ownerReferences"][0]["kind"], "Rollout");
    assert!(
        record["spec"]["diagnosis"]["evidence"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(records(&server).len(), 1);
    let events = diagnosed_events(&server);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["involvedObject"]["kind"], "Rollout");
    assert!(
        events[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("config_missing: ")
    );
    assert_eq!(agent.incidents(), 1);
    // Never a Secret, never exec.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.path.contains("/secrets") && !r.path.contains("/exec"))
    );
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_agent_does_not_diagnose_again() {
    let server = FakeApiServer::start().await;
    load(&server, "canary-go-nil-pointer-panic");
    let first = Agent::start(&server, "agent-a", true);
    delivered_record(&server).await;
    first.stop().await;
    let second = Agent::start(&server, "agent-a", true);
    // Long enough to sync, lead, and act if it were going to.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(records(&server).len(), 1);
    assert_eq!(diagnosed_events(&server).len(), 1);
    assert_eq!(second.incidents(), 0);
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_and_compacted_watch_recovers() {
    let server = FakeApiServer::start().await;
    load(&server, "healthy-rollout-no-failure");
    let agent = Agent::start(&server, "agent-a", false);
    wait_for("the rollout watch", Duration::from_secs(10), || {
        (server.watch_count() >= 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(records(&server).is_empty());
    server.compact();
    server.drop_watches();
    // The failure lands while the agent is re-listing.
    load(&server, "canary-image-tag-typo");
    let record = delivered_record(&server).await;
    assert_eq!(record["spec"]["category"], "image_pull");
    let text = agent.metrics.encode();
    let restarts: f64 = text
        .lines()
        .find(|l| l.starts_with("rollout_doctor_watch_restarts_total"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0);
    assert!(
        restarts >= 1.0,
        "the 410 after compaction is a counted restart:\n{text}"
    );
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn forbidden_logs_are_a_gap_and_the_diagnosis_goes_on() {
    let server = FakeApiServer::start().await;
    load(&server, "canary-go-nil-pointer-panic");
    server.inject(Fault::new(403, "/log"));
    let agent = Agent::start(&server, "agent-a", false);
    let record = delivered_record(&server).await;
    let gaps = record["spec"]["diagnosis"]["gaps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        gaps.iter().any(|g| g["source"] == "log"
            && g["reason"]
                .as_str()
                .is_some_and(|r| r.contains("forbidden"))),
        "{gaps:#?}"
    );
    // Without logs the container state still tells the crash.
    assert_eq!(record["spec"]["category"], "crash_loop");
    assert!(
        agent
            .metrics
            .encode()
            .contains("rollout_doctor_collection_errors_total{source=\"log\"}")
    );
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn of_two_agents_one_acts_and_the_other_takes_over() {
    let server = FakeApiServer::start().await;
    let a = Agent::start(&server, "agent-a", true);
    let b = Agent::start(&server, "agent-b", true);
    let holder = wait_for("a lease holder", Duration::from_secs(10), || {
        server.get("leases", "rollout-doctor", "rollout-doctor")?["spec"]["holderIdentity"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    load(&server, "canary-image-tag-typo");
    delivered_record(&server).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(records(&server).len(), 1);
    assert_eq!(a.incidents() + b.incidents(), 1);
    let (leader, follower) = if holder == "agent-a" { (a, b) } else { (b, a) };
    assert_eq!(leader.incidents(), 1);
    leader.stop().await;
    load(&server, "canary-jvm-memory-limit-lowered");
    wait_for(
        "the second incident recorded by the follower",
        Duration::from_secs(20),
        || {
            (records(&server).len() == 2
                && records(&server)
                    .iter()
                    .all(|r| r["status"]["phase"] == "Delivered"))
            .then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(records(&server).len(), 2);
    assert_eq!(diagnosed_events(&server).len(), 2);
    assert_eq!(follower.incidents(), 1);
    follower.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_then_diagnose_equals_the_live_diagnosis() {
    use rollout_doctor::agent::collect::{CollectConfig, Collector};
    let server = FakeApiServer::start().await;
    load(&server, "canary-db-dns-secret-in-log");
    let agent = Agent::start(&server, "agent-a", false);
    let record = delivered_record(&server).await;
    agent.stop().await;
    let live: rollout_doctor::diagnosis::Diagnosis =
        serde_json::from_value(record["spec"]["diagnosis"].clone()).unwrap();

    let collector = Collector::new(
        server.client(),
        CollectConfig::default(),
        Default::default(),
    );
    let ro = live.rollout.clone();
    let c = collector.collect(&ro.namespace, &ro.name).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let logs = c
        .logs
        .logs
        .iter()
        .map(|((p, ct, prev), b)| (p.as_str(), ct.as_str(), *prev, b.as_slice()));
    rollout_doctor::source::write_snapshot(dir.path(), &c.raw, logs).unwrap();
    let offline = diagnose_snapshot(dir.path(), &DiagnoseOptions::default()).unwrap();
    assert_eq!(offline.category, live.category);
    assert_eq!(offline.remediation, live.remediation);
    let ids = |d: &rollout_doctor::diagnosis::Diagnosis| {
        d.evidence
            .iter()
            .map(|e| (e.id.clone(), e.text.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&offline), ids(&live));
    // The bundle is redaction-safe too: the fixture's secrets never reach the record.
    let json = record.to_string();
    assert!(
        !json.contains("Xk9mQ2vLp7wR"),
        "secret leaked into the record"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_asks_the_llm_and_records_its_opinion() {
    use rollout_doctor::llm::{LlmClassifier, LlmConfig, LlmMode};
    use support_llm::{FakeLlm, Scripted};
    let server = FakeApiServer::start().await;
    load(&server, "canary-db-dns-secret-in-log");
    let answer = serde_json::json!({
        "category": "dependency_failure",
        "confidence": 0.9,
        "summary": "The canary cannot resolve its new database host.",
        "evidence_ids": ["log/1"],
        "remediation_hint": "Point DATABASE_HOST back at the stable database service."
    });
    let llm = FakeLlm::start(vec![Scripted::answer(answer)]).await;
    let cfg = LlmConfig {
        mode: LlmMode::Always,
        base_url: llm.base_url(),
        model: "test-model".into(),
        api_key: Some(rollout_doctor::llm::SecretString::new("sk-test-agent")),
        timeout: Duration::from_secs(5),
        ..LlmConfig::default()
    };
    let classifier = LlmClassifier::new(cfg, Default::default()).unwrap();
    let parts = Parts {
        decide: Arc::new(classifier),
        ..Parts::new(server.client())
    };
    let agent = Agent::start_with(&server, "agent-a", false, parts);
    let record = delivered_record(&server).await;
    let d = &record["spec"]["diagnosis"];
    assert_eq!(record["spec"]["category"], "dependency_failure");
    assert_eq!(d["llm"]["llm_category"], "dependency_failure", "{d:#}");
    assert_eq!(d["llm"]["agrees"], true);
    assert_eq!(record["spec"]["engine"], "hybrid");
    let requests = llm.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        !requests[0].messages_text().contains("Xk9mQ2vLp7wR"),
        "a secret reached the LLM"
    );
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stable_pods_with_empty_logs_give_their_turn_to_pods_with_logs() {
    let server = FakeApiServer::start().await;
    // Logs exist for 3 of the 6 stable pods, not the first by name; the others answer empty.
    load(&server, "canary-latency-shared-noise-partial-stable-logs");
    let agent = Agent::start(&server, "agent-a", false);
    let record = delivered_record(&server).await;
    agent.stop().await;
    let d = &record["spec"]["diagnosis"];
    assert_eq!(d["category"], "metric_regression", "{d:#}");
    let stable = d["incident"]["logs"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["role"] == "stable"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (stable["pods"].as_u64(), stable["pods_read"].as_u64()),
        (Some(6), Some(3)),
        "{stable:#}"
    );
    assert!(stable["lines"].as_u64().unwrap_or(0) > 500, "{stable:#}");
}
