//! Image reverts in manifests, kustomizations and Helm values.

use super::tests::{
    CANARY, KUBECTL, KUSTOMIZATION, MANIFEST, STABLE, assert_edit, file, revert, run,
};
use super::*;

const VALUES: &str = "# Default values for checkout.
replicaCount: 4
image:
  registry: registry.example.io
  repository: shop/checkout
  tag: v2.41.0 # set by the release pipeline
  pullPolicy: IfNotPresent
worker:
  image:
    repository: registry.example.io/shop/checkout-worker
    tag: v2.41.0
resources:
  limits:
    memory: 1Gi
";

#[test]
fn image_in_plain_manifests() {
    let line = "          image: registry.example.io/shop/checkout:v2.41.0 # bumped by CI";
    let fixed = "          image: registry.example.io/shop/checkout:2.40.3 # bumped by CI";
    let crlf = MANIFEST.replace('\n', "\r\n");
    let quoted = MANIFEST.replace(
        "image: registry.example.io/shop/checkout:v2.41.0 #",
        "image: \"registry.example.io/shop/checkout:v2.41.0\" #",
    );
    // (text, old line, new line)
    let cases = [
        (MANIFEST.to_owned(), line.to_owned(), fixed.to_owned()),
        (crlf, format!("{line}\r\n"), format!("{fixed}\r\n")),
        (
            quoted,
            "image: \"registry.example.io/shop/checkout:v2.41.0\" # bumped".into(),
            "image: \"registry.example.io/shop/checkout:2.40.3\" # bumped".into(),
        ),
        (
            KUBECTL.to_owned(),
            "image: 'registry.example.io/shop/checkout:v2.41.0'".into(),
            "image: 'registry.example.io/shop/checkout:2.40.3'".into(),
        ),
    ];
    for (text, old, new) in cases {
        let fix = run(
            &revert("app", CANARY, STABLE),
            &[file("apps/checkout/rollout.yaml", &text)],
        )
        .unwrap();
        assert_edit(&fix, &old, &new);
        assert_eq!(fix.field, "spec.template.spec.containers[app].image");
        assert_eq!(fix.kind, SourceKind::Manifest);
        assert_eq!(fix.summary, format!("Revert app image to {STABLE}"));
        assert_eq!(
            fix.diff
                .lines()
                .filter(|l| l.starts_with(['+', '-']))
                .count(),
            4,
            "{}",
            fix.diff
        );
    }
}

#[test]
fn crlf_file_stays_crlf() {
    let text = MANIFEST.replace('\n', "\r\n");
    let fix = run(
        &revert("app", CANARY, STABLE),
        &[file("rollout.yaml", &text)],
    )
    .unwrap();
    assert_eq!(
        fix.after.matches('\n').count(),
        fix.after.matches("\r\n").count()
    );
    assert!(
        fix.diff.contains(
            "+          image: registry.example.io/shop/checkout:2.40.3 # bumped by CI\r\n"
        )
    );
}

#[test]
fn init_container_image() {
    let canary = "registry.example.io/shop/checkout-migrate:2.40.3";
    let fix = run(
        &revert(
            "migrate",
            canary,
            "registry.example.io/shop/checkout-migrate:2.40.2",
        ),
        &[file("r.yaml", MANIFEST)],
    )
    .unwrap();
    assert_edit(
        &fix,
        "checkout-migrate:2.40.3\n",
        "checkout-migrate:2.40.2\n",
    );
    assert_eq!(
        fix.field,
        "spec.template.spec.initContainers[migrate].image"
    );
}

