//! Helm value layering: the effective image is read across a release's value files and the
//! file that decides the tag is the one edited.

use super::tests::{CANARY, STABLE, assert_edit, file, revert};
use super::*;
use crate::diagnosis::Action;

const CHART: &str = include_str!("../../fixtures/gitops/helm/charts/checkout/Chart.yaml");
const DEFAULTS: &str = include_str!("../../fixtures/gitops/helm/charts/checkout/values.yaml");
const PROD: &str = include_str!("../../fixtures/gitops/helm/envs/prod/checkout.yaml");
const TEMPLATE: &str =
    include_str!("../../fixtures/gitops/helm/charts/checkout/templates/rollout.yaml");
const WORKER: &str = "registry.example.io/shop/checkout-worker:v2.41.0";

fn layered(action: &Action, files: &[RepoFile], helm_values: &[&str]) -> Result<Fix, FixError> {
    let target = FixTarget {
        rollout: "checkout".into(),
        namespace: Some("shop".into()),
        helm_values: helm_values.iter().map(|s| s.to_string()).collect(),
    };
    plan(action, &target, files, &FixLimits::default())
}

/// The fixture repository as the sink fetches it: the chart directory and the override.
fn helm_repo() -> Vec<RepoFile> {
    vec![
        file("charts/checkout/Chart.yaml", CHART),
        file("charts/checkout/templates/rollout.yaml", TEMPLATE),
        file("charts/checkout/values.yaml", DEFAULTS),
        file("envs/prod/checkout.yaml", PROD),
    ]
}

