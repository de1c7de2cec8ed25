use super::*;
use serde_json::json;

fn template(spec: Value) -> PodTemplateSpec {
    serde_json::from_value(json!({ "metadata": {}, "spec": spec }))
        .unwrap_or_else(|e| panic!("bad fixture: {e}"))
}

/// A one-container template with `patch` merged into the container.
fn app(patch: Value) -> PodTemplateSpec {
    let mut container = json!({ "name": "app", "image": "shop:1" });
    if let (Value::Object(base), Value::Object(extra)) = (&mut container, patch) {
        base.extend(extra);
    }
    template(json!({ "containers": [container] }))
}

fn diff(stable: &PodTemplateSpec, canary: &PodTemplateSpec) -> SpecDiff {
    diff_templates(Some(stable), Some(canary), &Redactor::default())
}

fn ids(d: &SpecDiff) -> Vec<(String, ChangeKind)> {
    d.changes.iter().map(|c| (c.id.clone(), c.kind)).collect()
}

fn only(d: &SpecDiff) -> &SpecChange {
    assert_eq!(
        d.changes.len(),
        1,
        "expected exactly one change, got {:#?}",
        d.changes
    );
    &d.changes[0]
}

use ChangeKind::{Added, Changed, Removed};

/// (case, stable patch, canary patch, expected (id, kind) in order)
type Case = (&'static str, Value, Value, Vec<(&'static str, ChangeKind)>);

