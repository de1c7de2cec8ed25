//! The binary on bad input: a clear message on stderr and a non-zero exit, never a panic.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollout-doctor"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn snapshot(objects: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("objects.yaml"), objects).unwrap();
    dir
}

const ROLLOUT: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: NAME, namespace: shop}\nspec: {strategy: {canary: {}}}\nstatus:\n  abort: true\n  conditions:\n  - {type: Progressing, status: 'False', reason: RolloutAborted, message: Rollout aborted update to revision 2}\n";

fn rollout(name: &str) -> String {
    ROLLOUT.replace("NAME", name)
}

fn assert_clean_failure(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_directory() {
    let o = run(&["diagnose", "/definitely/not/here"]);
    assert_clean_failure(&o, "does not exist");
}

#[test]
fn directory_without_objects() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["diagnose", dir.path().to_str().unwrap()]);
    assert_clean_failure(&o, "has no objects.yaml");
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let dir = snapshot("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {a: [\n");
    let o = run(&["diagnose", dir.path().to_str().unwrap()]);
    assert_clean_failure(&o, "objects.yaml:");
    assert!(
        stderr(&o).contains(":5") || stderr(&o).contains(":6"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn no_rollout() {
    let dir = snapshot("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n");
    assert_clean_failure(
        &run(&["diagnose", dir.path().to_str().unwrap()]),
        "no Rollout",
    );
}

#[test]
fn several_rollouts_need_a_choice() {
    let dir = snapshot(&format!("{}---\n{}", rollout("cart"), rollout("checkout")));
    let path = dir.path().to_str().unwrap();
    assert_clean_failure(&run(&["diagnose", path]), "choose one with --rollout");
    assert_clean_failure(
        &run(&["diagnose", path, "--rollout", "payments"]),
        "no Rollout named payments",
    );
    let ok = run(&[
        "diagnose",
        path,
        "--rollout",
        "shop/checkout",
        "--output",
        "json",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let d: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(d["rollout"]["name"], "checkout");
    assert_eq!(d["category"], "manual_abort");
    assert_eq!(d["engine"], "rules");
}

#[test]
fn binary_objects_file_is_rejected_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("objects.yaml"),
        b"kind: Pod\n\xff\xfe\x00garbage",
    )
    .unwrap();
    assert_clean_failure(
        &run(&["diagnose", dir.path().to_str().unwrap()]),
        "not UTF-8",
    );
}

#[cfg(unix)]
#[test]
fn unreadable_objects_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = snapshot(&rollout("cart"));
    let file = dir.path().join("objects.yaml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads anything; the check only means something for other users.
    if std::fs::read(&file).is_ok() {
        return;
    }
    assert_clean_failure(
        &run(&["diagnose", dir.path().to_str().unwrap()]),
        "cannot read",
    );
}

#[test]
fn pod_without_logs_is_a_gap_not_a_failure() {
    let pod = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: cart-abc-1, namespace: shop, labels: {rollouts-pod-template-hash: abc}}\nspec: {containers: [{name: app, image: cart:2}]}\nstatus:\n  phase: Running\n  containerStatuses: [{name: app, ready: true, restartCount: 0, state: {running: {startedAt: '2024-01-01T00:00:00Z'}}}]\n";
    let objects = rollout("cart").replace(
        "  abort: true\n",
        "  abort: true\n  currentPodHash: abc\n  stableRS: def\n",
    ) + pod;
    let dir = snapshot(&objects);
    std::fs::create_dir_all(dir.path().join("logs/cart-abc-1")).unwrap();
    let o = run(&["diagnose", dir.path().to_str().unwrap(), "--output", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let gaps = d["gaps"].as_array().unwrap();
    assert!(
        gaps.iter().any(|g| g["ref"] == "canary pods"
            && g["reason"].as_str().is_some_and(
                |r| r.starts_with("no log lines collected for 1 canary pod(s) (cart-abc-1)")
            )),
        "{gaps:?}"
    );
    let logs = &d["incident"]["logs"];
    assert_eq!(logs[0]["role"], "canary", "{logs}");
    assert_eq!(
        (logs[0]["pods"].as_u64(), logs[0]["pods_read"].as_u64()),
        (Some(1), Some(0)),
        "{logs}"
    );
    let text = String::from_utf8(run(&["diagnose", dir.path().to_str().unwrap()]).stdout).unwrap();
    assert!(text.contains("\n  logs      canary 0 of 1 pod\n"), "{text}");
}

#[test]
fn text_and_markdown_lead_with_the_cause() {
    let dir = snapshot(&rollout("cart"));
    let path = dir.path().to_str().unwrap();
    let text = String::from_utf8(run(&["diagnose", path]).stdout).unwrap();
    assert!(text.starts_with("shop/cart: manual_abort"), "{text}");
    let md = String::from_utf8(run(&["diagnose", path, "--output", "markdown"]).stdout).unwrap();
    assert!(md.starts_with("### `shop/cart`: **manual_abort**"), "{md}");
}

#[test]
fn evidence_command_reports_its_budget() {
    let dir = snapshot(&rollout("cart"));
    let o = run(&["evidence", dir.path().to_str().unwrap(), "--budget", "100"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ev: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ev["rollout"]["name"], "cart");
    assert!(Path::new(dir.path()).exists());
}

#[test]
fn the_embedded_demo_runs_with_nothing_else() {
    let o = run(&["demo", "--output", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["category"], "config_missing");
    assert_eq!(d["remediation"]["action"], "restore_env");
}

/// `fix` prints the patch and changes the checkout only with `--write`.
#[test]
fn fix_prints_the_patch_and_writes_only_when_asked() {
    let repo = tempfile::tempdir().unwrap();
    let src = Path::new("fixtures/gitops/plain/apps/accounts-api/rollout.yaml");
    let original = std::fs::read_to_string(src).unwrap();
    std::fs::create_dir_all(repo.path().join("apps/accounts-api")).unwrap();
    std::fs::write(
        repo.path().join("apps/accounts-api/rollout.yaml"),
        &original,
    )
    .unwrap();
    let repo_arg = repo.path().to_str().unwrap();
    let args = [
        "fix",
        "fixtures/scenarios/canary-readiness-path-changed",
        "--repo",
        repo_arg,
    ];

    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let diff = String::from_utf8_lossy(&o.stdout);
    assert!(
        diff.starts_with(
            "--- a/apps/accounts-api/rollout.yaml\n+++ b/apps/accounts-api/rollout.yaml\n"
        ),
        "{diff}"
    );
    assert!(
        diff.contains("-              path: /health/ready\n+              path: /healthz\n"),
        "{diff}"
    );
    let on_disk =
        || std::fs::read_to_string(repo.path().join("apps/accounts-api/rollout.yaml")).unwrap();
    assert_eq!(on_disk(), original, "no --write, no change");

    let o = run(&[&args[..], &["--write"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        on_disk(),
        original.replace("path: /health/ready", "path: /healthz")
    );
}

#[test]
fn fix_exits_3_when_there_is_nothing_to_fix() {
    // A dependency outage has no mechanical fix.
    let o = run(&[
        "fix",
        "fixtures/scenarios/canary-db-dns-secret-in-log",
        "--repo",
        "fixtures/gitops/plain",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("no mechanical fix"), "{}", stderr(&o));
    // A fixable cause whose Rollout the checkout does not define.
    let o = run(&[
        "fix",
        "fixtures/scenarios/canary-image-tag-typo",
        "--repo",
        "fixtures/gitops/plain",
        "--path",
        "apps/notifier",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("nothing to fix found"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
}

/// Helm layers from outside `--path` (an environments folder) are read and the file that
/// decides the tag is the one changed.
#[test]
fn fix_reads_helm_layers_outside_the_chart() {
    let o = run(&[
        "fix",
        "fixtures/scenarios/canary-image-tag-typo",
        "--repo",
        "fixtures/gitops/helm",
        "--path",
        "charts/checkout",
        "--helm-values",
        "charts/checkout/values.yaml",
        "--helm-values",
        "envs/prod/checkout.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let diff = String::from_utf8_lossy(&o.stdout);
    assert!(
        diff.contains("-  tag: v2.41.0  # release 2.41\n+  tag: \"2.40.3\"  # release 2.41\n"),
        "{diff}"
    );
}