fn not_found(r: Result<Fix, FixError>) -> String {
    match r {
        Err(FixError::NotFound { what }) => what,
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn two_layers_tag_only_override() {
    let both = ["charts/checkout/values.yaml", "envs/prod/checkout.yaml"];
    // Listing only the override finds the chart's defaults beside Chart.yaml.
    for listed in [&both[..], &both[1..], &["./envs/prod/checkout.yaml"]] {
        let fix = layered(&revert("app", CANARY, STABLE), &helm_repo(), listed).unwrap();
        assert_eq!(fix.path, "envs/prod/checkout.yaml");
        // 2.40.3 would read as a number, so it is written quoted (the chart quotes it too).
        assert_edit(
            &fix,
            "  tag: v2.41.0  # release 2.41",
            "  tag: \"2.40.3\"  # release 2.41",
        );
        assert_eq!(
            (fix.field.as_str(), fix.kind),
            ("image.tag", SourceKind::HelmValues)
        );
    }
    // Without the layers the override is no values file, and the defaults alone hold the
    // stable tag: nothing renders the canary image.
    let what = not_found(layered(&revert("app", CANARY, STABLE), &helm_repo(), &[]));
    assert!(what.contains("image.tag = 2.40.3"), "{what}");
}

#[test]
fn three_layers_middle_decides_the_tag() {
    let defaults = "image:\n  repository: registry.example.io/shop/checkout\n  tag: \"2.40.3\"\n";
    let region = "# eu-west-1 only\nimage:\n  tag: v2.41.0\n";
    let top = "image:\n  pullPolicy: Always\nreplicaCount: 6\n";
    let files = [
        file("chart/values.yaml", defaults),
        file("envs/prod/eu.yaml", region),
        file("envs/prod/eu-hotfix.yaml", top),
    ];
    let listed = [
        "chart/values.yaml",
        "envs/prod/eu.yaml",
        "envs/prod/eu-hotfix.yaml",
    ];
    let fix = layered(&revert("app", CANARY, STABLE), &files, &listed).unwrap();
    assert_eq!(fix.path, "envs/prod/eu.yaml");
    assert_edit(&fix, "  tag: v2.41.0\n", "  tag: \"2.40.3\"\n");

    // A default that a higher layer overrides is not what runs, so it is never edited.
    let stale = [
        file(
            "chart/values.yaml",
            &defaults.replace("\"2.40.3\"", "v2.41.0"),
        ),
        file("envs/prod/eu.yaml", &region.replace("v2.41.0", "v2.42.0")),
    ];
    let what = not_found(layered(
        &revert("app", CANARY, STABLE),
        &stale,
        &listed[..2],
    ));
    assert!(
        what.contains("envs/prod/eu.yaml has image.tag = v2.42.0"),
        "{what}"
    );
}

#[test]
fn override_that_moved_on_is_not_found() {
    let files = helm_repo();
    let moved = PROD.replace("  tag: v2.41.0  #", "  tag: v2.42.0  #");
    let files = [&files[..3], &[file("envs/prod/checkout.yaml", &moved)]].concat();
    let what = not_found(layered(
        &revert("app", CANARY, STABLE),
        &files,
        &["envs/prod/checkout.yaml"],
    ));
    assert!(
        what.contains("envs/prod/checkout.yaml has image.tag = v2.42.0"),
        "{what}"
    );
}

#[test]
fn tag_only_without_repository_is_not_guessed() {
    // No chart directory among the files: the override is the only layer.
    let files = [file("envs/prod/checkout.yaml", PROD)];
    let what = not_found(layered(
        &revert("app", CANARY, STABLE),
        &files,
        &["envs/prod/checkout.yaml"],
    ));
    assert!(
        what.contains("sets image.tag = v2.41.0, but no values file (envs/prod/checkout.yaml) sets image.repository"),
        "{what}"
    );
    // A repository removed by a higher layer (null) is missing too.
    let files = [
        file("charts/checkout/values.yaml", DEFAULTS),
        file(
            "envs/prod/checkout.yaml",
            &PROD.replacen("\nimage:\n", "\nimage:\n  repository: null\n", 1),
        ),
    ];
    let listed = ["charts/checkout/values.yaml", "envs/prod/checkout.yaml"];
    let what = not_found(layered(&revert("app", CANARY, STABLE), &files, &listed));
    assert!(what.contains("sets image.repository"), "{what}");
    // A listed file that was not read is named.
    let what = not_found(layered(
        &revert("app", CANARY, STABLE),
        &files[..1],
        &listed,
    ));
    assert!(
        what.contains("Helm value file envs/prod/checkout.yaml was not among the files read"),
        "{what}"
    );
}

#[test]
fn worker_block_is_its_own_image() {
    let listed = ["charts/checkout/values.yaml", "envs/prod/checkout.yaml"];
    // The checkout revert above stays a single site, so the worker block did not match it;
    // the worker's own revert edits only the worker's tag.
    let stable = "registry.example.io/shop/checkout-worker:v2.40.9";
    let fix = layered(&revert("worker", WORKER, stable), &helm_repo(), &listed).unwrap();
    assert_eq!(fix.path, "envs/prod/checkout.yaml");
    assert_edit(&fix, "    tag: v2.41.0\n", "    tag: v2.40.9\n");
    assert_eq!(fix.field, "worker.image.tag");
}

#[test]
fn memory_follows_the_layers() {
    let prod = "resources:\n  limits:\n    memory: 1Gi  # prod traffic\n";
    let files = [
        file("charts/checkout/values.yaml", DEFAULTS),
        file("envs/prod/checkout.yaml", prod),
    ];
    let listed = ["charts/checkout/values.yaml", "envs/prod/checkout.yaml"];
    let raise = |current: &str| Action::RaiseMemoryLimit {
        container: "app".into(),
        current: Some(current.into()),
        suggested: Some("2Gi".into()),
    };
    let fix = layered(&raise("1Gi"), &files, &listed).unwrap();
    assert_eq!(fix.path, "envs/prod/checkout.yaml");
    assert_edit(&fix, "memory: 1Gi  #", "memory: 2Gi  #");
    // The chart's 512Mi is overridden, so it is not the limit the pods run with.
    assert!(matches!(
        layered(&raise("512Mi"), &files, &listed),
        Err(FixError::NotFound { .. })
    ));
}
