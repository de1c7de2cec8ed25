//! Whose line is it: a log finding seen only in sidecars, or aimed at the pod itself, is a
//! symptom of the app container, which its own state and probe events explain better.

use super::signals::{canary_containers, waiting_reason};
use crate::evidence::*;
use regex::Regex;
use std::sync::LazyLock;

/// Loopback, the any-address, an empty host (`dial tcp :8080`) or a proxy's inbound cluster
/// (`inbound|8080||`, linkerd's `inbound:server{port=8080}`): the pod talking to itself.
static SELF_DIRECTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[^\w.:])(?:127(?:\.\d{1,3}){3}|localhost|0\.0\.0\.0|\[::1\])(?::\d+)?\b|\[::1\]|dial tcp :\d+|\binbound\|\d+\||\binbound:server\{port=\d+\}",
    )
    .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

pub fn self_directed(line: &str) -> bool {
    SELF_DIRECTED.is_match(line)
}

/// `pod/container` or `pod/container (previous)` → the container, when the evidence has it.
fn stream_container<'e>(ev: &'e Evidence, stream: &str) -> Option<&'e ContainerFacts> {
    let stream = stream.strip_suffix(" (previous)").unwrap_or(stream);
    let (pod, container) = stream.rsplit_once('/')?;
    ev.pods
        .iter()
        .find(|p| p.name == pod)?
        .containers
        .iter()
        .find(|c| c.name == container)
}

/// Every stream the finding was seen in is a sidecar's.
pub fn sidecar_only(ev: &Evidence, f: &LogFinding) -> bool {
    let mut found = f
        .streams
        .iter()
        .filter_map(|s| stream_container(ev, s))
        .peekable();
    found.peek().is_some() && found.all(|c| c.sidecar)
}

/// Seen in this container's log (current or previous instance).
pub fn seen_in(f: &LogFinding, container: &str) -> bool {
    f.streams.iter().any(|s| {
        let s = s.strip_suffix(" (previous)").unwrap_or(s);
        s.rsplit_once('/').is_some_and(|(_, c)| c == container)
    })
}

/// The canary's app container (not a sidecar) is down, restarting or not ready.
pub fn canary_app_troubled(ev: &Evidence) -> bool {
    canary_containers(ev).any(|(_, c)| {
        !c.init
            && !c.sidecar
            && (!c.ready
                || c.restart_count > 0
                || waiting_reason(&c.state).is_some()
                || matches!(c.state, ContainerStateFact::Terminated { .. }))
    })
}

/// A sidecar's complaint that explains nothing the app container does not: it aims at the pod
/// itself, or the app container is already failing on its own.
pub fn sidecar_symptom(ev: &Evidence, f: &LogFinding) -> bool {
    sidecar_only(ev, f) && (self_directed(&f.example) || canary_app_troubled(ev))
}

/// Would the stable logs read have shown this line, at the canary's rate, at least 3 times?
/// Only then does its absence there prove the canary alone has it (P(0) < 5 % under equal
/// rates); a thin stable sample proves nothing either way.
pub fn stable_absence_proven(ev: &Evidence, f: &LogFinding) -> bool {
    let lines = |role: Role| -> u64 {
        ev.logs
            .streams
            .iter()
            .filter(|s| s.role == role)
            .map(|s| s.lines)
            .sum()
    };
    let (canary, stable) = (lines(Role::Canary), lines(Role::Stable));
    canary > 0
        && f.stable_count == 0
        && f.canary_count as f64 * stable as f64 / canary as f64 >= 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_directed_targets() {
        for line in [
            "Request to probe app failed: Get \"http://localhost:8080/readyz\": dial tcp 127.0.0.1:8080: connect: connection refused",
            "dial tcp [::1]:9090: connect: connection refused",
            "listen on 0.0.0.0:8080 failed",
            "dial tcp :8080: connect: connection refused",
            "\"GET /api HTTP/1.1\" 503 UF upstream_reset_before_response_started{connection_failure} \"10.244.1.7:8080\" inbound|8080|| 127.0.0.6:41234",
            "WARN inbound:server{port=8080}: linkerd_app_core: Failed to connect error=Connection refused (os error 111)",
        ] {
            assert!(self_directed(line), "{line}");
        }
        for line in [
            "dial tcp 10.0.3.4:5432: connect: connection refused",
            "lookup payments.prod.svc: no such host",
            "upstream connect error to outbound|8080||payments.prod.svc.cluster.local",
            "connect to db-127.internal:5432 refused",
            "fe80::1 unreachable",
        ] {
            assert!(!self_directed(line), "{line}");
        }
    }
}
