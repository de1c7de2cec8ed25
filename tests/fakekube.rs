//! The agent binary against an API server written outside this project
//! (`../shared/tools/fakekube/fakekube.py`, issue #13): the flow a new user tries — snapshot,
//! CRD, a Progressing Rollout, `rollout-doctor run`, then the aborted Rollout — must give one
//! RolloutDiagnosis and one Event within 5 s, and nothing more after a restart. A leader that
//! cannot read its record index must say so (warn line, pending gauge) instead of staying silent.
//!
//! Skipped with a note where ../shared or Python's PyYAML is absent; `.ci/run` sets
//! `ROLLOUT_DOCTOR_REQUIRE_SHARED=1` so CI cannot skip it.

#[path = "fakekube/server.rs"]
mod server;

use serde_json::{Value, json};
use server::{Agent, FakeKube};
use std::time::{Duration, Instant};

const SCENARIO: &str = "fixtures/scenarios/canary-image-tag-typo";

/// The scenario's Rollout as it was before the failure, and as the controller leaves it after.
fn rollout_versions() -> (Value, Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(SCENARIO)
        .join("objects.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let aborted: Value = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .find(|v: &Value| v["kind"] == "Rollout")
        .unwrap();
    let mut progressing = aborted.clone();
    let status = progressing["status"].as_object_mut().unwrap();
    status.remove("abort");
    status.remove("abortedAt");
    status.insert("phase".into(), json!("Progressing"));
    status.insert("message".into(), json!("more replicas need to be updated"));
    status.insert(
        "conditions".into(),
        json!([{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated", "message": "updated"}]),
    );
    let mut aborted = aborted;
    aborted["status"]["abort"] = json!(true);
    aborted["status"]["phase"] = json!("Degraded");
    for v in [&mut progressing, &mut aborted] {
        v["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("resourceVersion");
    }
    (progressing, aborted)
}

fn diagnosed_events(server: &FakeKube) -> Vec<Value> {
    server
        .objects("Event")
        .into_iter()
        .filter(|e| e["reason"] == "RolloutDiagnosed")
        .collect()
}

async fn until<T>(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> Option<T>,
) -> (T, Duration) {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return (v, start.elapsed());
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_abort_is_diagnosed_once_within_five_seconds_and_not_again_after_a_restart() {
    let Some(server) = FakeKube::start(SCENARIO) else {
        return;
    };
    let (progressing, aborted) = rollout_versions();
    server.apply(&server.crd());
    server.apply(&progressing.to_string());
    let agent = Agent::start(&server, "agent-0");
    agent.wait_leading(&server).await;

    server.apply(&aborted.to_string());
    let (_, took) = until(
        "a RolloutDiagnosis and its Event",
        Duration::from_secs(5),
        || {
            (!server.objects("RolloutDiagnosis").is_empty()
                && !diagnosed_events(&server).is_empty())
            .then_some(())
        },
    )
    .await;
    eprintln!("record and event {took:?} after the abort");
    let records = server.objects("RolloutDiagnosis");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["spec"]["category"], "image_pull");
    let metrics = agent.metrics().await;
    assert!(
        metrics.contains("rollout_doctor_incidents_total{category=\"image_pull\"} 1"),
        "{metrics}"
    );
    agent.stop();

    let again = Agent::start(&server, "agent-1");
    again.wait_leading(&server).await;
    again.wait_ready().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        server.objects("RolloutDiagnosis").len(),
        1,
        "a restart must not diagnose again"
    );
    assert_eq!(diagnosed_events(&server).len(), 1);
    assert!(
        again
            .metrics()
            .await
            .contains("rollout_doctor_incidents_pending 0")
    );
    again.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_that_cannot_read_its_records_says_why_it_waits_and_recovers() {
    let Some(server) = FakeKube::start(SCENARIO) else {
        return;
    };
    let (progressing, aborted) = rollout_versions();
    server.apply(&server.crd());
    server.apply(&progressing.to_string());
    server.control(
        "forbid",
        &json!({"verb": ["list", "watch"], "resource": "rolloutdiagnoses.rolloutdoctor.io"}),
    );
    let agent = Agent::start(&server, "agent-0");
    agent.wait_leading(&server).await;
    server.apply(&aborted.to_string());

    until("the stall warning", Duration::from_secs(40), || {
        agent
            .log()
            .contains("incidents detected but not diagnosed")
            .then_some(())
    })
    .await;
    let log = agent.log();
    let line = log.lines().find(|l| l.contains("not diagnosed")).unwrap();
    assert!(line.contains("WARN") && line.contains("CRD"), "{line}");
    assert!(
        agent
            .metrics()
            .await
            .contains("rollout_doctor_incidents_pending 1")
    );
    assert!(
        server.objects("RolloutDiagnosis").is_empty(),
        "nothing may be written before the index syncs"
    );

    server.clear_forbid();
    until(
        "the record once the index syncs",
        Duration::from_secs(60),
        || (!server.objects("RolloutDiagnosis").is_empty()).then_some(()),
    )
    .await;
    agent.stop();
}
