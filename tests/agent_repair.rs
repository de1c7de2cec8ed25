//! From abort to pull request and message in one run: the agent watches the fake API
//! server, diagnoses the aborted Rollout, finds its Argo CD Application, opens the fix
//! pull request on the fake GitHub, posts to the fake Slack with the PR's link, and stores
//! both on the RolloutDiagnosis status.

mod support;
#[path = "support_github/mod.rs"]
mod support_github;
#[path = "support_notify/mod.rs"]
mod support_notify;

use rollout_doctor::agent::app::{self, Parts};
use rollout_doctor::agent::config::AgentConfig;
use rollout_doctor::agent::sink::{LogSink, Sink};
use rollout_doctor::gitops::github::GitHub;
use rollout_doctor::notify::{NotifyConfig, sinks_from_config};
use rollout_doctor::repair::PullRequestSink;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::{FakeApiServer, wait_for};
use support_github::FakeGitHub;
use support_notify::{FakeServer, Reply};
use tokio::sync::watch;

const TOKEN: &str = "ghp_e2e0123456789";

fn checkout_repo(gh: &FakeGitHub) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/gitops/plain/apps/checkout/rollout.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    gh.seed(
        "acme",
        "deploy",
        "main",
        &[("apps/checkout/rollout.yaml", text.as_str())],
    );
    text
}

/// The aborted checkout Rollout, tracked by an Argo CD Application.
fn load_incident(server: &FakeApiServer) {
    server.apply_yaml(
        &serde_yaml_ng::to_string(&json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "checkout-prod", "namespace": "argocd"},
            "spec": {"source": {"repoURL": "https://github.com/acme/deploy.git", "path": "apps/checkout", "targetRevision": "main"},
                     "destination": {"namespace": "shop"}}
        }))
        .unwrap(),
    );
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/canary-image-tag-typo");
    support::scenario::load(server, &dir);
    let mut ro = server.get("rollouts", "shop", "checkout").unwrap();
    ro["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] =
        json!("checkout-prod:argoproj.io/Rollout:shop/checkout");
    server.apply_yaml(&serde_yaml_ng::to_string(&ro).unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn abort_to_pull_request_and_message() {
    let server = FakeApiServer::start().await;
    let gh = FakeGitHub::start().await;
    gh.accept_token(TOKEN);
    let before = checkout_repo(&gh);
    let slack = FakeServer::start(vec![], Reply::new(200, "ok")).await;

    let mut token = tempfile::NamedTempFile::new().unwrap();
    writeln!(token, "{TOKEN}").unwrap();
    let cfg = NotifyConfig::from_yaml(&format!(
        "sinks:\n- {{name: slack, type: slack, url: '{}'}}\n\
         pull_request:\n  github: {{api_url: '{}', token_file: '{}'}}\n  repository_host: github.com\n",
        slack.url("/hook"),
        gh.api_url(),
        token.path().display()
    ))
    .unwrap();
    let pr_cfg = cfg.pull_request.clone().unwrap();
    let host = GitHub::connect(&pr_cfg.github).await.unwrap();
    let mut sinks: Vec<Arc<dyn Sink>> = vec![Arc::new(PullRequestSink::new(
        pr_cfg,
        Arc::new(host),
        Arc::new(server.client()),
    ))];
    sinks.extend(sinks_from_config(&cfg).unwrap());
    sinks.push(Arc::new(LogSink));
    let parts = Parts {
        sinks,
        ..Parts::new(server.client())
    };

    load_incident(&server);
    let agent_cfg = AgentConfig {
        identity: "agent-e2e".into(),
        leader_election: false,
        api_timeout: Duration::from_secs(5),
        ..AgentConfig::default()
    };
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(async move { app::run(agent_cfg, parts, rx, false).await.unwrap() });

    let record: Value = wait_for("a delivered record", Duration::from_secs(30), || {
        server
            .list("rolloutdiagnoses")
            .into_iter()
            .find(|r| r["status"]["phase"] == "Delivered")
    })
    .await;
    let _ = stop.send(true);
    tokio::time::timeout(Duration::from_secs(15), task)
        .await
        .unwrap()
        .unwrap();

    // The pull request: one, draft, on the incident's branch, with the one-line revert.
    let name = record["metadata"]["name"].as_str().unwrap();
    let branch = format!("rollout-doctor/{name}");
    let repo = gh.repo("acme", "deploy");
    assert_eq!(repo.pulls.len(), 1);
    assert_eq!(
        (
            repo.pulls[0].head.as_str(),
            repo.pulls[0].base.as_str(),
            repo.pulls[0].draft
        ),
        (branch.as_str(), "main", true)
    );
    let fixed = gh
        .file_on("acme", "deploy", &branch, "apps/checkout/rollout.yaml")
        .unwrap();
    assert_eq!(
        fixed,
        before.replace("checkout:v2.41.0 # release", "checkout:2.40.3 # release")
    );
    assert_eq!(
        gh.file_on("acme", "deploy", "main", "apps/checkout/rollout.yaml")
            .unwrap(),
        before
    );

    // The message links the pull request.
    let posts = slack.requests();
    assert_eq!(posts.len(), 1, "one message per incident");
    let pr_url = format!("/acme/deploy/pull/{}", repo.pulls[0].number);
    assert!(
        String::from_utf8_lossy(&posts[0].body).contains(&pr_url),
        "{}",
        String::from_utf8_lossy(&posts[0].body)
    );

    // The record remembers both.
    let sinks = record["status"]["sinks"].as_array().unwrap();
    let pr_status = sinks.iter().find(|s| s["name"] == "pull-request").unwrap();
    assert_eq!(pr_status["delivered"], true);
    assert!(
        pr_status["link"]["url"]
            .as_str()
            .unwrap()
            .ends_with(&pr_url)
    );
    assert_eq!(pr_status["reference"], repo.pulls[0].number.to_string());
    assert!(
        sinks
            .iter()
            .any(|s| s["name"] == "slack" && s["delivered"] == true)
    );
    // The agent read the one Application it needed, and nothing secret.
    let reqs = server.requests();
    assert!(reqs.iter().any(|r| {
        r.path
            .ends_with("/namespaces/argocd/applications/checkout-prod")
    }));
    assert!(reqs.iter().all(|r| !r.path.contains("/secrets")));
}