#[test]
fn unified_diff_shape() {
    let fix = run(
        &revert("app", CANARY, STABLE),
        &[file("apps/checkout/rollout.yaml", MANIFEST)],
    )
    .unwrap();
    let expected = "--- a/apps/checkout/rollout.yaml
+++ b/apps/checkout/rollout.yaml
@@ -32,7 +32,7 @@
           args: [--wait, \"--timeout=60s\"]
       containers:
         - name: app
-          image: registry.example.io/shop/checkout:v2.41.0 # bumped by CI
+          image: registry.example.io/shop/checkout:2.40.3 # bumped by CI
           ports:
             - name: http
               containerPort: 8080
";
    assert_eq!(fix.diff, expected);
}

#[test]
fn kustomization_images() {
    let stable_digest = "registry.example.io/shop/checkout@sha256:9a8b7c";
    // (kustomization, stable image, old text, new text, field)
    let cases = [
        (
            KUSTOMIZATION.to_owned(),
            STABLE,
            "newTag: \"v2.41.0\"   # promoted",
            "newTag: \"2.40.3\"   # promoted",
            "images[registry.example.io/shop/checkout].newTag",
        ),
        (
            KUSTOMIZATION.replace("newTag: \"v2.41.0\"", "newTag: v2.41.0"),
            "registry.example.io/shop/checkout:v2.40.3",
            "newTag: v2.41.0 ",
            "newTag: v2.40.3 ",
            "images[registry.example.io/shop/checkout].newTag",
        ),
        (
            KUSTOMIZATION.to_owned(),
            stable_digest,
            "    newTag: \"v2.41.0\"   # promoted by CI\n",
            "    digest: sha256:9a8b7c\n",
            "images[registry.example.io/shop/checkout]",
        ),
    ];
    for (text, stable, old, new, field) in cases {
        let fix = run(
            &revert("app", CANARY, stable),
            &[file("overlays/prod/kustomization.yaml", &text)],
        )
        .unwrap();
        assert_edit(&fix, old, new);
        assert_eq!(fix.field, field);
        assert_eq!(fix.kind, SourceKind::Kustomization);
    }
}

#[test]
fn kustomization_new_name_and_digest_to_tag() {
    let text = "images:\n- name: checkout\n  newName: registry.example.io/shop/checkout\n  digest: sha256:aaaa\n";
    let canary = "registry.example.io/shop/checkout@sha256:aaaa";
    let fix = run(
        &revert("app", canary, STABLE),
        &[file("Kustomization", text)],
    )
    .unwrap();
    assert_eq!(
        fix.after,
        "images:\n- name: checkout\n  newName: registry.example.io/shop/checkout\n  newTag: \"2.40.3\"\n"
    );
    assert_eq!(fix.field, "images[checkout]");
}

#[test]
fn helm_values_image_blocks() {
    let fix = run(
        &revert("app", CANARY, STABLE),
        &[file("charts/checkout/values.yaml", VALUES)],
    )
    .unwrap();
    // 2.40.3 looks numeric to some YAML readers, so the plain tag gains quotes.
    assert_edit(&fix, "  tag: v2.41.0 # set", "  tag: \"2.40.3\" # set");
    assert_eq!(fix.field, "image.tag");
    assert_eq!(fix.kind, SourceKind::HelmValues);

    let worker = "registry.example.io/shop/checkout-worker:v2.41.0";
    let fix = run(
        &revert(
            "worker",
            worker,
            "registry.example.io/shop/checkout-worker:v2.40.9",
        ),
        &[file("values-prod.yaml", VALUES)],
    )
    .unwrap();
    assert_edit(&fix, "    tag: v2.41.0\n", "    tag: v2.40.9\n");
    assert_eq!(fix.field, "worker.image.tag");

    // A float-looking tag is compared as written and replaced by a quoted string.
    let floaty = "image:\n  repository: registry.example.io/shop/checkout\n  tag: 2.41\n";
    let canary = "registry.example.io/shop/checkout:2.41";
    let fix = run(
        &revert("app", canary, "registry.example.io/shop/checkout:2.40"),
        &[file("values.yml", floaty)],
    )
    .unwrap();
    assert_edit(&fix, "tag: 2.41", "tag: \"2.40\"");

    let whole = "app:\n  image: 'registry.example.io/shop/checkout:v2.41.0'\n";
    let fix = run(
        &revert("app", CANARY, STABLE),
        &[file("values.yaml", whole)],
    )
    .unwrap();
    assert_edit(
        &fix,
        "'registry.example.io/shop/checkout:v2.41.0'",
        "'registry.example.io/shop/checkout:2.40.3'",
    );
    assert_eq!(fix.field, "app.image");
}

#[test]
fn unusual_but_valid_layouts() {
    let three = "kind: Rollout\nmetadata:\n   name: checkout\nspec:\n   template:\n      spec:\n         containers:\n            -  name: app\n               \"image\": registry.example.io/shop/checkout:v2.41.0\n";
    // (text, old, new)
    let cases = [
        (
            MANIFEST.replace(
                "image: registry.example.io/shop/checkout:v2.41.0 #",
                "\"image\":\tregistry.example.io/shop/checkout:v2.41.0 #",
            ),
            "\"image\":\tregistry.example.io/shop/checkout:v2.41.0 #",
            "\"image\":\tregistry.example.io/shop/checkout:2.40.3 #",
        ),
        (three.to_owned(), "checkout:v2.41.0\n", "checkout:2.40.3\n"),
        (
            three.trim_end().to_owned(),
            "checkout:v2.41.0",
            "checkout:2.40.3",
        ),
    ];
    for (text, old, new) in cases {
        let fix = run(&revert("app", CANARY, STABLE), &[file("r.yaml", &text)]).unwrap();
        assert_edit(&fix, old, new);
    }
}

#[test]
fn anchors_and_duplicates() {
    let anchored = MANIFEST.replace(
        "image: registry.example.io/shop/checkout:v2.41.0 #",
        "image: &img registry.example.io/shop/checkout:v2.41.0 #",
    );
    let r = run(&revert("app", CANARY, STABLE), &[file("r.yaml", &anchored)]);
    assert!(matches!(r, Err(FixError::Unsafe { .. })), "{r:?}");
    // A base and an overlay patch that both pin the canary image.
    let patch = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: checkout\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example.io/shop/checkout:v2.41.0\n";
    let files = [
        file("base/rollout.yaml", MANIFEST),
        file("overlays/prod/patch-image.yaml", patch),
    ];
    match run(&revert("app", CANARY, STABLE), &files) {
        Err(FixError::Ambiguous { candidates, .. }) => assert_eq!(candidates.len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn workload_ref_deployment() {
    let rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: checkout\nspec:\n  workloadRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: checkout-web\n";
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout-web\nspec:\n  replicas: 0  # scaled by the Rollout\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.io/shop/checkout:v2.41.0\n";
    let unrelated = deployment.replace("checkout-web", "checkout-admin");
    let files = [
        file("apps/rollout.yaml", rollout),
        file("apps/deployment.yaml", deployment),
        file("apps/admin.yaml", &unrelated),
    ];
    let fix = run(&revert("app", CANARY, STABLE), &files).unwrap();
    assert_eq!(fix.path, "apps/deployment.yaml");
    assert_edit(&fix, "checkout:v2.41.0", "checkout:2.40.3");
    // Without the Rollout naming it, a Deployment is not the target's.
    let r = run(&revert("app", CANARY, STABLE), &files[1..]);
    assert!(matches!(r, Err(FixError::NotFound { .. })), "{r:?}");
}
