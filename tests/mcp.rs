//! `rollout-doctor mcp` driven by a real MCP client: the Python SDK (tests/mcp_client.py)
//! lists the tools, validates their schemas and calls each one, over stdio and over HTTP,
//! against a snapshot and against the project's fake API server. Skipped when the SDK is not
//! installed (`pip install mcp jsonschema`), unless ROLLOUT_DOCTOR_REQUIRE_MCP_CLIENT=1.

mod support;

use std::process::Command;
use support::FakeApiServer;

const SCENARIO: &str = "fixtures/scenarios/canary-prometheus-error-rate";

fn client_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import mcp, jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("ROLLOUT_DOCTOR_REQUIRE_MCP_CLIENT").as_deref() != Ok("1"),
            "the Python MCP SDK is required: pip install mcp jsonschema"
        );
        eprintln!("skipped: the Python MCP SDK is not installed (pip install mcp jsonschema)");
    }
    ok
}

fn drive(snapshot: &str, mode: &str, kubeconfig: Option<&std::path::Path>) {
    let mut cmd = Command::new("python3");
    cmd.args([
        "tests/mcp_client.py",
        env!("CARGO_BIN_EXE_rollout-doctor"),
        snapshot,
        "search",
        "search-api",
        "metric_regression",
        mode,
    ]);
    if let Some(k) = kubeconfig {
        cmd.env("KUBECONFIG", k);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("\nok"), "{text}");
    print!("{text}");
}

#[test]
fn the_python_sdk_lists_and_calls_every_tool_over_stdio() {
    if client_available() {
        drive(SCENARIO, "stdio", None);
    }
}

#[test]
fn the_python_sdk_calls_every_tool_over_http_with_a_token() {
    if client_available() {
        drive(SCENARIO, "http", None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tools_read_a_live_cluster() {
    if !client_available() {
        return;
    }
    let server = FakeApiServer::start().await;
    support::scenario::load(&server, std::path::Path::new(SCENARIO));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters: [{{name: fake, cluster: {{server: '{}'}}}}]\nusers: [{{name: u, user: {{}}}}]\ncontexts: [{{name: c, context: {{cluster: fake, user: u, namespace: default}}}}]\ncurrent-context: c\n",
            server.url()
        ),
    )
    .unwrap();
    let path = kubeconfig.clone();
    tokio::task::spawn_blocking(move || drive("-", "stdio", Some(&path)))
        .await
        .unwrap();
}
