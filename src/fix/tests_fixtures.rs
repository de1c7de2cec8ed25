//! The scenario fixtures' Rollouts (`kubectl get -o yaml` dumps among ReplicaSets, Pods and
//! Events) as repo files, with the Actions `rollout-doctor diagnose` derives for them.

use super::*;
use crate::diagnosis::Action;
use serde_json::json;

fn fixture(dir: &str, rollout: &str, namespace: &str, action: &Action) -> Result<Fix, FixError> {
    let text = match dir {
        "canary-image-tag-typo" => {
            include_str!("../../fixtures/scenarios/canary-image-tag-typo/objects.yaml")
        }
        "canary-python-missing-env-var" => {
            include_str!("../../fixtures/scenarios/canary-python-missing-env-var/objects.yaml")
        }
        "canary-configmap-not-found" => {
            include_str!("../../fixtures/scenarios/canary-configmap-not-found/objects.yaml")
        }
        "canary-readiness-path-changed" => {
            include_str!("../../fixtures/scenarios/canary-readiness-path-changed/objects.yaml")
        }
        "canary-startup-probe-too-short" => {
            include_str!("../../fixtures/scenarios/canary-startup-probe-too-short/objects.yaml")
        }
        _ => include_str!("../../fixtures/scenarios/canary-jvm-memory-limit-lowered/objects.yaml"),
    };
    let target = FixTarget {
        rollout: rollout.into(),
        namespace: Some(namespace.into()),
        helm_values: Vec::new(),
    };
    let files = [RepoFile {
        path: format!("apps/{rollout}.yaml"),
        text: text.into(),
    }];
    plan(action, &target, &files, &FixLimits::default())
}

fn changed_lines(fix: &Fix) -> Vec<&str> {
    fix.diff
        .lines()
        .skip(2)
        .filter(|l| l.starts_with(['+', '-']))
        .collect()
}

fn probe(path: &str, failure: i64, period: i64) -> serde_json::Value {
    json!({"failureThreshold": failure, "httpGet": {"path": path, "port": "http", "scheme": "HTTP"},
           "periodSeconds": period, "successThreshold": 1, "timeoutSeconds": 1})
}

#[test]
fn scenario_fixtures() {
    let image = Action::RevertImage {
        container: "app".into(),
        canary_image: Some("registry.example.io/shop/checkout:v2.41.0".into()),
        stable_image: Some("registry.example.io/shop/checkout:2.40.3".into()),
    };
    let fix = fixture("canary-image-tag-typo", "checkout", "shop", &image).unwrap();
    assert_eq!(
        changed_lines(&fix),
        [
            "-        image: registry.example.io/shop/checkout:v2.41.0",
            "+        image: registry.example.io/shop/checkout:2.40.3"
        ]
    );

    let env = Action::RestoreEnv {
        container: "app".into(),
        name: "SENDGRID_API_KEY".into(),
        stable: Some(json!({"secretKeyRef": {"key": "api-key", "name": "notifier-sendgrid"}})),
        canary: None,
    };
    let fix = fixture(
        "canary-python-missing-env-var",
        "notifier",
        "notifications",
        &env,
    )
    .unwrap();
    assert_eq!(
        changed_lines(&fix),
        [
            "+        - name: SENDGRID_API_KEY",
            "+          valueFrom:",
            "+            secretKeyRef:",
            "+              name: notifier-sendgrid",
            "+              key: api-key"
        ]
    );

    // The canary re-pointed the reference rather than dropping it: with the canary's value
    // the Rollout is recognised as still holding it and the reference is put back; without
    // it, the differing entry is reported, never guessed at.
    let stable = json!({"configMapKeyRef": {"key": "rules.path", "name": "pricing-rules"}});
    let canary = json!({"configMapKeyRef": {"key": "rules.path", "name": "pricing-rules-v2"}});
    let changed = |canary: Option<serde_json::Value>| Action::RestoreEnv {
        container: "app".into(),
        name: "PRICING_RULES_PATH".into(),
        stable: Some(stable.clone()),
        canary,
    };
    let fix = fixture(
        "canary-configmap-not-found",
        "pricing-engine",
        "catalog",
        &changed(Some(canary)),
    )
    .unwrap();
    assert_eq!(
        changed_lines(&fix),
        [
            "-              name: pricing-rules-v2",
            "+              name: pricing-rules"
        ]
    );
    match fixture(
        "canary-configmap-not-found",
        "pricing-engine",
        "catalog",
        &changed(None),
    ) {
        Err(FixError::NotFound { what }) => {
            assert!(what.contains("already has PRICING_RULES_PATH"), "{what}")
        }
        other => panic!("{other:?}"),
    }

    let readiness = Action::FixProbe {
        container: "app".into(),
        probe: "readinessProbe".into(),
        stable: Some(probe("/healthz", 3, 5)),
        canary: Some(probe("/health/ready", 3, 5)),
    };
    let fix = fixture(
        "canary-readiness-path-changed",
        "accounts-api",
        "accounts",
        &readiness,
    )
    .unwrap();
    assert_eq!(
        changed_lines(&fix),
        [
            "-            path: /health/ready",
            "+            path: /healthz"
        ]
    );
    assert_eq!(
        fix.field,
        "spec.template.spec.containers[app].readinessProbe.httpGet.path"
    );

    let startup = Action::FixProbe {
        container: "app".into(),
        probe: "startupProbe".into(),
        stable: Some(probe("/actuator/health/liveness", 30, 10)),
        canary: Some(probe("/actuator/health/liveness", 3, 10)),
    };
    let fix = fixture(
        "canary-startup-probe-too-short",
        "invoice-service",
        "billing",
        &startup,
    )
    .unwrap();
    assert_eq!(
        changed_lines(&fix),
        [
            "-          failureThreshold: 3",
            "+          failureThreshold: 30"
        ]
    );

    let memory = Action::RaiseMemoryLimit {
        container: "indexer".into(),
        current: Some("1Gi".into()),
        suggested: Some("2Gi".into()),
    };
    let fix = fixture(
        "canary-jvm-memory-limit-lowered",
        "search-indexer",
        "search",
        &memory,
    )
    .unwrap();
    assert_eq!(
        changed_lines(&fix),
        ["-            memory: 1Gi", "+            memory: 2Gi"]
    );
    assert!(
        fix.after
            .contains("          requests:\n            cpu: \"1\"\n            memory: 1Gi\n")
    );
}
