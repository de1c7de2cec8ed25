//! Hostile files (issue #12): symlinks out of the snapshot or the repository, `..` paths,
//! deeply nested, huge or not-regular object files, over-long logs, out-of-range numbers and
//! duplicate keys. Each is refused or degraded with a clear message, never followed, never a
//! whole-snapshot failure for one bad object.

#[path = "support_files/mod.rs"]
mod support_files;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support_files::copy_tree;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollout-doctor"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A copy of a scenario snapshot that a test may tamper with.
fn scenario(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&Path::new("fixtures/scenarios").join(name), dir.path());
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The stable pods' log directories of `canary-go-nil-pointer-panic` (read like any other).
fn stable_pod_dirs(snap: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(snap.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("cart-7b99bff7c6-")
        })
        .collect();
    dirs.sort();
    dirs
}

/// Every stable `app.log` becomes a link to `target`.
fn link_stable_logs(snap: &Path, target: &Path) {
    for dir in stable_pod_dirs(snap) {
        let log = dir.join("app.log");
        std::fs::remove_file(&log).unwrap();
        symlink(target, &log).unwrap();
    }
}

// --- 1. fix --write stays inside --repo --------------------------------------------------

/// `apps` inside the checkout is a link to a directory elsewhere holding the manifest.
#[test]
fn fix_refuses_a_path_that_is_a_symlink_out_of_the_repository() {
    let (repo, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    copy_tree(
        Path::new("fixtures/gitops/plain/apps/checkout"),
        &outside.path().join("checkout"),
    );
    symlink(outside.path(), repo.path().join("apps")).unwrap();
    let before = std::fs::read_to_string(outside.path().join("checkout/rollout.yaml")).unwrap();
    let o = run(&[
        "fix",
        "fixtures/scenarios/canary-image-tag-typo",
        "--repo",
        path(repo.path()),
        "--path",
        "apps/checkout",
        "--write",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("outside the repository"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(outside.path().join("checkout/rollout.yaml")).unwrap(),
        before
    );
}

fn helm_repo() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    copy_tree(Path::new("fixtures/gitops/helm"), repo.path());
    repo
}

/// The value file that decides the tag is a link to a file outside the checkout.
#[test]
fn fix_refuses_helm_values_linked_out_of_the_repository() {
    let (repo, outside) = (helm_repo(), tempfile::tempdir().unwrap());
    let victim = outside.path().join("checkout.yaml");
    let env_file = repo.path().join("envs/prod/checkout.yaml");
    std::fs::rename(&env_file, &victim).unwrap();
    symlink(&victim, &env_file).unwrap();
    let before = std::fs::read_to_string(&victim).unwrap();
    let o = run(&[
        "fix",
        "fixtures/scenarios/canary-image-tag-typo",
        "--repo",
        path(repo.path()),
        "--path",
        "charts/checkout",
        "--helm-values",
        "charts/checkout/values.yaml",
        "--helm-values",
        "envs/prod/checkout.yaml",
        "--write",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("outside the repository"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), before);
}

/// `--helm-values ../x.yaml` names a file beside the checkout, not in it.
#[test]
fn fix_refuses_helm_values_that_climb_out_with_dotdot() {
    let parent = tempfile::tempdir().unwrap();
    let repo = parent.path().join("repo");
    copy_tree(Path::new("fixtures/gitops/helm"), &repo);
    let victim = parent.path().join("prod.yaml");
    std::fs::copy(repo.join("envs/prod/checkout.yaml"), &victim).unwrap();
    let before = std::fs::read_to_string(&victim).unwrap();
    let o = run(&[
        "fix",
        "fixtures/scenarios/canary-image-tag-typo",
        "--repo",
        path(&repo),
        "--path",
        "charts/checkout",
        "--helm-values",
        "charts/checkout/values.yaml",
        "--helm-values",
        "../prod.yaml",
        "--write",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("outside the repository"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), before);
}

/// A manifest found by walking `--path` that links out is skipped, and the skip is said.
#[test]
fn fix_skips_walked_files_linking_out_with_a_note() {
    let (repo, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let victim = outside.path().join("rollout.yaml");
    std::fs::copy("fixtures/gitops/plain/apps/checkout/rollout.yaml", &victim).unwrap();
    std::fs::create_dir_all(repo.path().join("apps/checkout")).unwrap();
    symlink(&victim, repo.path().join("apps/checkout/rollout.yaml")).unwrap();
    let before = std::fs::read_to_string(&victim).unwrap();
    let o = run(&[
        "fix",
        "fixtures/scenarios/canary-image-tag-typo",
        "--repo",
        path(repo.path()),
        "--path",
        "apps/checkout",
        "--write",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("apps/checkout/rollout.yaml")
            && stderr(&o).contains("outside the repository"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), before);
}

/// A link that stays inside the checkout is an ordinary file.
#[test]
fn fix_follows_links_that_stay_inside_the_repository() {
    let repo = tempfile::tempdir().unwrap();
    copy_tree(
        Path::new("fixtures/gitops/plain/apps/checkout"),
        &repo.path().join("real/checkout"),
    );
    std::fs::create_dir_all(repo.path().join("apps")).unwrap();
    symlink(
        repo.path().join("real/checkout"),
        repo.path().join("apps/checkout"),
    )
    .unwrap();
    let o = run(&[
        "fix",
        "fixtures/scenarios/canary-image-tag-typo",
        "--repo",
        path(repo.path()),
        "--path",
        "apps/checkout",
        "--write",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let after = std::fs::read_to_string(repo.path().join("real/checkout/rollout.yaml")).unwrap();
    let before =
        std::fs::read_to_string("fixtures/gitops/plain/apps/checkout/rollout.yaml").unwrap();
    assert_ne!(
        after, before,
        "the edit lands in the link's target inside the checkout"
    );
}

// --- 2. snapshot symlinks ---------------------------------------------------------------

const SECRET: &str = "panic: TOP-SECRET-MARKER root:$6$hash:19000:0:99999:7:::";

fn outside_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("shadow");
    std::fs::write(&file, format!("{SECRET}\n").repeat(20)).unwrap();
    (outside, file)
}

#[test]
fn diagnose_refuses_a_log_file_linking_out_of_the_snapshot() {
    let snap = scenario("canary-go-nil-pointer-panic");
    let (_outside, file) = outside_file();
    link_stable_logs(snap.path(), &file);
    for args in [
        vec!["diagnose", path(snap.path()), "--output", "json"],
        vec!["evidence", path(snap.path()), "--budget", "1000000"],
    ] {
        let cmd = args[0];
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            !stdout(&o).contains("TOP-SECRET-MARKER"),
            "{cmd} printed the linked file"
        );
        assert!(
            stdout(&o).contains("outside the snapshot"),
            "{cmd}: no gap says why: {}",
            stdout(&o)
        );
    }
}

#[test]
fn diagnose_refuses_a_pod_directory_linking_out_of_the_snapshot() {
    let snap = scenario("canary-go-nil-pointer-panic");
    let (outside, file) = outside_file();
    std::fs::rename(&file, outside.path().join("app.log")).unwrap();
    for pod_dir in stable_pod_dirs(snap.path()) {
        std::fs::remove_dir_all(&pod_dir).unwrap();
        symlink(outside.path(), &pod_dir).unwrap();
    }
    let o = run(&["evidence", path(snap.path()), "--budget", "1000000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("TOP-SECRET-MARKER"));
    assert!(
        stdout(&o).contains("outside the snapshot"),
        "{}",
        stdout(&o)
    );
    // `fix` reads the same snapshot the same way.
    let o = run(&[
        "fix",
        path(snap.path()),
        "--repo",
        "fixtures/gitops/plain",
        "--path",
        "apps/notifier",
    ]);
    assert!(!stdout(&o).contains("TOP-SECRET-MARKER") && !stderr(&o).contains("TOP-SECRET-MARKER"));
}

#[test]
fn a_link_that_stays_inside_the_snapshot_is_followed() {
    let snap = scenario("canary-go-nil-pointer-panic");
    let kept = snap.path().join("kept.log");
    std::fs::write(&kept, format!("{SECRET}\n").repeat(20)).unwrap();
    link_stable_logs(snap.path(), &kept);
    let o = run(&["evidence", path(snap.path()), "--budget", "1000000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("TOP-SECRET-MARKER"), "{}", stdout(&o));
}

#[test]
fn objects_file_linking_out_of_the_snapshot_is_refused() {
    let (snap, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let real = outside.path().join("objects.yaml");
    std::fs::copy(
        "fixtures/scenarios/canary-image-tag-typo/objects.yaml",
        &real,
    )
    .unwrap();
    symlink(&real, snap.path().join("objects.yaml")).unwrap();
    let o = run(&["diagnose", path(snap.path())]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("outside the snapshot"),
        "{}",
        stderr(&o)
    );
}

/// Files in an `objects/` folder are held to the same rule, and so is the folder itself.
#[test]
fn objects_folder_entries_linking_out_are_refused() {
    let (snap, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let real = outside.path().join("rollout.yaml");
    std::fs::copy(
        "fixtures/scenarios/canary-image-tag-typo/objects.yaml",
        &real,
    )
    .unwrap();
    std::fs::create_dir(snap.path().join("objects")).unwrap();
    symlink(&real, snap.path().join("objects/rollout.yaml")).unwrap();
    let o = run(&["diagnose", path(snap.path())]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("objects/rollout.yaml resolves to")
            && stderr(&o).contains("outside the snapshot"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(snap.path().join("objects")).unwrap();
    symlink(outside.path(), snap.path().join("objects")).unwrap();
    let o = run(&["diagnose", path(snap.path())]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("outside the snapshot"),
        "{}",
        stderr(&o)
    );
}

/// A FIFO as a log would block the reader for ever: it is a gap, not a wait.
#[test]
fn a_fifo_as_a_log_is_a_gap() {
    let snap = scenario("canary-go-nil-pointer-panic");
    for dir in stable_pod_dirs(snap.path()) {
        let log = dir.join("app.log");
        std::fs::remove_file(&log).unwrap();
        assert!(Command::new("mkfifo").arg(&log).status().unwrap().success());
    }
    let o = run(&["diagnose", path(snap.path()), "--output", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("app.log is not a regular file"),
        "{}",
        stdout(&o)
    );
}

/// The collector's writer never writes through a link planted in the output directory.
#[test]
fn snapshot_writer_does_not_write_through_links() {
    let (dir, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    symlink(outside.path(), dir.path().join("logs/p-1")).unwrap();
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p-1"}});
    let result = rollout_doctor::source::write_snapshot(
        dir.path(),
        &[pod],
        [("p-1", "app", false, &b"line\n"[..])],
    );
    assert!(result.is_err(), "wrote through a link");
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "a file appeared outside"
    );
}

// --- 5, 6. nesting and size of object files ---------------------------------------------

const ROLLOUT: &str = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: shop}\nspec: {strategy: {canary: {}}}\nstatus:\n  abort: true\n";

fn snapshot_with(name: &str, objects: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), objects).unwrap();
    dir
}

#[test]
fn deeply_nested_objects_are_refused_fast() {
    let depth = 60_000;
    let yaml = format!(
        "{ROLLOUT}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let json = format!(
        "{{\"kind\": \"ConfigMap\", \"data\": {}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    for (file, text) in [("objects.yaml", yaml), ("objects.json", json)] {
        let snap = snapshot_with(file, text.as_bytes());
        let started = Instant::now();
        let o = run(&["diagnose", path(snap.path())]);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{file}: took {:?}",
            started.elapsed()
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("{file}:")) && stderr(&o).contains("nested deeper than"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn nesting_inside_quoted_and_block_text_is_not_counted() {
    let deep = "[".repeat(300);
    let yaml = format!(
        "{ROLLOUT}  message: \"{deep}\"\n  extra: |\n    {deep}\n    {{{{{{\n  other: '{deep}'\n"
    );
    let snap = snapshot_with("objects.yaml", yaml.as_bytes());
    let o = run(&["diagnose", path(snap.path())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn huge_objects_file_is_refused_before_reading() {
    let snap = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(snap.path().join("objects.yaml")).unwrap();
    f.set_len(300 << 20).unwrap();
    let o = run(&["diagnose", path(snap.path())]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("256 MiB"), "{}", stderr(&o));
}

#[test]
fn a_fifo_as_objects_file_is_refused_not_waited_on() {
    let snap = tempfile::tempdir().unwrap();
    let fifo = snap.path().join("objects.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let o = run(&["diagnose", path(snap.path())]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}

// --- 7. head and tail of long logs ------------------------------------------------------

/// The crash is at the end of a log longer than the line cap: the tail keeps it, and every
/// rendering says the log was cut, with the counts.
#[test]
fn a_crash_past_the_line_cap_is_kept_and_the_cut_is_said() {
    use rollout_doctor::analysis::logs::LogConfig;
    use rollout_doctor::pipeline::{DiagnoseOptions, run_snapshot};
    let snap = scenario("canary-go-nil-pointer-panic");
    let filler =
        "{\"level\":\"info\",\"msg\":\"request completed\",\"path\":\"/healthz\",\"status\":200}\n"
            .repeat(15_000);
    // Every log, the canary's previous one included, now has the crash only past the head.
    for pod in std::fs::read_dir(snap.path().join("logs")).unwrap() {
        for log in std::fs::read_dir(pod.unwrap().path()).unwrap() {
            let log = log.unwrap().path();
            let original = std::fs::read_to_string(&log).unwrap();
            std::fs::write(&log, format!("{filler}{original}")).unwrap();
        }
    }
    let mut opts = DiagnoseOptions::default();
    opts.evidence.logs = LogConfig {
        max_lines_per_stream: 1_000,
        ..LogConfig::default()
    };
    let report = run_snapshot(
        snap.path(),
        &opts,
        &rollout_doctor::redact::Redactor::default(),
    )
    .unwrap();
    let found = report
        .evidence
        .logs
        .findings
        .iter()
        .any(|f| f.template.contains("nil pointer") || f.example.contains("nil pointer"));
    assert!(found, "the crash at the end was not mined");
    let d = &report.diagnosis;
    let json = serde_json::to_string(d).unwrap();
    for (what, out) in [
        ("text", rollout_doctor::diagnosis::render::text(d)),
        ("markdown", rollout_doctor::diagnosis::render::markdown(d)),
        ("json", json),
    ] {
        assert!(
            out.contains("kept the first 1000 lines") && out.contains("skipped"),
            "{what}: {out}"
        );
    }
}

// --- 8, 9. one bad object, duplicate keys -----------------------------------------------

/// A number no integer type holds, in an ignored kind and in a Pod's status, fails nothing;
/// an object whose shape cannot be read is skipped alone, named with the field.
#[test]
fn one_bad_object_never_fails_the_snapshot() {
    let snap = scenario("canary-image-tag-typo");
    let mut objects = std::fs::read_to_string(snap.path().join("objects.yaml")).unwrap();
    objects.push_str("\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: unrelated}\nbig: 99999999999999999999999\n");
    objects.push_str("---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: odd}\n  status: {containerStatuses: [{name: app, restartCount: 99999999999999999999}]}\n");
    objects.push_str("- apiVersion: v1\n  kind: Pod\n  metadata: {name: broken}\n  status: oops\n");
    std::fs::write(snap.path().join("objects.yaml"), objects).unwrap();
    let o = run(&["diagnose", path(snap.path())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("image_pull"), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("Pod/broken") && err.contains("skipped: status: invalid type"),
        "{err}"
    );
    assert!(
        !err.contains("Pod/odd") && !err.contains("ConfigMap"),
        "{err}"
    );
}

#[test]
fn duplicate_keys_are_warned_about_and_the_last_one_wins() {
    let yaml = format!(
        "{ROLLOUT}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: shop\n  labels:\n    app: web\n    app: evil\n"
    );
    let snap = snapshot_with("objects.yaml", yaml.as_bytes());
    let o = run(&["evidence", path(snap.path()), "--budget", "1000000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("objects.yaml")
            && err.contains("Pod/web-1")
            && err.contains("duplicate key metadata.labels.app"),
        "{err}"
    );
}
