//! Pod-level comparison: what every container of the pod shares.

use super::{Changes, Scope, keyed, pair_up, semantic};
use crate::model::pod_template::PodSpec;
use serde_json::Value;

pub(super) fn diff(changes: &mut Changes, s: &PodSpec, c: &PodSpec) {
    let pod = Scope::Pod;

    let volumes = |spec: &PodSpec| {
        keyed(spec.volumes.iter().map(|v| {
            let source = Value::Object(
                v.source
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            );
            (v.name.clone(), source)
        }))
    };
    let (sv, cv) = (volumes(s), volumes(c));
    for (name, sv, cv) in pair_up(&sv, &cv) {
        let field = format!("volumes.{name}");
        changes.compare_json(pod, &field, sv, cv, semantic::volume_source);
    }

    // Admission gives a pod without a service account the `default` one, so naming it
    // explicitly changes nothing.
    let account = |spec: &PodSpec| spec.service_account_name.clone().filter(|n| !n.is_empty());
    let (sa, ca) = (account(s), account(c));
    let effective = |a: &Option<String>| a.clone().unwrap_or_else(|| "default".to_owned());
    changes.compare(
        pod,
        "serviceAccountName",
        sa.clone().map(Value::from),
        ca.clone().map(Value::from),
        effective(&sa) == effective(&ca),
    );

    let selector = |spec: &PodSpec| {
        (!spec.node_selector.is_empty()).then(|| {
            Value::Object(
                spec.node_selector
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect(),
            )
        })
    };
    changes.compare(
        pod,
        "nodeSelector",
        selector(s),
        selector(c),
        s.node_selector == c.node_selector,
    );

    let list = |items: &[Value]| (!items.is_empty()).then(|| Value::Array(items.to_vec()));
    let same = semantic::same_set(&s.tolerations, &c.tolerations, semantic::toleration);
    changes.compare(
        pod,
        "tolerations",
        list(&s.tolerations),
        list(&c.tolerations),
        same,
    );

    let (sa, ca) = (s.affinity.as_ref(), c.affinity.as_ref());
    let same = sa.and_then(semantic::affinity) == ca.and_then(semantic::affinity);
    let shown = |a: Option<&Value>| a.filter(|a| semantic::affinity(a).is_some()).cloned();
    changes.compare(pod, "affinity", shown(sa), shown(ca), same);

    let same = semantic::same_set(
        &s.image_pull_secrets,
        &c.image_pull_secrets,
        semantic::normalize,
    );
    changes.compare(
        pod,
        "imagePullSecrets",
        list(&s.image_pull_secrets),
        list(&c.image_pull_secrets),
        same,
    );
}
