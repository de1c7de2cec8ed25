//! Rules about canary containers that crash or fail their probes.

use super::attribution::{seen_in, sidecar_only};
use super::signals::*;
use super::workload::{image_change, images_of};
use super::{Finding, boost};
use crate::diagnosis::{Action, Category};
use crate::evidence::*;
use regex::Regex;
use std::sync::LazyLock;

pub fn crash_loop(ev: &Evidence) -> Option<Finding> {
    let mut ids = Vec::new();
    let mut container = None;
    let mut entrypoint = false;
    let mut start_message: Option<&str> = None;
    // The app container first: a sidecar restarting beside it is usually its echo.
    let mut containers: Vec<&ContainerFacts> = canary_containers(ev).map(|(_, c)| c).collect();
    containers.sort_by_key(|c| c.sidecar);
    for c in containers {
        let waiting = waiting_reason(&c.state);
        let crashed_before = matches!(&c.last_state, Some(ContainerStateFact::Terminated { exit_code: Some(code), .. }) if *code != 0);
        let crashed_now = matches!(&c.state, ContainerStateFact::Terminated { exit_code: Some(code), .. } if *code != 0);
        // containerd reports a missing entrypoint as the last instance's StartError while
        // the container waits in CrashLoopBackOff.
        let start_failed = |s: &ContainerStateFact| {
            terminated_reason(s)
                .is_some_and(|r| r.contains("StartError") || r.contains("ContainerCannotRun"))
        };
        let last_start_failed = c.last_state.as_ref().is_some_and(start_failed);
        let start_error = matches!(
            waiting,
            Some("RunContainerError" | "StartError" | "CreateContainerError")
        ) || start_failed(&c.state)
            || last_start_failed;
        if start_error && start_message.is_none() {
            let failed_start = |s: &&ContainerStateFact| {
                start_failed(s)
                    || matches!(
                        waiting_reason(s),
                        Some("RunContainerError" | "StartError" | "CreateContainerError")
                    )
            };
            start_message = [Some(&c.state), c.last_state.as_ref()]
                .into_iter()
                .flatten()
                .filter(failed_start)
                .find_map(state_message);
        }
        if waiting == Some("CrashLoopBackOff")
            || start_error
            || crashed_now
            || (crashed_before && c.restart_count > 0)
        {
            ids.push(c.id.clone());
            container.get_or_insert_with(|| c.name.clone());
            entrypoint |= start_error;
        }
    }
    let back_off = canary_events(ev).filter(|e| {
        e.reason.as_deref() == Some("BackOff")
            || e.message.as_deref().is_some_and(|m| {
                BAD_ENTRYPOINT.is_match(m) && e.type_.as_deref() == Some("Warning")
            })
    });
    ids.extend(back_off.map(|e| e.id.clone()).take(2));
    if ids.is_empty() {
        return None;
    }
    // The line that explains the crash: an error from the crashed container's previous
    // instance, canary-only; a sidecar's complaint about the app is its symptom.
    // Without pod objects the kubelet's BackOff event still names the container.
    if container.is_none() {
        container = canary_events(ev).find_map(|e| backoff_container(e.message.as_deref()?));
    }
    let crashed = container.as_deref();
    let cause = canary_specific_logs(ev)
        .filter(|f| {
            matches!(f.level, LogLevel::Fatal | LogLevel::Error) && !f.example.trim().is_empty()
        })
        .filter(|f| !sidecar_only(ev, f))
        .min_by_key(|f| {
            let elsewhere = crashed.is_some_and(|c| !seen_in(f, c));
            (
                elsewhere,
                !f.previous,
                f.class,
                std::cmp::Reverse(crash_cause_weight(&f.example)),
            )
        });
    // A container the kubelet killed for failing its probe did not crash: probe_failure
    // explains it, unless the app also died on its own.
    let probe_killed = canary_events(ev).any(|e| {
        let m = e.message.as_deref().unwrap_or("");
        m.contains("probe, will be restarted")
            || (e.reason.as_deref() == Some("Killing") && m.contains("probe"))
    });
    let died_on_its_own = cause.is_some_and(|f| crash_cause_weight(&f.example) >= 2);
    if let Some(f) = cause {
        ids.insert(1.min(ids.len()), f.id.clone());
    }
    let (canary_image, stable_image) = images_of(ev, container.as_deref());
    let image_changed = image_change(ev, container.as_deref());
    if let Some(id) = &image_changed {
        ids.push(id.clone());
    }
    let container = container.unwrap_or_default();
    let who = if container.is_empty() {
        "A canary container".to_owned()
    } else {
        format!("Canary container {container}")
    };
    Some(Finding {
        category: Category::CrashLoop,
        confidence: if probe_killed && !died_on_its_own && !entrypoint {
            0.4
        } else {
            let base = if entrypoint || cause.is_some() {
                0.85
            } else {
                0.75
            };
            boost(base, usize::from(image_changed.is_some()))
        },
        rule: "canary-crash-loop",
        summary: match cause {
            Some(f) => format!("{who} crashes: {}", first_line(&f.example)),
            None => match start_message.or_else(|| entrypoint_event(ev)) {
                Some(m) if entrypoint => {
                    format!("{who} cannot start: {}", first_line(start_failure(m)))
                }
                _ => format!("{who} keeps crashing"),
            },
        },
        evidence: ids,
        action: if image_changed.is_some() {
            Action::RevertImage {
                container,
                canary_image,
                stable_image,
            }
        } else {
            Action::Investigate {
                hint: "read the crashed container's previous log".into(),
            }
        },
    })
}

