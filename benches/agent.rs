//! The agent against the fake API server holding 10,000 Rollouts and 50,000 pods: the agent
//! runs as its own process (the release binary, `run` with a kubeconfig pointing at the fake
//! server) so its peak RSS is its own. Reports peak RSS, abort→record latency (rules only)
//! and incidents per second when 100 Rollouts abort at once.
//! Run: `cargo build --release && cargo bench --bench agent`. Numbers only; asserts nothing.

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::FakeApiServer;

const NAMESPACES: usize = 100;
const PER_NAMESPACE: usize = 100;
const PODS_PER_ROLLOUT: usize = 5;

fn rollout(ns: &str, name: &str, stable: &str, canary: Option<&str>) -> Value {
    let status = match canary {
        None => {
            json!({"phase": "Healthy", "stableRS": stable, "currentPodHash": stable, "replicas": 5, "updatedReplicas": 5, "availableReplicas": 5})
        }
        Some(c) => json!({
            "phase": "Degraded", "abort": true, "stableRS": stable, "currentPodHash": c,
            "message": "RolloutAborted: Rollout aborted update to revision 2",
            "conditions": [{"type": "Progressing", "status": "False", "reason": "RolloutAborted", "message": "Rollout aborted update to revision 2"}]
        }),
    };
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}"), "annotations": {"rollout.argoproj.io/revision": if canary.is_some() { "2" } else { "1" }}},
        "spec": {"replicas": 5, "selector": {"matchLabels": {"app": name}}, "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": format!("registry/{name}:{}", if canary.is_some() { "2" } else { "1" }), "resources": {"limits": {"memory": "256Mi"}}}]}}},
        "status": status
    })
}

fn replica_set(ns: &str, name: &str, hash: &str, revision: &str, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": format!("{name}-{hash}"), "namespace": ns, "labels": {"app": name, "rollouts-pod-template-hash": hash},
                     "annotations": {"rollout.argoproj.io/revision": revision},
                     "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": name, "uid": format!("uid-{ns}-{name}"), "controller": true}]},
        "spec": {"replicas": 5, "selector": {"matchLabels": {"app": name, "rollouts-pod-template-hash": hash}},
                 "template": {"metadata": {"labels": {"app": name, "rollouts-pod-template-hash": hash}}, "spec": {"containers": [{"name": "app", "image": image, "resources": {"limits": {"memory": "256Mi"}}}]}}},
        "status": {"replicas": 5, "readyReplicas": 5, "availableReplicas": 5}
    })
}