#[test]
fn container_field_table() {
    let cases: Vec<Case> = vec![
        ("identical", json!({}), json!({}), vec![]),
        (
            "image",
            json!({}),
            json!({ "image": "shop:2" }),
            vec![("spec/app/image", Changed)],
        ),
        (
            "image removed",
            json!({}),
            json!({ "image": null }),
            vec![("spec/app/image", Removed)],
        ),
        (
            "command added, args changed",
            json!({ "args": ["--port=80"] }),
            json!({ "command": ["/bin/shop"], "args": ["--port=81"] }),
            vec![("spec/app/command", Added), ("spec/app/args", Changed)],
        ),
        (
            "args order matters",
            json!({ "args": ["a", "b"] }),
            json!({ "args": ["b", "a"] }),
            vec![("spec/app/args", Changed)],
        ),
        (
            "env added, removed, changed; canary order then stable-only",
            json!({ "env": [{ "name": "KEEP", "value": "1" }, { "name": "GONE", "value": "x" }, { "name": "MODE", "value": "a" }] }),
            json!({ "env": [{ "name": "NEW", "value": "y" }, { "name": "MODE", "value": "b" }, { "name": "KEEP", "value": "1" }] }),
            vec![
                ("spec/app/env.NEW", Added),
                ("spec/app/env.MODE", Changed),
                ("spec/app/env.GONE", Removed),
            ],
        ),
        (
            "env value to valueFrom",
            json!({ "env": [{ "name": "DB", "value": "x" }] }),
            json!({ "env": [{ "name": "DB", "valueFrom": { "secretKeyRef": { "name": "db", "key": "url" } } }] }),
            vec![("spec/app/env.DB", Changed)],
        ),
        (
            "secretKeyRef key changed",
            json!({ "env": [{ "name": "DB", "valueFrom": { "secretKeyRef": { "name": "db", "key": "url" } } }] }),
            json!({ "env": [{ "name": "DB", "valueFrom": { "secretKeyRef": { "name": "db", "key": "uri" } } }] }),
            vec![("spec/app/env.DB", Changed)],
        ),
        (
            "missing env value equals empty value",
            json!({ "env": [{ "name": "E" }] }),
            json!({ "env": [{ "name": "E", "value": "" }] }),
            vec![],
        ),
        (
            "duplicate env name: last wins",
            json!({ "env": [{ "name": "E", "value": "old" }, { "name": "E", "value": "new" }] }),
            json!({ "env": [{ "name": "E", "value": "new" }] }),
            vec![],
        ),
        (
            "envFrom by name, defaults ignored",
            json!({ "envFrom": [{ "configMapRef": { "name": "cfg" } }, { "secretRef": { "name": "old" } }] }),
            json!({ "envFrom": [{ "secretRef": { "name": "new" } }, { "configMapRef": { "name": "cfg", "optional": false } }] }),
            vec![
                ("spec/app/envFrom.secret.new", Added),
                ("spec/app/envFrom.secret.old", Removed),
            ],
        ),
        (
            "envFrom prefix changed",
            json!({ "envFrom": [{ "configMapRef": { "name": "cfg" } }] }),
            json!({ "envFrom": [{ "configMapRef": { "name": "cfg" }, "prefix": "APP_" }] }),
            vec![("spec/app/envFrom.configMap.cfg", Changed)],
        ),
        (
            "equivalent quantities",
            json!({ "resources": { "limits": { "memory": "1Gi", "cpu": "500m" }, "requests": { "cpu": "0.1" } } }),
            json!({ "resources": { "limits": { "memory": "1024Mi", "cpu": "0.5" }, "requests": { "cpu": "100m" } } }),
            vec![],
        ),
        (
            "memory limit lowered, cpu request added",
            json!({ "resources": { "limits": { "memory": "1Gi" } } }),
            json!({ "resources": { "limits": { "memory": "256Mi" }, "requests": { "cpu": "250m" } } }),
            vec![
                ("spec/app/resources.requests.cpu", Added),
                ("spec/app/resources.limits.memory", Changed),
            ],
        ),
        (
            "unparsable quantity differs from valid one",
            json!({ "resources": { "limits": { "memory": "1Gi" } } }),
            json!({ "resources": { "limits": { "memory": "1 gig" } } }),
            vec![("spec/app/resources.limits.memory", Changed)],
        ),
        (
            "probe path changed",
            json!({ "readinessProbe": { "httpGet": { "path": "/healthz", "port": 8080 } } }),
            json!({ "readinessProbe": { "httpGet": { "path": "/ready", "port": 8080 } } }),
            vec![("spec/app/readinessProbe", Changed)],
        ),
        (
            "probe defaults and number forms are not changes",
            json!({ "livenessProbe": { "httpGet": { "path": "/h", "port": 8080 } } }),
            json!({ "livenessProbe": { "httpGet": { "path": "/h", "port": "8080", "scheme": "HTTP" },
                    "timeoutSeconds": 1, "periodSeconds": 10.0, "failureThreshold": 3, "successThreshold": 1 } }),
            vec![],
        ),
        (
            "probe threshold changed, startup probe added",
            json!({ "livenessProbe": { "tcpSocket": { "port": 80 }, "failureThreshold": 3 } }),
            json!({ "livenessProbe": { "tcpSocket": { "port": 80 }, "failureThreshold": 1 }, "startupProbe": { "exec": { "command": ["true"] } } }),
            vec![
                ("spec/app/livenessProbe", Changed),
                ("spec/app/startupProbe", Added),
            ],
        ),
        (
            "volume mount moved",
            json!({ "volumeMounts": [{ "name": "cfg", "mountPath": "/etc/shop" }] }),
            json!({ "volumeMounts": [{ "name": "cfg", "mountPath": "/etc/app", "readOnly": false }] }),
            vec![
                ("spec/app/volumeMounts./etc/app", Added),
                ("spec/app/volumeMounts./etc/shop", Removed),
            ],
        ),
        (
            "volume mount made read-only",
            json!({ "volumeMounts": [{ "name": "cfg", "mountPath": "/etc/shop" }] }),
            json!({ "volumeMounts": [{ "name": "cfg", "mountPath": "/etc/shop", "readOnly": true }] }),
            vec![("spec/app/volumeMounts./etc/shop", Changed)],
        ),
        (
            "ports reordered with default protocol",
            json!({ "ports": [{ "containerPort": 80 }, { "containerPort": 9090, "name": "metrics" }] }),
            json!({ "ports": [{ "containerPort": 9090, "name": "metrics", "protocol": "TCP" }, { "containerPort": 80 }] }),
            vec![],
        ),
        (
            "port changed",
            json!({ "ports": [{ "containerPort": 80 }] }),
            json!({ "ports": [{ "containerPort": 8080 }] }),
            vec![("spec/app/ports", Changed)],
        ),
        (
            "field order is fixed",
            json!({ "image": "a", "env": [{ "name": "X", "value": "1" }], "ports": [{ "containerPort": 1 }] }),
            json!({ "image": "b", "env": [{ "name": "X", "value": "2" }], "ports": [{ "containerPort": 2 }],
                    "resources": { "limits": { "cpu": "1" } } }),
            vec![
                ("spec/app/image", Changed),
                ("spec/app/env.X", Changed),
                ("spec/app/resources.limits.cpu", Added),
                ("spec/app/ports", Changed),
            ],
        ),
    ];
    for (case, s, c, want) in cases {
        let got = ids(&diff(&app(s), &app(c)));
        let want: Vec<(String, ChangeKind)> =
            want.into_iter().map(|(id, k)| (id.to_owned(), k)).collect();
        assert_eq!(got, want, "case: {case}");
    }
}

