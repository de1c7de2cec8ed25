//! Per-container comparison.

use super::quantity::same_quantity;
use super::{Changes, Scope, by_key, pair_up, semantic};
use crate::model::Container;
use crate::model::pod_template::{EnvVar, EnvVarSource, KeyRef};
use crate::redact::Redactor;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Matches containers by name and compares each pair.
pub(super) fn diff_all(
    changes: &mut Changes,
    init: bool,
    stable: &[Container],
    canary: &[Container],
    redactor: &Redactor,
) {
    let name = |c: &Container| c.name.clone();
    let (stable, canary) = (by_key(stable, name), by_key(canary, name));
    for (name, s, c) in pair_up(&stable, &canary) {
        let scope = Scope::Container { name, init };
        match (s, c) {
            (Some(s), Some(c)) => diff_one(changes, scope, s, c, redactor),
            (s, c) => changes.compare(
                scope,
                "container",
                s.map(|s| summary(s)),
                c.map(|c| summary(c)),
                false,
            ),
        }
    }
}

/// What identifies a container that exists on one side only; the rest would be noise.
fn summary(container: &Container) -> Value {
    json!({ "name": container.name, "image": container.image })
}

fn diff_one(
    changes: &mut Changes,
    scope: Scope<'_>,
    s: &Container,
    c: &Container,
    redactor: &Redactor,
) {
    let image = |c: &Container| c.image.clone().filter(|i| !i.is_empty());
    let (si, ci) = (image(s), image(c));
    changes.compare(
        scope,
        "image",
        si.clone().map(Value::from),
        ci.clone().map(Value::from),
        si == ci,
    );

    for (field, sv, cv) in [
        ("command", &s.command, &c.command),
        ("args", &s.args, &c.args),
    ] {
        changes.compare(
            scope,
            field,
            words(sv, redactor),
            words(cv, redactor),
            sv == cv,
        );
    }

    diff_env(changes, scope, &s.env, &c.env, redactor);
    diff_env_from(changes, scope, &s.env_from, &c.env_from);

    for (kind, sm, cm) in [
        ("requests", &s.resources.requests, &c.resources.requests),
        ("limits", &s.resources.limits, &c.resources.limits),
    ] {
        diff_quantities(changes, scope, kind, sm, cm);
    }

    for (field, sp, cp) in [
        ("livenessProbe", &s.liveness_probe, &c.liveness_probe),
        ("readinessProbe", &s.readiness_probe, &c.readiness_probe),
        ("startupProbe", &s.startup_probe, &c.startup_probe),
    ] {
        changes.compare_json(scope, field, sp.as_ref(), cp.as_ref(), semantic::probe);
    }

    let (sm, cm) = (
        by_key(&s.volume_mounts, mount_key),
        by_key(&c.volume_mounts, mount_key),
    );
    for (key, sv, cv) in pair_up(&sm, &cm) {
        let field = format!("volumeMounts.{key}");
        changes.compare_json(
            scope,
            &field,
            sv.copied(),
            cv.copied(),
            semantic::volume_mount,
        );
    }

    let list = |items: &[Value]| (!items.is_empty()).then(|| Value::Array(items.to_vec()));
    let same_ports = semantic::same_set(&s.ports, &c.ports, semantic::port);
    changes.compare(scope, "ports", list(&s.ports), list(&c.ports), same_ports);
}

/// Command or args as shown: each word through the line redactor, since a password passed
/// as `--password=...` is as common as one in env.
fn words(items: &[String], redactor: &Redactor) -> Option<Value> {
    (!items.is_empty()).then(|| {
        Value::Array(
            items
                .iter()
                .map(|w| Value::from(redactor.line(w).into_owned()))
                .collect(),
        )
    })
}

fn diff_env(
    changes: &mut Changes,
    scope: Scope<'_>,
    s: &[EnvVar],
    c: &[EnvVar],
    redactor: &Redactor,
) {
    let name = |v: &EnvVar| v.name.clone();
    let (sv, cv) = (by_key(s, name), by_key(c, name));
    for (name, s, c) in pair_up(&sv, &cv) {
        // Compared on the raw values so a changed secret is reported even when both sides
        // redact to the same mask; only the rendering is redacted.
        let same = match (s, c) {
            (Some(s), Some(c)) => literal(s) == literal(c) && reference(s) == reference(c),
            (None, None) => true,
            _ => false,
        };
        let render = |v: &&EnvVar| render_env(v, redactor);
        changes.compare(
            scope,
            &format!("env.{name}"),
            s.map(render),
            c.map(render),
            same,
        );
    }
}

