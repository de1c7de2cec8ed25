//! Env entries the canary changed rather than dropped: replaced with the stable definition
//! only where the repository still holds the canary's.

use super::tests::{MANIFEST, assert_edit, file};
use super::*;
use crate::diagnosis::Action;
use serde_json::{Value as Json, json};

const PRICING: &str = include_str!("../../fixtures/gitops/plain/apps/pricing-engine/rollout.yaml");
const PATH: &str = "apps/pricing-engine/rollout.yaml";

fn rules(name: &str) -> Json {
    json!({"configMapKeyRef": {"key": "rules.path", "name": name}})
}

fn changed(name: &str, stable: Json, canary: Json) -> Action {
    Action::RestoreEnv {
        container: "app".into(),
        name: name.into(),
        stable: Some(stable),
        canary: Some(canary),
    }
}

fn pricing(action: &Action, text: &str) -> Result<Fix, FixError> {
    let target = FixTarget {
        rollout: "pricing-engine".into(),
        namespace: Some("catalog".into()),
        helm_values: Vec::new(),
    };
    plan(action, &target, &[file(PATH, text)], &FixLimits::default())
}

fn repointed() -> Action {
    changed(
        "PRICING_RULES_PATH",
        rules("pricing-rules"),
        rules("pricing-rules-v2"),
    )
}

#[test]
fn repointed_reference_is_put_back() {
    let fix = pricing(&repointed(), PRICING).unwrap();
    // One scalar, its comment kept.
    assert_edit(
        &fix,
        "name: pricing-rules-v2   # per-region",
        "name: pricing-rules   # per-region",
    );
    assert_eq!(fix.path, PATH);
    assert_eq!(fix.field, "spec.template.spec.containers[app].env");
    assert_eq!(fix.summary, "Restore PRICING_RULES_PATH in app env");
}

#[test]
fn only_the_canary_value_is_replaced() {
    // Someone already put it back, or moved on to a third ConfigMap: reported, not touched.
    for (text, why) in [
        (
            PRICING.replace("pricing-rules-v2   #", "pricing-rules   #"),
            "already fixed?",
        ),
        (
            PRICING.replace("pricing-rules-v2   #", "pricing-rules-v3   #"),
            "differently from both the canary and the stable template",
        ),
    ] {
        match pricing(&repointed(), &text) {
            Err(FixError::NotFound { what }) => assert!(what.contains(why), "{what}"),
            other => panic!("{other:?}"),
        }
    }
    // The canary has the var but this manifest does not: it comes from elsewhere.
    let without = PRICING.replace(
        "            - name: PRICING_RULES_PATH\n              valueFrom:\n                configMapKeyRef:\n                  name: pricing-rules-v2   # per-region rules (PRICE-812)\n                  key: rules.path\n",
        "",
    );
    assert_ne!(without, PRICING);
    match pricing(&repointed(), &without) {
        Err(FixError::NotFound { what }) => assert!(what.contains("set elsewhere"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn redacted_values_confirm_and_write_nothing() {
    let secretish = MANIFEST.replace(
        "value: \"http://payments-api.payments.svc:8080\"",
        "value: \"http://payments-api.payments.svc:8443\"",
    );
    let masked = changed(
        "PAYMENTS_URL",
        json!("http://payments-api.payments.svc:8080"),
        json!("<redacted:url:0a1b2c3d>"),
    );
    match super::tests::run(&masked, &[file("r.yaml", &secretish)]) {
        Err(FixError::NotFound { what }) => assert!(what.contains("redacted?"), "{what}"),
        other => panic!("{other:?}"),
    }
    let stable_masked = changed(
        "PRICING_RULES_PATH",
        json!("<redacted:token:0a1b2c3d>"),
        rules("pricing-rules-v2"),
    );
    assert!(matches!(
        pricing(&stable_masked, PRICING),
        Err(FixError::Unsafe { .. })
    ));
}

#[test]
fn literal_values_and_changed_shapes() {
    // A literal that changed keeps its quoting.
    let url = changed(
        "PAYMENTS_URL",
        json!("http://payments-api.payments.svc:8080"),
        json!("http://payments-api.payments.svc:8443"),
    );
    let text = MANIFEST.replace("svc:8080\"", "svc:8443\"");
    let fix = super::tests::run(&url, &[file("r.yaml", &text)]).unwrap();
    assert_edit(&fix, "svc:8443\"", "svc:8080\"");

    // A reference the canary turned into a literal: the whole item is rewritten.
    let literal = changed(
        "PRICING_RULES_PATH",
        rules("pricing-rules"),
        json!("/etc/pricing/rules-v2.yaml"),
    );
    let text = PRICING.replace(
        "              valueFrom:\n                configMapKeyRef:\n                  name: pricing-rules-v2   # per-region rules (PRICE-812)\n                  key: rules.path\n",
        "              value: /etc/pricing/rules-v2.yaml\n",
    );
    let fix = pricing(&literal, &text).unwrap();
    assert_edit(
        &fix,
        "            - name: PRICING_RULES_PATH\n              value: /etc/pricing/rules-v2.yaml\n",
        "            - name: PRICING_RULES_PATH\n              valueFrom:\n                configMapKeyRef:\n                  name: pricing-rules\n                  key: rules.path\n",
    );

    // An envFrom reference the canary made optional.
    let text = PRICING.replace(
        "          ports:\n",
        "          envFrom:\n            - configMapRef:\n                name: pricing-flags\n                optional: true\n            # shared by every catalog service\n            - configMapRef:\n                name: catalog-common\n          ports:\n",
    );
    let optional = changed(
        "configMap.pricing-flags",
        json!({"configMapRef": {"name": "pricing-flags"}}),
        json!({"configMapRef": {"name": "pricing-flags", "optional": true}}),
    );
    let fix = pricing(&optional, &text).unwrap();
    assert_edit(
        &fix,
        "                name: pricing-flags\n                optional: true\n",
        "                name: pricing-flags\n",
    );
}

#[test]
fn canary_field_is_additive_in_json() {
    let old = json!({"action": "restore_env", "container": "app", "name": "X", "stable": "1"});
    let action: Action = serde_json::from_value(old.clone()).unwrap();
    assert!(matches!(action, Action::RestoreEnv { canary: None, .. }));
    assert_eq!(serde_json::to_value(&action).unwrap(), old);
    let new = serde_json::to_value(repointed()).unwrap();
    assert_eq!(new["canary"], rules("pricing-rules-v2"));
}
