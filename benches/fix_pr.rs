//! Fix pull requests: the planner alone on a large GitOps repository (many Rollouts, one of
//! them the canary's), and the whole PR flow (look-up, tree, file reads, branch, commit,
//! pull request, labels) against the fake GitHub over loopback.
//! Run: `cargo bench --bench fix_pr`. Numbers only; asserts nothing.

#[path = "../tests/support_github/mod.rs"]
mod support_github;

use rollout_doctor::agent::sink::Delivery;
use rollout_doctor::fix::{FixLimits, FixTarget, RepoFile, plan};
use rollout_doctor::gitops::github::GitHub;
use rollout_doctor::repair::{Outcome, PullRequestSink, RepairConfig};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "ghp_bench0123456789";

/// `n` Rollouts like the checkout one, each in its own file, plus the real checkout.
fn repository(n: usize) -> Vec<RepoFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/gitops/plain/apps/checkout/rollout.yaml");
    let checkout = std::fs::read_to_string(root).unwrap();
    let mut files: Vec<RepoFile> = (0..n)
        .map(|i| RepoFile {
            path: format!("apps/svc-{i:04}/rollout.yaml"),
            text: checkout
                .replace("name: checkout", &format!("name: svc-{i:04}"))
                .replace("shop/checkout:v2.41.0", &format!("shop/svc-{i:04}:1.{i}.0")),
        })
        .collect();
    files.push(RepoFile {
        path: "apps/checkout/rollout.yaml".into(),
        text: checkout,
    });
    files
}

fn diagnosis() -> rollout_doctor::diagnosis::Diagnosis {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/canary-image-tag-typo");
    rollout_doctor::pipeline::diagnose_snapshot(&dir, &Default::default()).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn planner() {
    let d = diagnosis();
    let target = FixTarget {
        rollout: "checkout".into(),
        namespace: Some("shop".into()),
        helm_values: vec![],
    };
    for n in [10, 200, 2000] {
        let files = repository(n);
        let bytes: usize = files.iter().map(|f| f.text.len()).sum();
        let runs = if n > 1000 { 5 } else { 50 };
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let fix = plan(
                &d.remediation.action,
                &target,
                &files,
                &FixLimits::default(),
            )
            .unwrap();
            times.push(t.elapsed());
            assert_eq!(fix.path, "apps/checkout/rollout.yaml");
        }
        times.sort();
        println!(
            "plan over {:>5} files ({:>6} KiB): p50 {:>8.2?}  max {:>8.2?}",
            files.len(),
            bytes / 1024,
            percentile(&times, 0.5),
            times[times.len() - 1]
        );
    }
}

async fn pull_requests() {
    let gh = support_github::FakeGitHub::start().await;
    gh.accept_token(TOKEN);
    let files = repository(200);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    gh.seed("acme", "deploy", "main", &refs);
    let mut token = tempfile::NamedTempFile::new().unwrap();
    writeln!(token, "{TOKEN}").unwrap();
    let cfg: RepairConfig = serde_yaml_ng::from_str(&format!(
        "github: {{api_url: '{}', token_file: '{}'}}\nrepository_host: github.com\n",
        gh.api_url(),
        token.path().display()
    ))
    .unwrap();
    let host = GitHub::connect(&cfg.github).await.unwrap();
    let sink = PullRequestSink::new(cfg, Arc::new(host), Arc::new(NoApps));
    let d = diagnosis();
    let mut times = Vec::new();
    for i in 0..40 {
        // A new incident each time: its own branch and pull request.
        let mut delivery = Delivery::new(format!("checkout-bench-{i}"), d.clone());
        delivery.rollout_annotations = [
            (
                "rollout-doctor.io/git-repo".to_owned(),
                "https://github.com/acme/deploy".to_owned(),
            ),
            ("rollout-doctor.io/git-path".to_owned(), "apps".to_owned()),
        ]
        .into();
        gh.clear_requests();
        let t = Instant::now();
        let outcome = sink.repair(&delivery).await.unwrap();
        times.push(t.elapsed());
        assert!(matches!(outcome, Outcome::Opened(_)), "{outcome:?}");
    }
    let calls = gh.calls().len();
    times.sort();
    println!(
        "pull request, 201-file repository over loopback: p50 {:.2?}  p90 {:.2?}  ({calls} GitHub calls each)",
        percentile(&times, 0.5),
        percentile(&times, 0.9)
    );
}

struct NoApps;

impl rollout_doctor::repair::source::ApplicationLookup for NoApps {
    fn application<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Option<serde_json::Value>, String>> {
        Box::pin(async { Ok(None) })
    }
}

fn main() {
    planner();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(pull_requests());
}
