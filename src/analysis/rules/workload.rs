//! Rules about the canary workload itself: spec, scheduling, images, config and memory.

use super::crash::crashed_container;
use super::signals::*;
use super::{Finding, boost};
use crate::diagnosis::{Action, Category};
use crate::evidence::*;

pub fn invalid_spec(ev: &Evidence) -> Option<Finding> {
    let c = ev
        .incident
        .conditions
        .iter()
        .find(|c| c.type_ == "InvalidSpec" && !c.status.eq_ignore_ascii_case("false"))?;
    let message = c.message.clone().unwrap_or_default();
    Some(Finding {
        category: Category::InvalidSpec,
        confidence: 0.97,
        rule: "invalid-spec-condition",
        summary: format!("The Argo controller rejected the Rollout spec: {message}"),
        evidence: vec![c.id.clone()],
        action: Action::FixSpec { message },
    })
}

pub fn unschedulable(ev: &Evidence) -> Option<Finding> {
    let mut ids = Vec::new();
    let mut reason = None;
    for p in canary_pods(ev) {
        for c in p
            .conditions
            .iter()
            .filter(|c| c.type_ == "PodScheduled" && c.status.eq_ignore_ascii_case("false"))
        {
            ids.push(c.id.clone());
            reason = reason.or(c.message.clone());
        }
    }
    for e in canary_events(ev).filter(|e| {
        matches!(
            e.reason.as_deref(),
            Some("FailedScheduling" | "FailedCreate" | "FailedAttachVolume")
        ) || e.message.as_deref().is_some_and(|m| {
            m.contains("exceeded quota") || m.contains("unbound immediate PersistentVolumeClaims")
        })
    }) {
        ids.push(e.id.clone());
        reason = reason.or(e.message.clone());
    }
    // A canary that is running somewhere was scheduled; stale FailedScheduling events lie.
    if ids.is_empty() || canary_pods(ev).any(|p| p.phase.as_deref() == Some("Running")) {
        return None;
    }
    let reason = reason.unwrap_or_default();
    Some(Finding {
        category: Category::Unschedulable,
        confidence: boost(0.85, ids.len() - 1),
        rule: "canary-pods-unschedulable",
        summary: format!("Canary pods cannot be scheduled or created: {reason}"),
        evidence: ids,
        action: Action::FixScheduling { reason },
    })
}

const PULL_REASONS: [&str; 5] = [
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
];

pub fn image_pull(ev: &Evidence) -> Option<Finding> {
    let mut ids = Vec::new();
    let mut container = None;
    for (_, c) in canary_containers(ev) {
        if waiting_reason(&c.state).is_some_and(|r| PULL_REASONS.contains(&r)) {
            ids.push(c.id.clone());
            container.get_or_insert_with(|| c.name.clone());
        }
    }
    for e in canary_events(ev).filter(|e| {
        let m = e.message.as_deref().unwrap_or("");
        m.contains("Failed to pull image")
            || m.contains("ErrImagePull")
            || m.contains("ImagePullBackOff")
            || e.reason.as_deref() == Some("InspectFailed")
    }) {
        ids.push(e.id.clone());
    }
    if ids.is_empty() {
        return None;
    }
    let container = container.or_else(|| {
        ev.spec_diff
            .changes
            .iter()
            .find(|c| c.field == "image")
            .and_then(|c| c.container.clone())
    });
    let (canary_image, stable_image) = images_of(ev, container.as_deref());
    if let Some(id) = image_change(ev, container.as_deref()) {
        ids.push(id);
    }
    Some(Finding {
        category: Category::ImagePull,
        confidence: boost(0.9, ids.len() - 1),
        rule: "canary-image-pull-failure",
        summary: format!(
            "The canary image {} cannot be pulled",
            canary_image.as_deref().unwrap_or("(unknown)")
        ),
        evidence: ids,
        action: Action::RevertImage {
            container: container.unwrap_or_default(),
            canary_image,
            stable_image,
        },
    })
}

/// Canary and stable image of a container, from the spec diff or the incident.
pub fn images_of(ev: &Evidence, container: Option<&str>) -> (Option<String>, Option<String>) {
    let change = ev.spec_diff.changes.iter().find(|c| {
        c.field == "image" && (container.is_none() || c.container.as_deref() == container)
    });
    let s = |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v.as_str()).map(str::to_owned);
    match change {
        Some(c) => (s(&c.canary), s(&c.stable)),
        None => (
            ev.incident.canary_image.first().cloned(),
            ev.incident.stable_image.first().cloned(),
        ),
    }
}

pub(super) fn image_change(ev: &Evidence, container: Option<&str>) -> Option<String> {
    ev.spec_diff
        .changes
        .iter()
        .find(|c| {
            c.field == "image" && (container.is_none() || c.container.as_deref() == container)
        })
        .map(|c| c.id.clone())
}