#[test]
fn pod_level_table() {
    let base = || json!({ "containers": [{ "name": "app", "image": "shop:1" }] });
    let with = |extra: Value| {
        let mut spec = base();
        if let (Value::Object(b), Value::Object(e)) = (&mut spec, extra) {
            b.extend(e);
        }
        template(spec)
    };
    let cases: Vec<Case> = vec![
        (
            "volume source changed, defaultMode default ignored",
            json!({ "volumes": [{ "name": "cfg", "configMap": { "name": "shop-v1" } }, { "name": "tmp", "emptyDir": {} }] }),
            json!({ "volumes": [{ "name": "tmp", "emptyDir": {} }, { "name": "cfg", "configMap": { "name": "shop-v2", "defaultMode": 420 } }] }),
            vec![("spec/pod/volumes.cfg", Changed)],
        ),
        (
            "volume removed",
            json!({ "volumes": [{ "name": "tmp", "emptyDir": {} }] }),
            json!({}),
            vec![("spec/pod/volumes.tmp", Removed)],
        ),
        (
            "service account changed",
            json!({ "serviceAccountName": "shop" }),
            json!({ "serviceAccountName": "shop-v2" }),
            vec![("spec/pod/serviceAccountName", Changed)],
        ),
        (
            "explicit default service account",
            json!({}),
            json!({ "serviceAccountName": "default" }),
            vec![],
        ),
        (
            "node selector, tolerations, affinity, pull secrets",
            json!({ "nodeSelector": { "pool": "a" }, "tolerations": [{ "key": "k", "operator": "Exists" }],
                    "imagePullSecrets": [{ "name": "reg" }] }),
            json!({ "nodeSelector": { "pool": "b" }, "tolerations": [{ "key": "k", "operator": "Exists" }, { "key": "gpu", "value": "1" }],
                    "affinity": { "nodeAffinity": {} }, "imagePullSecrets": [] }),
            vec![
                ("spec/pod/nodeSelector", Changed),
                ("spec/pod/tolerations", Changed),
                ("spec/pod/affinity", Added),
                ("spec/pod/imagePullSecrets", Removed),
            ],
        ),
        (
            "empty affinity and default toleration operator are no change",
            json!({ "tolerations": [{ "key": "k", "value": "v" }] }),
            json!({ "tolerations": [{ "key": "k", "value": "v", "operator": "Equal" }], "affinity": {} }),
            vec![],
        ),
    ];
    for (case, s, c, want) in cases {
        let got = ids(&diff(&with(s), &with(c)));
        let want: Vec<(String, ChangeKind)> =
            want.into_iter().map(|(id, k)| (id.to_owned(), k)).collect();
        assert_eq!(got, want, "case: {case}");
    }
}

#[test]
fn image_change_carries_both_values() {
    let d = diff(&app(json!({})), &app(json!({ "image": "shop:2" })));
    let change = only(&d);
    assert!(d.compared);
    assert_eq!(change.container.as_deref(), Some("app"));
    assert_eq!(change.field, "image");
    assert_eq!(change.stable, Some(json!("shop:1")));
    assert_eq!(change.canary, Some(json!("shop:2")));
}