/// An unset value is the empty string to the kubelet.
fn literal(var: &EnvVar) -> &str {
    var.value.as_deref().unwrap_or("")
}

fn render_env(var: &EnvVar, redactor: &Redactor) -> Value {
    let value = redactor.env_value(&var.name, literal(var));
    match reference(var) {
        // The API server rejects value together with valueFrom; a snapshot may still have
        // both, and hiding either would misreport what the template says.
        Some(Value::Object(mut map)) => {
            if !literal(var).is_empty() {
                map.insert("value".into(), Value::from(value));
            }
            Value::Object(map)
        }
        Some(other) => other,
        None => Value::from(value),
    }
}

/// `valueFrom` as a reference object. Only names and keys are kept: the template never holds
/// a Secret's value, and this keeps it that way for whatever the model grows later.
fn reference(var: &EnvVar) -> Option<Value> {
    let source: &EnvVarSource = var.value_from.as_ref()?;
    let key_ref = |r: &KeyRef| {
        let mut m = Map::new();
        m.insert("name".into(), Value::from(r.name.clone()));
        m.insert("key".into(), Value::from(r.key.clone()));
        if r.optional {
            m.insert("optional".into(), Value::Bool(true));
        }
        Value::Object(m)
    };
    let mut out = Map::new();
    if let Some(r) = &source.secret_key_ref {
        out.insert("secretKeyRef".into(), key_ref(r));
    }
    if let Some(r) = &source.config_map_key_ref {
        out.insert("configMapKeyRef".into(), key_ref(r));
    }
    for (key, v) in [
        ("fieldRef", &source.field_ref),
        ("resourceFieldRef", &source.resource_field_ref),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_null()) {
            out.insert(key.into(), semantic::normalize(v));
        }
    }
    Some(Value::Object(out))
}

fn diff_env_from(changes: &mut Changes, scope: Scope<'_>, s: &[Value], c: &[Value]) {
    let (mut s_others, mut c_others) = (0usize, 0usize);
    let se = by_key(s, |e| env_from_key(e, &mut s_others));
    let ce = by_key(c, |e| env_from_key(e, &mut c_others));
    for (key, sv, cv) in pair_up(&se, &ce) {
        let field = format!("envFrom.{key}");
        changes.compare_json(scope, &field, sv.copied(), cv.copied(), semantic::env_from);
    }
}

/// `configMap.<name>` or `secret.<name>`; entries naming neither are numbered among
/// themselves so they still pair up by position.
fn env_from_key(entry: &Value, others: &mut usize) -> String {
    let name = |reference: &str| {
        entry
            .get(reference)
            .and_then(|r| r.get("name"))
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
    };
    if let Some(n) = name("configMapRef") {
        format!("configMap.{n}")
    } else if let Some(n) = name("secretRef") {
        format!("secret.{n}")
    } else {
        *others += 1;
        format!("other.{others}")
    }
}

fn mount_key(mount: &Value) -> String {
    let text = |key: &str| {
        mount
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match (text("mountPath"), text("name")) {
        (Some(path), _) => path.to_owned(),
        // mountPath is required; a snapshot missing it still gets a distinct, readable key.
        (None, Some(name)) => format!("(no mountPath, volume {name})"),
        (None, None) => "(no mountPath)".to_owned(),
    }
}

fn diff_quantities(
    changes: &mut Changes,
    scope: Scope<'_>,
    kind: &str,
    s: &BTreeMap<String, String>,
    c: &BTreeMap<String, String>,
) {
    let se: Vec<(String, &String)> = s.iter().map(|(k, v)| (k.clone(), v)).collect();
    let ce: Vec<(String, &String)> = c.iter().map(|(k, v)| (k.clone(), v)).collect();
    for (resource, sv, cv) in pair_up(&se, &ce) {
        let same = match (sv, cv) {
            (Some(a), Some(b)) => same_quantity(a, b),
            (None, None) => true,
            _ => false,
        };
        let show = |q: &&String| Value::from(q.as_str());
        changes.compare(
            scope,
            &format!("resources.{kind}.{resource}"),
            sv.map(show),
            cv.map(show),
            same,
        );
    }
}
