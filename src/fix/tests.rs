//! Shared fixtures, and the plan-level rules (candidates, ambiguity, skipping, refusals).

use super::*;
use crate::diagnosis::Action;

pub(super) const CANARY: &str = "registry.example.io/shop/checkout:v2.41.0";
pub(super) const STABLE: &str = "registry.example.io/shop/checkout:2.40.3";

/// A Service and two Rollouts (one with a similar name), comments, flow collections and an
/// init container: what a hand-kept manifest file looks like.
pub(super) const MANIFEST: &str = r#"# checkout: the storefront's payment step
apiVersion: v1
kind: Service
metadata:
  name: checkout
spec:
  ports:
    - port: 80
      targetPort: http
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: checkout
  namespace: shop
  labels: {app: checkout, tier: "web"}
spec:
  replicas: 4
  strategy:
    canary:
      steps:
        - setWeight: 25
        - pause: {duration: 10m}
  template:
    metadata:
      labels:
        app: checkout
    spec:
      initContainers:
        - name: migrate
          image: registry.example.io/shop/checkout-migrate:2.40.3
          args: [--wait, "--timeout=60s"]
      containers:
        - name: app
          image: registry.example.io/shop/checkout:v2.41.0 # bumped by CI
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
            - name: PAYMENTS_URL
              value: "http://payments-api.payments.svc:8080"
          readinessProbe:
            httpGet:
              path: /health/ready
              port: http
            periodSeconds: 5
          resources:
            requests: {cpu: 200m, memory: 256Mi}
            limits:
              memory: 512Mi   # JVM heap is 75% of this
        - name: envoy
          image: envoyproxy/envoy:v1.29.1
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: checkout-worker
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.io/shop/checkout:v2.41.0
"#;

/// The layout `kubectl get -o yaml` writes: indentless lists, keys sorted, `name` late.
pub(super) const KUBECTL: &str = "apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  template:
    spec:
      containers:
      - env:
        - name: LOG_LEVEL
          value: info
        image: 'registry.example.io/shop/checkout:v2.41.0'
        name: app
        resources:
          limits:
            memory: 1Gi
";

pub(super) const KUSTOMIZATION: &str = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources:
  - ../../base
images:
  # the storefront
  - name: registry.example.io/shop/checkout
    newTag: \"v2.41.0\"   # promoted by CI
  - name: checkout-migrate
    newName: registry.example.io/shop/checkout-migrate
    newTag: 2.40.3
  - name: envoyproxy/envoy
    digest: sha256:4f1c0e
";

pub(super) fn file(path: &str, text: &str) -> RepoFile {
    RepoFile {
        path: path.into(),
        text: text.into(),
    }
}

pub(super) fn target() -> FixTarget {
    FixTarget {
        rollout: "checkout".into(),
        namespace: Some("shop".into()),
        helm_values: Vec::new(),
    }
}

pub(super) fn run(action: &Action, files: &[RepoFile]) -> Result<Fix, FixError> {
    plan(action, &target(), files, &FixLimits::default())
}

pub(super) fn revert(container: &str, canary: &str, stable: &str) -> Action {
    Action::RevertImage {
        container: container.into(),
        canary_image: Some(canary.into()),
        stable_image: Some(stable.into()),
    }
}

/// The fix changed exactly `old` into `new` (each once) and nothing else, byte for byte.
pub(super) fn assert_edit(fix: &Fix, old: &str, new: &str) {
    assert_eq!(
        fix.before.matches(old).count(),
        1,
        "{old:?} must occur once"
    );
    assert_eq!(
        fix.after,
        fix.before.replacen(old, new, 1),
        "diff:\n{}",
        fix.diff
    );
}