#[test]
fn secret_key_ref_stays_a_reference() {
    let d = diff(
        &app(
            json!({ "env": [{ "name": "DB_PASSWORD", "valueFrom": { "secretKeyRef": { "name": "db", "key": "pw" } } }] }),
        ),
        &app(
            json!({ "env": [{ "name": "DB_PASSWORD", "valueFrom": { "secretKeyRef": { "name": "db-v2", "key": "pw", "optional": true } } }] }),
        ),
    );
    let change = only(&d);
    assert_eq!(change.field, "env.DB_PASSWORD");
    assert_eq!(
        change.stable,
        Some(json!({ "secretKeyRef": { "name": "db", "key": "pw" } }))
    );
    assert_eq!(
        change.canary,
        Some(json!({ "secretKeyRef": { "name": "db-v2", "key": "pw", "optional": true } }))
    );
}

#[test]
fn config_map_key_ref_and_field_ref_rendered() {
    let d = diff(
        &app(json!({})),
        &app(json!({ "env": [
            { "name": "MODE", "valueFrom": { "configMapKeyRef": { "name": "cfg", "key": "mode" } } },
            { "name": "NODE", "valueFrom": { "fieldRef": { "fieldPath": "spec.nodeName" } } },
        ] })),
    );
    let canary: Vec<_> = d.changes.iter().map(|c| c.canary.clone()).collect();
    assert_eq!(
        canary,
        vec![
            Some(json!({ "configMapKeyRef": { "name": "cfg", "key": "mode" } })),
            Some(json!({ "fieldRef": { "fieldPath": "spec.nodeName" } })),
        ]
    );
}

#[test]
fn literal_env_values_go_through_the_redactor() {
    let redactor = Redactor::default();
    let (name, old, new) = ("DB_PASSWORD", "hunter2-old-S3cr3t", "hunter2-new-S3cr3t");
    let d = diff_templates(
        Some(&app(json!({ "env": [{ "name": name, "value": old }] }))),
        Some(&app(json!({ "env": [{ "name": name, "value": new }] }))),
        &redactor,
    );
    let change = only(&d);
    assert_eq!(change.kind, Changed);
    assert_eq!(
        change.stable,
        Some(Value::from(redactor.env_value(name, old)))
    );
    assert_eq!(
        change.canary,
        Some(Value::from(redactor.env_value(name, new)))
    );
}

#[test]
fn command_and_args_go_through_the_line_redactor() {
    let redactor = Redactor::default();
    let arg = "--db-password=hunter2-S3cr3t";
    let d = diff_templates(
        Some(&app(json!({}))),
        Some(&app(json!({ "args": [arg] }))),
        &redactor,
    );
    assert_eq!(only(&d).canary, Some(json!([redactor.line(arg)])));
}

/// End to end with the real Redactor: values of secret-named variables and `--password=`
/// arguments never reach the diff.
#[test]
fn password_value_never_appears_verbatim() {
    let d = diff(
        &app(json!({ "env": [{ "name": "DB_PASSWORD", "value": "hunter2-old-S3cr3t" }] })),
        &app(
            json!({ "env": [{ "name": "DB_PASSWORD", "value": "hunter2-new-S3cr3t" }],
                    "args": ["--password=hunter2-arg-S3cr3t"] }),
        ),
    );
    assert_eq!(
        d.changes.len(),
        2,
        "the changes must still be reported: {:#?}",
        d.changes
    );
    let text = serde_json::to_string(&d).unwrap_or_default();
    assert!(!text.contains("hunter2"), "secret leaked: {text}");
}

#[test]
fn changed_secret_reported_even_if_masks_are_equal() {
    // Raw values differ; whatever the redactor renders, the change must not vanish.
    let d = diff(
        &app(json!({ "env": [{ "name": "API_TOKEN", "value": "a" }] })),
        &app(json!({ "env": [{ "name": "API_TOKEN", "value": "b" }] })),
    );
    assert_eq!(
        ids(&d),
        vec![("spec/app/env.API_TOKEN".to_owned(), Changed)]
    );
}