pub(super) fn crashed_container(ev: &Evidence) -> Option<&ContainerFacts> {
    canary_containers(ev)
        .map(|(_, c)| c)
        .filter(|c| c.restart_count > 0 || waiting_reason(&c.state) == Some("CrashLoopBackOff"))
        .max_by_key(|c| c.restart_count)
}

/// `Back-off restarting failed container app in pod cart-7d9_shop(uid)` → `app`.
fn backoff_container(message: &str) -> Option<String> {
    let rest = message.split_once("restarting failed container ")?.1;
    let name = rest.split_whitespace().next()?;
    (!name.is_empty() && name.len() <= 63).then(|| name.to_owned())
}

fn state_message(s: &ContainerStateFact) -> Option<&str> {
    match s {
        ContainerStateFact::Waiting { message, .. }
        | ContainerStateFact::Terminated { message, .. } => {
            message.as_deref().filter(|m| !m.trim().is_empty())
        }
        _ => None,
    }
}

fn entrypoint_event(ev: &Evidence) -> Option<&str> {
    canary_events(ev)
        .filter(|e| e.type_.as_deref() == Some("Warning") && e.reason.as_deref() != Some("BackOff"))
        .find_map(|e| e.message.as_deref().filter(|m| BAD_ENTRYPOINT.is_match(m)))
}

/// The runtime's own words after its wrapping: `…unable to start container process: exec:
/// "/app/x": stat /app/x: no such file or directory: unknown` → `exec: "/app/x": stat …`.
fn start_failure(m: &str) -> &str {
    let inner = m
        .rsplit_once("unable to start container process: ")
        .map_or(m, |(_, r)| r);
    inner.strip_suffix(": unknown").unwrap_or(inner)
}

