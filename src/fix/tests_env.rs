//! Env restores and memory raises.

use super::tests::{KUBECTL, MANIFEST, assert_edit, file, run, target};
use super::*;
use crate::diagnosis::Action;
use serde_json::{Value as Json, json};

fn env(name: &str, stable: Json) -> Action {
    Action::RestoreEnv {
        container: "app".into(),
        name: name.into(),
        stable: Some(stable),
        canary: None,
    }
}

fn memory(current: &str, suggested: &str) -> Action {
    Action::RaiseMemoryLimit {
        container: "app".into(),
        current: Some(current.into()),
        suggested: Some(suggested.into()),
    }
}

const LAST_ENV: &str = "              value: \"http://payments-api.payments.svc:8080\"\n";

const NO_ENV: &str = "apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  template:
    spec:
      containers:
      - image: registry.example.io/shop/checkout:v2.41.0
        name: app
";

#[test]
fn env_restores() {
    let secret = json!({"secretKeyRef": {"key": "api-key", "name": "notifier-sendgrid"}});
    let secret_lines = "            - name: SENDGRID_API_KEY
              valueFrom:
                secretKeyRef:
                  name: notifier-sendgrid
                  key: api-key
";
    let image = "          image: registry.example.io/shop/checkout:v2.41.0 # bumped by CI\n";
    let kubectl_image = "      - image: registry.example.io/shop/checkout:v2.41.0\n";
    // (action, text, old, new)
    let cases = [
        (
            env("SENDGRID_API_KEY", secret.clone()),
            MANIFEST,
            LAST_ENV.to_owned(),
            format!("{LAST_ENV}{secret_lines}"),
        ),
        (
            env(
                "configMap.pricing-rules",
                json!({"configMapRef": {"name": "pricing-rules"}}),
            ),
            MANIFEST,
            image.to_owned(),
            format!(
                "{image}          envFrom:\n            - configMapRef:\n                name: pricing-rules\n"
            ),
        ),
        (
            env("FEATURE_FLAGS", json!("on")),
            NO_ENV,
            kubectl_image.to_owned(),
            format!(
                "{kubectl_image}        env:\n        - name: FEATURE_FLAGS\n          value: \"on\"\n"
            ),
        ),
        (
            env("REGION", json!("eu-west-1")),
            KUBECTL,
            "          value: info\n".to_owned(),
            "          value: info\n        - name: REGION\n          value: eu-west-1\n"
                .to_owned(),
        ),
    ];
    for (action, text, old, new) in cases {
        let fix = run(&action, &[file("rollout.yaml", text)]).unwrap();
        assert_edit(&fix, &old, &new);
        assert_eq!(fix.kind, SourceKind::Manifest);
    }
    let fix = run(
        &env("SENDGRID_API_KEY", secret.clone()),
        &[file("rollout.yaml", MANIFEST)],
    )
    .unwrap();
    assert_eq!(fix.field, "spec.template.spec.containers[app].env");
    assert_eq!(fix.summary, "Restore SENDGRID_API_KEY in app env");

    let crlf = MANIFEST.replace('\n', "\r\n");
    let fix = run(
        &env("SENDGRID_API_KEY", secret),
        &[file("rollout.yaml", &crlf)],
    )
    .unwrap();
    let (old, new) = (
        LAST_ENV.replace('\n', "\r\n"),
        format!("{LAST_ENV}{secret_lines}").replace('\n', "\r\n"),
    );
    assert_edit(&fix, &old, &new);
}

#[test]
fn env_refusals() {
    let files = [file("rollout.yaml", MANIFEST)];
    let redacted = env(
        "DATABASE_URL",
        json!("postgres://app:<redacted:password:0a1b2c3d>@db:5432/shop"),
    );
    assert!(matches!(
        run(&redacted, &files),
        Err(FixError::Unsafe { .. })
    ));
    let whole = env("API_TOKEN", json!("<redacted:token:0a1b2c3d>"));
    assert!(matches!(run(&whole, &files), Err(FixError::Unsafe { .. })));
    match run(&env("LOG_LEVEL", json!("debug")), &files) {
        Err(FixError::NotFound { what }) => {
            assert!(what.contains("already has LOG_LEVEL"), "{what}")
        }
        other => panic!("{other:?}"),
    }
    let helm_only = [file(
        "charts/checkout/values.yaml",
        "env:\n  LOG_LEVEL: info\n",
    )];
    assert!(matches!(
        run(&env("X", json!("1")), &helm_only),
        Err(FixError::NotFixable { .. })
    ));
    let volume = env(
        "pricing-rules",
        json!({"configMap": {"name": "pricing-rules"}}),
    );
    assert!(matches!(
        run(&volume, &files),
        Err(FixError::NotFixable { .. })
    ));
    let mount = env(
        "/etc/pricing",
        json!({"name": "rules", "mountPath": "/etc/pricing"}),
    );
    assert!(matches!(
        run(&mount, &files),
        Err(FixError::NotFixable { .. })
    ));
    let flow = MANIFEST.replace("          env:\n            - name: LOG_LEVEL\n              value: info\n            - name: PAYMENTS_URL\n", "          env: [{name: LOG_LEVEL, value: info}]\n          x:\n            - name: PAYMENTS_URL\n");
    assert!(matches!(
        run(&env("Y", json!("1")), &[file("r.yaml", &flow)]),
        Err(FixError::Unsafe { .. })
    ));
}