#[test]
fn resources_keep_original_strings() {
    let d = diff(
        &app(json!({ "resources": { "limits": { "memory": "1Gi" } } })),
        &app(json!({ "resources": { "limits": { "memory": "512Mi" } } })),
    );
    let change = only(&d);
    assert_eq!(
        (change.stable.clone(), change.canary.clone()),
        (Some(json!("1Gi")), Some(json!("512Mi")))
    );
}

#[test]
fn container_added_and_removed() {
    let stable = template(
        json!({ "containers": [{ "name": "app", "image": "shop:1" }, { "name": "old-sidecar", "image": "proxy:1" }] }),
    );
    let canary = template(
        json!({ "containers": [{ "name": "mesh", "image": "envoy:2" }, { "name": "app", "image": "shop:1" }] }),
    );
    let d = diff(&stable, &canary);
    assert_eq!(
        ids(&d),
        vec![
            ("spec/mesh/container".to_owned(), Added),
            ("spec/old-sidecar/container".to_owned(), Removed)
        ]
    );
    assert_eq!(
        d.changes[0].canary,
        Some(json!({ "name": "mesh", "image": "envoy:2" }))
    );
    assert_eq!(d.changes[0].stable, None);
    assert_eq!(
        d.changes[1].stable,
        Some(json!({ "name": "old-sidecar", "image": "proxy:1" }))
    );
}

#[test]
fn init_containers_are_marked_and_come_after_app_containers() {
    let stable = template(json!({
        "initContainers": [{ "name": "migrate", "image": "shop-migrate:1" }, { "name": "app", "image": "x:1" }],
        "containers": [{ "name": "app", "image": "shop:1" }],
    }));
    let canary = template(json!({
        "initContainers": [{ "name": "migrate", "image": "shop-migrate:2", "env": [{ "name": "DRY", "value": "1" }] },
                           { "name": "wait", "image": "busybox" }],
        "containers": [{ "name": "app", "image": "shop:2" }],
        "volumes": [{ "name": "v", "emptyDir": {} }],
    }));
    let d = diff(&stable, &canary);
    let want = [
        ("spec/app/image", Changed),
        ("spec/migrate/initContainer.image", Changed),
        ("spec/migrate/initContainer.env.DRY", Added),
        ("spec/wait/initContainer", Added),
        ("spec/app/initContainer", Removed),
        ("spec/pod/volumes.v", Added),
    ];
    let want: Vec<_> = want.iter().map(|(id, k)| (id.to_string(), *k)).collect();
    assert_eq!(ids(&d), want);
    let init = &d.changes[1];
    assert_eq!(
        (init.container.as_deref(), init.field.as_str()),
        (Some("migrate"), "initContainer.image")
    );
    assert_eq!(d.changes[5].container, None);
}

#[test]
fn template_metadata_is_not_diffed() {
    let mut stable = app(json!({}));
    let mut canary = app(json!({}));
    stable
        .metadata
        .labels
        .insert("rollouts-pod-template-hash".into(), "abc".into());
    canary
        .metadata
        .labels
        .insert("rollouts-pod-template-hash".into(), "def".into());
    canary
        .metadata
        .annotations
        .insert("kubectl.kubernetes.io/restartedAt".into(), "now".into());
    assert_eq!(diff(&stable, &canary).changes, vec![]);
}

#[test]
fn missing_templates_are_not_compared() {
    let t = app(json!({}));
    let r = Redactor::default();
    for (stable, canary, note) in [
        (None, Some(&t), "stable pod template not found"),
        (Some(&t), None, "canary pod template not found"),
        (None, None, "stable and canary pod templates not found"),
    ] {
        let d = diff_templates(stable, canary, &r);
        assert!(!d.compared);
        assert_eq!(d.note.as_deref(), Some(note));
        assert!(d.changes.is_empty());
    }
    let d = diff_templates(Some(&t), Some(&t), &r);
    assert!(d.compared && d.note.is_none() && d.changes.is_empty());
}