pub fn config_missing(ev: &Evidence) -> Option<Finding> {
    let mut ids = Vec::new();
    let mut container = None;
    for (_, c) in canary_containers(ev) {
        if waiting_reason(&c.state) == Some("CreateContainerConfigError") {
            ids.push(c.id.clone());
            container.get_or_insert_with(|| c.name.clone());
        }
    }
    for e in canary_events(ev).filter(|e| {
        let m = e.message.as_deref().unwrap_or("");
        (matches!(e.reason.as_deref(), Some("Failed" | "FailedMount"))
            && MISSING_CONFIG.is_match(m))
            || m.contains("CreateContainerConfigError")
    }) {
        ids.push(e.id.clone());
    }
    let from_state = !ids.is_empty();
    let logs = canary_logs_matching(ev, &MISSING_CONFIG);
    ids.extend(logs.iter().take(2).map(|f| f.id.clone()));
    if ids.is_empty() {
        return None;
    }
    if !from_state {
        // The app said what it misses; the crashing container shows what that cost.
        ids.extend(crashed_container(ev).map(|c| c.id.clone()));
    }
    // The config the stable had and the canary lost is the fix, and strong corroboration.
    let cited_text: String = logs
        .iter()
        .map(|f| f.example.as_str())
        .chain(
            ev.events
                .iter()
                .filter(|e| ids.contains(&e.id))
                .filter_map(|e| e.message.as_deref()),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let lost = ev
        .spec_diff
        .changes
        .iter()
        .filter(|c| {
            c.field.starts_with("env")
                || c.field.starts_with("volumes")
                || c.field.starts_with("volumeMounts")
        })
        .filter(|c| c.kind != ChangeKind::Added || c.field.starts_with("env"))
        .max_by_key(|c| {
            let key = c.field.rsplit('.').next().unwrap_or("");
            (
                cited_text.contains(key) && !key.is_empty(),
                c.kind == ChangeKind::Removed,
            )
        });
    if let Some(c) = lost {
        ids.push(c.id.clone());
    }
    let named =
        lost.is_some_and(|c| cited_text.contains(c.field.rsplit('.').next().unwrap_or("\0")));
    let base = if from_state {
        0.9
    } else if logs.iter().any(|f| f.previous) || canary_troubled(ev) {
        0.8
    } else {
        0.6
    };
    let confidence = boost(base, usize::from(named) * 2);
    let container = container
        .or_else(|| lost.and_then(|c| c.container.clone()))
        .or_else(|| {
            canary_containers(ev)
                .find(|(_, c)| !c.init)
                .map(|(_, c)| c.name.clone())
        })
        .unwrap_or_default();
    let (name, stable, canary) = match lost {
        Some(c) => (
            c.field
                .split_once('.')
                .map(|(_, n)| n.to_owned())
                .unwrap_or(c.field.clone()),
            c.stable.clone(),
            c.canary.clone(),
        ),
        None => (String::new(), None, None),
    };
    Some(Finding {
        category: Category::ConfigMissing,
        confidence,
        rule: "canary-config-missing",
        summary: if name.is_empty() {
            "The canary is missing configuration it needs to start".into()
        } else {
            format!(
                "The canary is missing configuration it needs: {name} (present in the stable template)"
            )
        },
        evidence: ids,
        action: Action::RestoreEnv {
            container,
            name,
            stable,
            canary,
        },
    })
}

pub fn oom_killed(ev: &Evidence) -> Option<Finding> {
    let mut ids = Vec::new();
    let mut hit: Option<&ContainerFacts> = None;
    for (_, c) in canary_containers(ev) {
        let oom = |s: &ContainerStateFact| terminated_reason(s) == Some("OOMKilled");
        if oom(&c.state) || c.last_state.as_ref().is_some_and(oom) {
            ids.push(c.id.clone());
            hit.get_or_insert(c);
        }
    }
    for e in ev
        .events
        .iter()
        .filter(|e| e.role == Some(Role::Canary) || e.object_kind == "Node")
    {
        let m = e.message.as_deref().unwrap_or("");
        if e.reason.as_deref() == Some("OOMKilling")
            || m.contains("OOMKilled")
            || m.contains("out of memory")
        {
            ids.push(e.id.clone());
        }
    }
    if ids.is_empty() {
        return None;
    }
    // What the app said as memory ran out, from the killed instance first.
    let mut said = canary_logs_matching(ev, &OUT_OF_MEMORY);
    said.sort_by_key(|f| {
        (
            !f.previous,
            f.class,
            std::cmp::Reverse(f.example.len().min(200)),
        )
    });
    ids.extend(said.iter().take(2).map(|f| f.id.clone()));
    let container = hit.map(|c| c.name.clone());
    let limit_change = ev.spec_diff.changes.iter().find(|c| {
        c.field == "resources.limits.memory" && (container.is_none() || c.container == container)
    });
    if let Some(c) = limit_change {
        ids.push(c.id.clone());
    }
    let current = hit
        .and_then(|c| c.memory_limit.clone())
        .or_else(|| limit_change.and_then(|c| c.canary.as_ref()?.as_str().map(str::to_owned)));
    let suggested = suggest_memory(
        current.as_deref(),
        limit_change.and_then(|c| c.stable.as_ref()?.as_str()),
    );
    Some(Finding {
        category: Category::OomKilled,
        confidence: boost(0.92, ids.len() - 1),
        rule: "canary-oom-killed",
        summary: format!(
            "Canary container {} was OOM-killed{}",
            container.as_deref().unwrap_or("?"),
            current
                .as_deref()
                .map(|l| format!(" at its {l} memory limit"))
                .unwrap_or_default()
        ),
        evidence: ids,
        action: Action::RaiseMemoryLimit {
            container: container.unwrap_or_default(),
            current,
            suggested,
        },
    })
}

/// The stable limit when the canary lowered it, otherwise 1.5× the current one in Mi.
fn suggest_memory(current: Option<&str>, stable: Option<&str>) -> Option<String> {
    use crate::analysis::spec_diff::memory_bytes;
    let cur = current.and_then(memory_bytes);
    if let (Some(s), Some(c)) = (stable.and_then(memory_bytes), cur)
        && s > c
    {
        return stable.map(str::to_owned);
    }
    cur.map(|c| format!("{}Mi", (c as f64 * 1.5 / (1u64 << 20) as f64).ceil() as u64))
}
