//! Structured stable-vs-canary pod template diff: what the canary changed, field by field, with
//! values a fix can restore.
//!
//! # Fields and ids
//!
//! A change's `id` is `spec/<container>/<field>` for a container field and `spec/pod/<field>`
//! for a pod-level one (pod-level field names never collide with container field names, so a
//! container called `pod` is still unambiguous). Container fields:
//!
//! - `container`: the container exists on one side only; value `{"name", "image"}`, and no
//!   per-field changes follow for it.
//! - `image`, `command`, `args`
//! - `env.<NAME>`: literal values pass through [`Redactor::env_value`]; `valueFrom` is shown
//!   as the reference only (`{"secretKeyRef": {"name", "key"}}`), never a resolved value.
//! - `envFrom.configMap.<name>`, `envFrom.secret.<name>` (`envFrom.other.<n>` for entries
//!   that name neither)
//! - `resources.requests.<resource>`, `resources.limits.<resource>`: compared as quantities
//!   (`1Gi` equals `1024Mi`), shown as written.
//! - `livenessProbe`, `readinessProbe`, `startupProbe`: the whole probe, compared with
//!   API-server defaults ignored.
//! - `volumeMounts.<mountPath>`, `ports` (the whole list, order ignored).
//!
//! Init containers carry the same fields prefixed with `initContainer.` (`initContainer.image`,
//! `initContainer.env.FOO`) and `initContainer` instead of `container` when present on one
//! side only; `container` still holds the plain name so it matches pod container statuses.
//!
//! Pod-level fields (`container: None`): `volumes.<name>`, `serviceAccountName`,
//! `nodeSelector`, `tolerations`, `affinity`, `imagePullSecrets`. Template labels and
//! annotations are not compared: they differ by `rollouts-pod-template-hash` on every rollout
//! and are not what makes a canary fail.
//!
//! # Order
//!
//! App containers, then init containers, each in canary order followed by the ones only in
//! stable; within a container the fields in the order listed above; pod-level fields last.
//! Keyed entries (env, mounts, volumes, ...) follow the same canary-then-stable-only rule.

mod container;
mod pod;
mod quantity;
mod semantic;
#[cfg(test)]
mod tests;

pub use quantity::{memory_bytes, parse_quantity};

use crate::evidence::{ChangeKind, SpecChange, SpecDiff};
use crate::model::PodTemplateSpec;
use crate::redact::Redactor;
use serde_json::Value;
use std::collections::BTreeMap;

pub fn diff_templates(
    stable: Option<&PodTemplateSpec>,
    canary: Option<&PodTemplateSpec>,
    redactor: &Redactor,
) -> SpecDiff {
    let (stable, canary) = match (stable, canary) {
        (Some(s), Some(c)) => (s, c),
        (s, c) => {
            let missing = match (s, c) {
                (None, None) => "stable and canary pod templates not found",
                (None, _) => "stable pod template not found",
                _ => "canary pod template not found",
            };
            return SpecDiff {
                compared: false,
                note: Some(missing.to_owned()),
                changes: Vec::new(),
            };
        }
    };
    let mut changes = Changes::default();
    container::diff_all(
        &mut changes,
        false,
        &stable.spec.containers,
        &canary.spec.containers,
        redactor,
    );
    container::diff_all(
        &mut changes,
        true,
        &stable.spec.init_containers,
        &canary.spec.init_containers,
        redactor,
    );
    pod::diff(&mut changes, &stable.spec, &canary.spec);
    SpecDiff {
        compared: true,
        note: None,
        changes: changes.out,
    }
}

/// The images of the app containers (init containers left out), in spec order, as written;
/// containers without an image are skipped. Plain images rather than `name=image` because
/// that is how a person names "the canary image", and the usual Rollout has one container.
pub fn container_images(template: &PodTemplateSpec) -> Vec<String> {
    template
        .spec
        .containers
        .iter()
        .filter_map(|c| c.image.clone())
        .filter(|image| !image.is_empty())
        .collect()
}