#[test]
fn odd_input_does_not_panic_and_is_deterministic() {
    let weird = json!({
        "containers": [
            { "name": "", "image": 7, "env": [{ "name": 1, "value": true }, { "valueFrom": {} }],
              "envFrom": [{}, { "configMapRef": { "name": "" } }, "nonsense"],
              "volumeMounts": [{}, { "name": "v" }, 3], "ports": [null, "x"],
              "resources": { "limits": { "cpu": "", "memory": "-1e999999" } },
              "readinessProbe": { "httpGet": { "port": "http" }, "periodSeconds": 1.5 } },
            { "name": "", "image": "dup" },
        ],
        "volumes": [{ "name": "v" }, { "name": "v", "hostPath": { "path": "/" } }],
        "tolerations": [null], "affinity": [1, 2], "imagePullSecrets": ["x"],
    });
    let a = template(weird);
    let b = app(json!({ "env": [{ "name": "1", "value": "false" }] }));
    let r = Redactor::default();
    for (s, c) in [(&a, &b), (&b, &a), (&a, &a)] {
        let first = diff_templates(Some(s), Some(c), &r);
        assert_eq!(first, diff_templates(Some(s), Some(c), &r));
        let mut seen = std::collections::BTreeSet::new();
        for change in &first.changes {
            assert!(seen.insert(change.id.clone()), "duplicate id {}", change.id);
        }
    }
    assert!(diff_templates(Some(&a), Some(&a), &r).changes.is_empty());
}

#[test]
fn quantities_parse_to_base_units() {
    let cases: &[(&str, Option<f64>)] = &[
        ("1", Some(1.0)),
        ("500m", Some(0.5)),
        ("0.5", Some(0.5)),
        (".5", Some(0.5)),
        ("+2", Some(2.0)),
        ("-1k", Some(-1000.0)),
        ("1Ki", Some(1024.0)),
        ("1Gi", Some(1073741824.0)),
        ("1G", Some(1e9)),
        ("1E", Some(1e18)),
        ("1Ei", Some(1152921504606846976.0)),
        ("1e3", Some(1000.0)),
        ("1E3", Some(1000.0)),
        ("15e-1", Some(1.5)),
        ("250u", Some(0.00025)),
        ("10n", Some(1e-8)),
        (" 2Mi ", Some(2097152.0)),
        ("", None),
        ("Gi", None),
        ("1.2.3", None),
        ("1gi", None),
        ("1 Gi", None),
        ("inf", None),
        ("NaN", None),
        ("1e", None),
        ("1e+", None),
        ("1e400", None),
        ("1_000", None),
        ("-", None),
    ];
    for (text, want) in cases {
        let got = parse_quantity(text);
        let close = match (got, want) {
            (Some(g), Some(w)) => (g - w).abs() <= 1e-12 * w.abs().max(1e-30),
            (None, None) => true,
            _ => false,
        };
        assert!(close, "{text:?}: got {got:?}, want {want:?}");
    }
}

#[test]
fn quantity_equivalence() {
    use super::quantity::same_quantity;
    for (a, b, same) in [
        ("1Gi", "1024Mi", true),
        ("1Gi", "1G", false),
        ("500m", "0.5", true),
        ("100m", "0.1", true),
        ("1k", "1000", true),
        ("1e3", "1k", true),
        ("1", "1001m", false),
        ("bogus", "bogus", true),
        ("bogus", "1", false),
    ] {
        assert_eq!(same_quantity(a, b), same, "{a} vs {b}");
    }
}

#[test]
fn memory_bytes_rounds_up_and_rejects_nonsense() {
    for (text, want) in [
        ("1Gi", Some(1073741824)),
        ("128974848", Some(128974848)),
        ("129M", Some(129_000_000)),
        ("123Mi", Some(128974848)),
        ("1.5Ki", Some(1536)),
        ("100m", Some(1)),
        ("0", Some(0)),
        ("-1Mi", None),
        ("16Ei", None),
        ("lots", None),
    ] {
        assert_eq!(memory_bytes(text), want, "{text}");
    }
}

#[test]
fn container_images_lists_app_images_in_order() {
    let t = template(json!({
        "initContainers": [{ "name": "init", "image": "busybox" }],
        "containers": [{ "name": "app", "image": "shop:2" }, { "name": "noimage" }, { "name": "proxy", "image": "envoy:1" }],
    }));
    assert_eq!(
        container_images(&t),
        vec!["shop:2".to_owned(), "envoy:1".to_owned()]
    );
}
