//! `rollout-doctor run --verdict-addr`: the real binary, pointed at the fake API server by a
//! kubeconfig, answers verdicts while another replica holds the leader Lease, and stops on
//! SIGTERM with the agent.

use super::*;
use std::process::Stdio;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn kubeconfig(dir: &std::path::Path, server: &FakeApiServer) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters: [{{name: fake, cluster: {{server: \"{}\"}}}}]\n\
         users: [{{name: tester, user: {{}}}}]\n\
         contexts: [{{name: fake, context: {{cluster: fake, user: tester, namespace: default}}}}]\n\
         current-context: fake\n",
        server.url()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Another replica leads, and will for years: this one never becomes leader.
const LEASE: &str = r#"
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: rollout-doctor, namespace: rollout-doctor}
spec: {holderIdentity: replica-a, leaseDurationSeconds: 315360000, acquireTime: "2025-01-01T00:00:00.000000Z", renewTime: "2025-01-01T00:00:00.000000Z"}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_verdicts_on_a_replica_that_is_not_the_leader() {
    let server = FakeApiServer::start().await;
    server.apply_yaml(LEASE);
    server.apply_yaml(ROLLOUT);
    server.apply_yaml(&pod("web-stable-a", "stable-1", true, None, 0));
    server.apply_yaml(&pod("web-canary-a", "canary-1", true, None, 0));
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    let (verdict_port, http_port) = (free_port(), free_port());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollout-doctor"))
        .args([
            "run",
            "--identity",
            "replica-b",
            "--lease-namespace",
            "rollout-doctor",
            "--namespace",
            "shop",
        ])
        .args([
            "--http-addr",
            &format!("127.0.0.1:{http_port}"),
            "--verdict-addr",
            &format!("127.0.0.1:{verdict_port}"),
        ])
        .arg("--token-file")
        .arg(&token)
        .env("KUBECONFIG", kubeconfig(dir.path(), &server))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("ROLLOUT_DOCTOR_LLM")
        .env_remove("ROLLOUT_DOCTOR_PROMETHEUS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let svc = Service {
        url: format!("http://127.0.0.1:{verdict_port}"),
        stop: None,
    };
    let t = Instant::now();
    loop {
        if reqwest::get(format!("{}/healthz", svc.url))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().await.unwrap();
            panic!(
                "run exited with {status}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the verdict endpoint did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Auth is on, and the hashes come from the Rollout through the agent's kube client.
    assert_eq!(post(&svc, None, "{}").await.0, 401);
    let v = verdict(&svc, json!({"namespace": "shop", "rollout": "web"})).await;
    assert_eq!(
        (v["verdict"].as_str(), v["canaryHash"].as_str()),
        (Some("pass"), Some("canary-1")),
        "{v}"
    );
    let lease = server
        .get("leases", "rollout-doctor", "rollout-doctor")
        .unwrap();
    assert_eq!(
        lease["spec"]["holderIdentity"], "replica-a",
        "this replica answered without leading"
    );

    // SIGTERM stops the agent and the endpoint together, cleanly.
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("run did not stop")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", out.status);
    assert!(stderr.contains("verdict endpoint listening"), "{stderr}");
    assert!(
        reqwest::get(format!("{}/healthz", svc.url)).await.is_err(),
        "the endpoint outlived the agent"
    );
}