#[test]
fn ambiguous_across_files() {
    let files = [
        file("base/rollout.yaml", MANIFEST),
        file("overlays/prod/kustomization.yaml", KUSTOMIZATION),
        file(
            "README.md",
            "image: registry.example.io/shop/checkout:v2.41.0",
        ),
    ];
    match run(&revert("app", CANARY, STABLE), &files) {
        Err(FixError::Ambiguous { candidates, what }) => {
            assert_eq!(
                candidates,
                ["base/rollout.yaml", "overlays/prod/kustomization.yaml"]
            );
            assert!(what.contains("2 places"), "{what}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn not_found_and_skipped_files() {
    let template = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n{{- if .Values.enabled }}\nspec:\n  x: {{ .Values.x }}\n{{- end }}\n";
    let moved_on = MANIFEST.replace("checkout:v2.41.0 #", "checkout:v2.42.0 #");
    let files = [
        file("chart/templates/rollout.yaml", template),
        file("rollout.yaml", &moved_on),
    ];
    match run(&revert("app", CANARY, STABLE), &files) {
        Err(FixError::NotFound { what }) => {
            assert!(what.contains("1 file(s) skipped"), "{what}");
            assert!(what.contains("checkout:v2.42.0"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    // A template that does not parse does not stop a fix elsewhere.
    let files = [
        file("chart/templates/rollout.yaml", template),
        file("rollout.yaml", MANIFEST),
    ];
    assert!(run(&revert("app", CANARY, STABLE), &files).is_ok());
}

#[test]
fn other_rollouts_and_namespaces_are_left_alone() {
    let other_ns = FixTarget {
        rollout: "checkout".into(),
        namespace: Some("staging".into()),
        helm_values: Vec::new(),
    };
    let r = plan(
        &revert("app", CANARY, STABLE),
        &other_ns,
        &[file("r.yaml", MANIFEST)],
        &FixLimits::default(),
    );
    assert!(matches!(r, Err(FixError::NotFound { .. })), "{r:?}");
    let no_ns = FixTarget {
        rollout: "checkout-worker".into(),
        namespace: None,
        helm_values: Vec::new(),
    };
    let fix = plan(
        &revert("app", CANARY, STABLE),
        &no_ns,
        &[file("r.yaml", MANIFEST)],
        &FixLimits::default(),
    )
    .unwrap();
    assert_eq!(
        fix.after,
        format!("{}2.40.3\n", MANIFEST.strip_suffix("v2.41.0\n").unwrap())
    );
}

#[test]
fn refusals() {
    let flow = "kind: Rollout\nmetadata: {name: checkout}\nspec:\n  template:\n    spec:\n      containers: [{name: app, image: \"registry.example.io/shop/checkout:v2.41.0\"}]\n";
    let long = FixLimits {
        max_diff_lines: 1,
        ..FixLimits::default()
    };
    let files = [file("r.yaml", MANIFEST)];
    let cases: Vec<(Result<Fix, FixError>, &str)> = vec![
        (
            run(
                &revert(
                    "app",
                    CANARY,
                    "registry.example.io/shop/checkout:<redacted:token:0a1b2c3d>",
                ),
                &files,
            ),
            "Unsafe",
        ),
        (
            run(
                &revert("app", CANARY, "registry.example.io/{{ .Values.x }}"),
                &files,
            ),
            "Unsafe",
        ),
        (run(&revert("app", CANARY, "a\nb"), &files), "Unsafe"),
        (run(&revert("app", CANARY, CANARY), &files), "Unsafe"),
        (
            run(&revert("app", CANARY, STABLE), &[file("r.yaml", flow)]),
            "Unsafe",
        ),
        (
            plan(&revert("app", CANARY, STABLE), &target(), &files, &long),
            "TooLarge",
        ),
        (
            run(
                &Action::RevertImage {
                    container: "app".into(),
                    canary_image: Some(CANARY.into()),
                    stable_image: None,
                },
                &files,
            ),
            "NotFixable",
        ),
        (
            run(
                &Action::FixScheduling {
                    reason: "quota".into(),
                },
                &files,
            ),
            "NotFixable",
        ),
        (
            run(
                &Action::Investigate {
                    hint: "logs".into(),
                },
                &files,
            ),
            "NotFixable",
        ),
        (run(&Action::None, &files), "NotFixable"),
    ];
    for (i, (result, want)) in cases.into_iter().enumerate() {
        let got = match &result {
            Err(FixError::Unsafe { .. }) => "Unsafe",
            Err(FixError::TooLarge { lines: 2, max: 1 }) => "TooLarge",
            Err(FixError::NotFixable { .. }) => "NotFixable",
            _ => "other",
        };
        assert_eq!(got, want, "case {i}: {result:?}");
    }
}

#[test]
fn candidates() {
    let cases = [
        ("apps/checkout/rollout.yaml", true),
        ("overlays/prod/kustomization.yml", true),
        ("overlays/prod/Kustomization", true),
        ("charts/checkout/values-prod.yaml", true),
        ("./base/ROLLOUT.YML", true),
        ("README.md", false),
        ("rollout.json", false),
        (".github/workflows/ci.yml", false),
        ("apps/.hidden/rollout.yaml", false),
        (".yaml", false),
    ];
    for (path, want) in cases {
        assert_eq!(is_candidate(path), want, "{path}");
    }
}

#[test]
fn fix_serializes() {
    let fix = run(&revert("app", CANARY, STABLE), &[file("r.yaml", MANIFEST)]).unwrap();
    let json = serde_json::to_value(&fix).unwrap();
    assert_eq!(json["kind"], "manifest");
    assert_eq!(json["field"], "spec.template.spec.containers[app].image");
}
