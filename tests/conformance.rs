//! Conformance against upstream Argo Rollouts objects (`../shared/fixtures/argo-rollouts/`).
//! Skipped, with a note, where that folder is absent; `.ci/run` sets
//! `ROLLOUT_DOCTOR_REQUIRE_SHARED=1` so CI cannot skip it silently.

use rollout_doctor::diagnosis::Category;
use rollout_doctor::evidence::{Role, build_evidence, select_rollout};
use rollout_doctor::model::{Phase, rollout_phase};
use rollout_doctor::pipeline::{DiagnoseOptions, diagnose};
use rollout_doctor::redact::Redactor;
use rollout_doctor::source::{ObjectSet, Snapshot};
use std::path::{Path, PathBuf};

fn upstream() -> Option<PathBuf> {
    let dir = std::env::var_os("ROLLOUT_DOCTOR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("fixtures/argo-rollouts");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("ROLLOUT_DOCTOR_REQUIRE_SHARED").is_none(),
        "{} is required but absent",
        dir.display()
    );
    eprintln!("skipping: {} is absent", dir.display());
    None
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

/// One scenario folder of upstream testdata, loaded as a snapshot (its files concatenated).
fn testdata(root: &Path, name: &str) -> ObjectSet {
    let mut set = ObjectSet::default();
    let dir = root
        .join("pkg/kubectl-argo-rollouts/info/testdata")
        .join(name);
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    files.sort();
    for f in files {
        set.add_text(
            &f.display().to_string(),
            &std::fs::read_to_string(&f).unwrap(),
        )
        .unwrap();
    }
    set
}

#[test]
fn every_upstream_object_parses_without_warnings() {
    let Some(root) = upstream() else { return };
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    assert!(
        files.len() >= 25,
        "expected the upstream fixtures, found {}",
        files.len()
    );
    let mut set = ObjectSet::default();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        set.add_text(&f.display().to_string(), &text)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(set.warnings.is_empty(), "{:#?}", set.warnings);
    assert!(set.rollouts.len() >= 7, "{}", set.rollouts.len());
    assert!(set.analysis_runs.len() >= 3);
    assert!(set.analysis_templates.len() >= 2);
    // extensions/v1beta1 blue-green ReplicaSets included.
    assert!(set.replica_sets.len() >= 8, "{}", set.replica_sets.len());
    assert!(set.pods.len() >= 5);
}

#[test]
fn aborted_rollout_is_degraded_with_the_analysis_message() {
    let Some(root) = upstream() else { return };
    let set = testdata(&root, "rollout-aborted");
    let ro = select_rollout(&set, None).unwrap();
    let phase = rollout_phase(ro);
    assert_eq!(phase.phase, Phase::Degraded);
    assert_eq!(
        phase.message.as_deref(),
        Some(
            r#"RolloutAborted: metric "web" assessed Failed due to failed (1) > failureLimit (0)"#
        )
    );
    let ev = build_evidence(
        ro,
        &set,
        &NoLogs,
        &Redactor::default(),
        &DiagnoseOptions::default().evidence,
    );
    assert_eq!(ev.incident.canary_hash.as_deref(), Some("db976bc44"));
    assert_eq!(ev.incident.stable_hash.as_deref(), Some("7d84d44bb8"));
    assert_eq!(ev.analysis[0].phase, "Failed");
    let d = diagnose(&ev);
    assert_eq!(d.category, Category::MetricRegression);
    assert!(
        d.evidence
            .iter()
            .any(|e| e.text.contains("failed (1) > failureLimit (0)")),
        "{:#?}",
        d.evidence
    );
}

#[test]
fn invalid_spec_rollout_is_degraded() {
    let Some(root) = upstream() else { return };
    let set = testdata(&root, "rollout-invalid");
    let ro = select_rollout(&set, None).unwrap();
    let phase = rollout_phase(ro);
    assert_eq!(phase.phase, Phase::Degraded);
    assert!(
        phase
            .message
            .as_deref()
            .unwrap()
            .starts_with("InvalidSpec: "),
        "{:?}",
        phase.message
    );
    let ev = build_evidence(
        ro,
        &set,
        &NoLogs,
        &Redactor::default(),
        &DiagnoseOptions::default().evidence,
    );
    assert_eq!(diagnose(&ev).category, Category::InvalidSpec);
}

#[test]
fn degraded_canary_is_an_image_pull_failure() {
    let Some(root) = upstream() else { return };
    let set = testdata(&root, "canary");
    for name in ["canary-demo", "canary-demo-weights"] {
        let ro = select_rollout(&set, Some(name)).unwrap();
        assert_eq!(rollout_phase(ro).phase, Phase::Degraded);
        let ev = build_evidence(
            ro,
            &set,
            &NoLogs,
            &Redactor::default(),
            &DiagnoseOptions::default().evidence,
        );
        let canary: Vec<_> = ev.pods.iter().filter(|p| p.role == Role::Canary).collect();
        assert_eq!(canary.len(), 1);
        let d = diagnose(&ev);
        assert_eq!(d.category, Category::ImagePull);
        assert!(
            d.evidence
                .iter()
                .any(|e| e.text.contains("ImagePullBackOff"))
        );
    }
}

#[test]
fn blue_green_roles_follow_active_and_preview_selectors() {
    let Some(root) = upstream() else { return };
    let set = testdata(&root, "blue-green");
    let ro = select_rollout(&set, None).unwrap();
    assert_eq!(rollout_phase(ro).phase, Phase::Paused);
    let ev = build_evidence(
        ro,
        &set,
        &NoLogs,
        &Redactor::default(),
        &DiagnoseOptions::default().evidence,
    );
    assert_eq!(ev.incident.stable_hash.as_deref(), Some("6cbccd9f99"));
    assert_eq!(ev.incident.canary_hash.as_deref(), Some("74b948fccb"));
    let role = |hash: &str| {
        ev.pods
            .iter()
            .find(|p| p.hash.as_deref() == Some(hash))
            .map(|p| p.role)
    };
    assert_eq!(role("6cbccd9f99"), Some(Role::Stable));
    assert_eq!(role("74b948fccb"), Some(Role::Canary));
}

#[test]
fn every_testdata_folder_diagnoses_as_a_snapshot() {
    let Some(root) = upstream() else { return };
    let base = root.join("pkg/kubectl-argo-rollouts/info/testdata");
    for entry in std::fs::read_dir(&base).unwrap().flatten() {
        let tmp = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        yaml_files(&entry.path(), &mut files);
        let joined: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        std::fs::write(tmp.path().join("objects.yaml"), joined.join("\n---\n")).unwrap();
        let snap = Snapshot::load(tmp.path()).unwrap();
        for ro in &snap.objects.rollouts {
            let ev = build_evidence(
                ro,
                &snap.objects,
                &snap,
                &Redactor::default(),
                &DiagnoseOptions::default().evidence,
            );
            let d = diagnose(&ev);
            assert!((0.0..=1.0).contains(&d.confidence));
            serde_json::to_string(&d).unwrap();
        }
    }
}

struct NoLogs;
impl rollout_doctor::source::LogSource for NoLogs {
    fn open(
        &self,
        _: &str,
        _: &str,
        _: bool,
    ) -> Result<Option<Box<dyn std::io::Read + '_>>, rollout_doctor::source::LogError> {
        Ok(None)
    }
}