#[test]
fn memory_raises() {
    let values = "resources:\n  limits:\n    memory: 1024Mi\n  requests:\n    memory: 512Mi\n";
    // (action, text, limits, old, new)
    let small_cap = FixLimits {
        memory_cap: "1536Mi".into(),
        ..FixLimits::default()
    };
    let cases = [
        (
            memory("512Mi", "768Mi"),
            MANIFEST,
            FixLimits::default(),
            "memory: 512Mi   #",
            "memory: 768Mi   #",
        ),
        (
            memory("1Gi", "2Gi"),
            KUBECTL,
            FixLimits::default(),
            "memory: 1Gi",
            "memory: 2Gi",
        ),
        (
            memory("1Gi", "8Gi"),
            KUBECTL,
            FixLimits::default(),
            "memory: 1Gi",
            "memory: 4Gi",
        ),
        (
            memory("512Mi", "4Gi"),
            MANIFEST,
            FixLimits::default(),
            "memory: 512Mi",
            "memory: 2Gi",
        ),
        (
            memory("1Gi", "2Gi"),
            KUBECTL,
            small_cap,
            "memory: 1Gi",
            "memory: 1536Mi",
        ),
        (
            memory("1Gi", "1536Mi"),
            values,
            FixLimits::default(),
            "memory: 1024Mi",
            "memory: 1536Mi",
        ),
    ];
    for (action, text, limits, old, new) in cases {
        let path = if text == values {
            "values.yaml"
        } else {
            "rollout.yaml"
        };
        let fix = plan(&action, &target(), &[file(path, text)], &limits).unwrap();
        assert_edit(&fix, old, new);
    }
    let fix = run(&memory("512Mi", "768Mi"), &[file("rollout.yaml", MANIFEST)]).unwrap();
    assert_eq!(
        fix.field,
        "spec.template.spec.containers[app].resources.limits.memory"
    );
    assert_eq!(fix.summary, "Raise app memory limit from 512Mi to 768Mi");
    let fix = run(&memory("1Gi", "2Gi"), &[file("values.yaml", values)]).unwrap();
    assert_eq!(
        (fix.field.as_str(), fix.kind),
        ("resources.limits.memory", SourceKind::HelmValues)
    );
}

#[test]
fn memory_refusals() {
    let files = [file("rollout.yaml", KUBECTL)];
    for (current, suggested) in [
        ("4Gi", "6Gi"),
        ("1Gi", "512Mi"),
        ("1Gi", "500m"),
        ("1Gi", "lots"),
    ] {
        let r = run(&memory(current, suggested), &files);
        assert!(
            matches!(r, Err(FixError::Unsafe { .. })),
            "{current} → {suggested}: {r:?}"
        );
    }
    match run(&memory("256Mi", "512Mi"), &[file("rollout.yaml", MANIFEST)]) {
        Err(FixError::NotFound { what }) => assert!(what.contains("= 512Mi"), "{what}"),
        other => panic!("{other:?}"),
    }
    let both = [
        file("rollout.yaml", KUBECTL),
        file("values.yaml", "resources:\n  limits:\n    memory: 1Gi\n"),
    ];
    assert!(matches!(
        run(&memory("1Gi", "2Gi"), &both),
        Err(FixError::Ambiguous { .. })
    ));
}

#[test]
fn env_follows_the_file_indentation() {
    let text = "kind: Rollout\nmetadata:\n    name: checkout\nspec:\n    template:\n        spec:\n            containers:\n                - name: app\n                  image: x:1\n                  resources:\n                      limits:\n                          memory: 1Gi\n";
    let secret = json!({"secretKeyRef": {"name": "s", "key": "k"}});
    let fix = run(&env("TOKEN_FILE", secret), &[file("r.yaml", text)]).unwrap();
    let added = "                  image: x:1\n                  env:\n                      - name: TOKEN_FILE\n                        valueFrom:\n                            secretKeyRef:\n                                name: s\n                                key: k\n";
    assert_edit(&fix, "                  image: x:1\n", added);
}