fn pod(ns: &str, name: &str, hash: &str, i: usize, oom: bool) -> Value {
    let state = if oom {
        json!({"state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}, "restartCount": 3, "ready": false})
    } else {
        json!({"state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}, "restartCount": 0, "ready": true})
    };
    let mut status = json!({"name": "app", "image": "x"});
    status
        .as_object_mut()
        .unwrap()
        .extend(state.as_object().unwrap().clone());
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{name}-{hash}-{i}"), "namespace": ns, "labels": {"app": name, "rollouts-pod-template-hash": hash}},
        "spec": {"containers": [{"name": "app", "image": "x", "resources": {"limits": {"memory": "256Mi"}}}]},
        "status": {"phase": "Running", "containerStatuses": [status], "conditions": [{"type": "Ready", "status": if oom { "False" } else { "True" }}]}
    })
}

fn populate(server: &FakeApiServer) {
    for n in 0..NAMESPACES {
        let ns = format!("team-{n:03}");
        for r in 0..PER_NAMESPACE {
            let name = format!("svc-{r:03}");
            let stable = stable_hash(n, r);
            server.apply(rollout(&ns, &name, &stable, None));
            server.apply(replica_set(
                &ns,
                &name,
                &stable,
                "1",
                &format!("registry/{name}:1"),
            ));
            for i in 0..PODS_PER_ROLLOUT {
                server.apply(pod(&ns, &name, &stable, i, false));
            }
            server.set_log(
                &ns,
                &format!("{name}-{stable}-0"),
                "app",
                false,
                "GET /healthz 200\nserved request id=1 in 3ms\n",
            );
        }
    }
}

/// Pod-template hashes are unique per Rollout, as in a real cluster.
fn stable_hash(n: usize, r: usize) -> String {
    format!("s{n:03}x{r:03}")
}

fn canary_hash(ns: &str, name: &str) -> String {
    format!("c{}{}", &ns[5..], &name[4..])
}

/// Marks one Rollout aborted with an OOM-killed canary; returns when the abort is visible.
fn abort(server: &FakeApiServer, ns: &str, name: &str) {
    let (n, r): (usize, usize) = (ns[5..].parse().unwrap(), name[4..].parse().unwrap());
    let canary = canary_hash(ns, name);
    server.apply(replica_set(
        ns,
        name,
        &canary,
        "2",
        &format!("registry/{name}:2"),
    ));
    server.apply(pod(ns, name, &canary, 0, true));
    server.set_log(
        ns,
        &format!("{name}-{canary}-0"),
        "app",
        true,
        "allocating cache\nfatal error: runtime: out of memory\n",
    );
    server.apply(rollout(ns, name, &stable_hash(n, r), Some(&canary)));
}

fn record_name(ns: &str, name: &str) -> String {
    let key = rollout_doctor::agent::incident::IncidentKey {
        rollout_uid: format!("uid-{ns}-{name}"),
        canary_hash: canary_hash(ns, name),
        revision: "2".into(),
    };
    key.record_name(name)
}

fn delivered(server: &FakeApiServer, ns: &str, name: &str) -> bool {
    server
        .get("rolloutdiagnoses", ns, &record_name(ns, name))
        .is_some_and(|r| r["status"]["phase"] == "Delivered")
}

fn vm_hwm_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let bin =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/rollout-doctor");
    if quick || !bin.exists() {
        eprintln!(
            "agent bench: run `cargo build --release && cargo bench --bench agent` (skipped in test mode)"
        );
        return;
    }
    let server = FakeApiServer::start().await;
    server.set_history_limit(200_000);
    let t = Instant::now();
    populate(&server);
    println!(
        "fake API server: {} Rollouts, {} pods loaded in {:.1} s",
        NAMESPACES * PER_NAMESPACE,
        NAMESPACES * PER_NAMESPACE * PODS_PER_ROLLOUT,
        t.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, format!(
        "apiVersion: v1\nkind: Config\nclusters: [{{name: fake, cluster: {{server: '{}'}}}}]\nusers: [{{name: u, user: {{}}}}]\ncontexts: [{{name: c, context: {{cluster: fake, user: u}}}}]\ncurrent-context: c\n",
        server.url()
    )).unwrap();
    let port = free_port();
    let mut agent = Command::new(&bin)
        .args([
            "run",
            "--no-leader-election",
            "--concurrency",
            "16",
            "--http-addr",
            &format!("127.0.0.1:{port}"),
        ])
        .env("KUBECONFIG", &kubeconfig)
        .env("RUST_LOG", "warn")
        .envs(std::env::var("BENCH_AGENT_ENV").ok().and_then(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        }))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start agent");
    let pid = agent.id();
    let started = Instant::now();
    let client = reqwest::Client::new();
    loop {
        let ok = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "agent never became ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "agent ready after {:.2} s (initial list of all Rollouts); peak RSS so far {:.1} MiB",
        started.elapsed().as_secs_f64(),
        vm_hwm_mib(pid)
    );

    let mut latencies = Vec::new();
    for i in 0..20 {
        let (ns, name) = (format!("team-{:03}", i), "svc-000".to_owned());
        let t = Instant::now();
        abort(&server, &ns, &name);
        while !delivered(&server, &ns, &name) {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "no record for {ns}/{name}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "abort → RolloutDiagnosis delivered (rules only, 20 sequential): p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms",
        latencies[10], latencies[18], latencies[19]
    );

    let burst: Vec<(String, String)> = (0..100)
        .map(|i| (format!("team-{:03}", i), "svc-050".to_owned()))
        .collect();
    let t = Instant::now();
    for (ns, name) in &burst {
        abort(&server, ns, name);
    }
    while !burst.iter().all(|(ns, name)| delivered(&server, ns, name)) {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "burst did not finish"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "100 Rollouts aborting at once: all delivered in {secs:.2} s = {:.0} incidents/s (concurrency 16)",
        100.0 / secs
    );
    println!("agent peak RSS (VmHWM): {:.1} MiB", vm_hwm_mib(pid));
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = agent.wait();
}