fn first_line(s: &str) -> &str {
    let line = s.lines().next().unwrap_or(s);
    match line.char_indices().nth(160) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

pub fn probe_failure(ev: &Evidence) -> Option<Finding> {
    let probe_events: Vec<&EventFact> = canary_events(ev)
        .filter(|e| {
            let m = e.message.as_deref().unwrap_or("");
            e.reason.as_deref() == Some("Unhealthy")
                || m.contains("probe failed")
                || m.contains("failed liveness probe")
        })
        .collect();
    if probe_events.is_empty() {
        return None;
    }
    let failures: i64 = probe_events.iter().map(|e| e.count).sum();
    let kind = |e: &EventFact| {
        let m = e.message.as_deref().unwrap_or("");
        ["Liveness", "Readiness", "Startup"]
            .into_iter()
            .find(|k| m.contains(k))
            .unwrap_or("Readiness")
    };
    let probe = format!("{}Probe", kind(probe_events[0]).to_lowercase());
    let not_ready_running = canary_containers(ev)
        .any(|(_, c)| !c.ready && !c.init && matches!(c.state, ContainerStateFact::Running { .. }));
    let changed = ev
        .spec_diff
        .changes
        .iter()
        .find(|c| c.field.ends_with("Probe") && c.field.contains(&probe[..probe.len() - 5]));
    let changed = changed.or_else(|| {
        ev.spec_diff
            .changes
            .iter()
            .find(|c| c.field.ends_with("Probe"))
    });
    // An unchanged probe still aimed at a port the canary stopped exposing.
    let moved = changed
        .is_none()
        .then(|| {
            probe_events
                .iter()
                .find_map(|e| moved_port(ev, e.message.as_deref()?))
        })
        .flatten();
    // A few failures while an app warms up are normal; persistent ones are a cause.
    let base = match (
        not_ready_running || failures >= 3,
        changed.is_some() || moved.is_some(),
    ) {
        (true, true) => 0.92,
        (true, false) => 0.75,
        (false, true) => 0.6,
        (false, false) => 0.35,
    };
    let mut ids: Vec<String> = probe_events.iter().take(2).map(|e| e.id.clone()).collect();
    ids.extend(
        canary_containers(ev)
            .filter(|(_, c)| !c.ready && !c.init && !c.sidecar)
            .map(|(_, c)| c.id.clone())
            .take(1),
    );
    ids.extend(changed.or(moved.map(|(c, _)| c)).map(|c| c.id.clone()));
    let container = changed
        .or(moved.map(|(c, _)| c))
        .and_then(|c| c.container.clone())
        .or_else(|| {
            canary_containers(ev)
                .find(|(_, c)| !c.init && !c.sidecar)
                .map(|(_, c)| c.name.clone())
        })
        .unwrap_or_default();
    Some(Finding {
        category: Category::ProbeFailure,
        confidence: base,
        rule: "canary-probe-failing",
        summary: format!(
            "Canary {} fails ({failures} failures): {}",
            changed.map_or(probe.clone(), |c| c.field.clone()),
            first_line(probe_events[0].message.as_deref().unwrap_or(""))
        ) + &moved.map_or(String::new(), |(_, port)| {
            format!("; the canary no longer exposes port {port}, which the probe still targets")
        }),
        evidence: ids,
        action: Action::FixProbe {
            container,
            probe: changed.map_or(probe, |c| c.field.clone()),
            stable: changed.and_then(|c| c.stable.clone()),
            canary: changed.and_then(|c| c.canary.clone()),
        },
    })
}

static PROBE_PORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:https?://[^/\s"]+:|dial tcp [^\s]+:)(\d{1,5})\b"#)
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// The port a probe failure names, when the spec diff shows the canary's container ports
/// dropped it: the app moved, the probe did not.
fn moved_port<'e>(ev: &'e Evidence, message: &str) -> Option<(&'e SpecChange, u16)> {
    let port: u16 = PROBE_PORT.captures(message)?[1].parse().ok()?;
    let exposes = |v: &Option<serde_json::Value>| {
        v.as_ref().and_then(|v| v.as_array()).is_some_and(|ports| {
            ports
                .iter()
                .any(|p| p["containerPort"].as_u64() == Some(u64::from(port)))
        })
    };
    ev.spec_diff
        .changes
        .iter()
        .find(|c| c.field == "ports" && exposes(&c.stable) && !exposes(&c.canary))
        .map(|c| (c, port))
}