/// Where a change sits: a container (app or init) or the pod.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Container { name: &'a str, init: bool },
    Pod,
}

#[derive(Default)]
struct Changes {
    out: Vec<SpecChange>,
}

impl Changes {
    /// Records a change unless the two sides are `same`; the kind follows from which side is
    /// present, so callers pass `None` for "not set".
    fn compare(
        &mut self,
        scope: Scope<'_>,
        field: &str,
        stable: Option<Value>,
        canary: Option<Value>,
        same: bool,
    ) {
        if same {
            return;
        }
        let kind = match (&stable, &canary) {
            (Some(_), Some(_)) => ChangeKind::Changed,
            (None, Some(_)) => ChangeKind::Added,
            (Some(_), None) => ChangeKind::Removed,
            (None, None) => return,
        };
        let (id, container, field) = match scope {
            Scope::Container { name, init } => {
                let field = match (init, field) {
                    (false, f) => f.to_owned(),
                    (true, "container") => "initContainer".to_owned(),
                    (true, f) => format!("initContainer.{f}"),
                };
                (format!("spec/{name}/{field}"), Some(name.to_owned()), field)
            }
            Scope::Pod => (format!("spec/pod/{field}"), None, field.to_owned()),
        };
        self.out.push(SpecChange {
            id,
            container,
            field,
            kind,
            stable,
            canary,
        });
    }

    /// Compares two optional JSON values after `norm`, recording them as written.
    fn compare_json(
        &mut self,
        scope: Scope<'_>,
        field: &str,
        stable: Option<&Value>,
        canary: Option<&Value>,
        norm: fn(&Value) -> Value,
    ) {
        let stable = stable.filter(|v| !v.is_null());
        let canary = canary.filter(|v| !v.is_null());
        let same = stable.map(norm) == canary.map(norm);
        self.compare(scope, field, stable.cloned(), canary.cloned(), same);
    }
}

/// Entries by key, deduplicated keeping the first position and the last value: the API
/// server lets the last of duplicate env names win, and a fixed position keeps output stable.
fn keyed<T>(items: impl IntoIterator<Item = (String, T)>) -> Vec<(String, T)> {
    let mut out: Vec<(String, T)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (key, item) in items {
        match index.get(&key) {
            Some(&i) => {
                if let Some(slot) = out.get_mut(i) {
                    slot.1 = item;
                }
            }
            None => {
                index.insert(key.clone(), out.len());
                out.push((key, item));
            }
        }
    }
    out
}

/// [`keyed`] over a slice, with the key computed from each item.
fn by_key<T>(items: &[T], mut key: impl FnMut(&T) -> String) -> Vec<(String, &T)> {
    keyed(items.iter().map(|item| (key(item), item)))
}

/// Pairs keyed entries: canary keys in canary order, then keys only in stable, in stable order.
fn pair_up<'a, T>(
    stable: &'a [(String, T)],
    canary: &'a [(String, T)],
) -> Vec<(&'a str, Option<&'a T>, Option<&'a T>)> {
    // Indexed so that a template with thousands of env vars does not cost a quadratic scan.
    let index = |side: &'a [(String, T)]| -> BTreeMap<&'a str, &'a T> {
        side.iter().map(|(k, v)| (k.as_str(), v)).collect()
    };
    let (stable_by_key, canary_by_key) = (index(stable), index(canary));
    let mut pairs: Vec<_> = canary
        .iter()
        .map(|(key, c)| {
            (
                key.as_str(),
                stable_by_key.get(key.as_str()).copied(),
                Some(c),
            )
        })
        .collect();
    pairs.extend(
        stable
            .iter()
            .filter(|(key, _)| !canary_by_key.contains_key(key.as_str()))
            .map(|(key, s)| (key.as_str(), Some(s), None)),
    );
    pairs
}
