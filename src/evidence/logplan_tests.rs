use super::*;
use crate::evidence::testing::{pod, running};
use crate::source::LogError;
use std::collections::HashMap;

struct Logs(HashMap<String, String>);

impl LogSource for Logs {
    fn open(
        &self,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<Option<Box<dyn std::io::Read + '_>>, LogError> {
        let key = format!(
            "{pod}/{container}{}",
            if previous { ".previous" } else { "" }
        );
        Ok(self
            .0
            .get(&key)
            .map(|s| Box::new(s.as_bytes()) as Box<dyn std::io::Read>))
    }
}

fn named(role: Role, name: &str, restarts: i64) -> PodFacts {
    let mut p = pod(role, true, running(), None, restarts);
    p.name = name.into();
    p
}

fn stable_pods(n: usize) -> Vec<PodFacts> {
    (0..n)
        .map(|i| named(Role::Stable, &format!("web-s-{i}"), 0))
        .collect()
}

fn cfg(per_role: usize) -> EvidenceConfig {
    EvidenceConfig {
        log_pods_per_role: per_role,
        ..Default::default()
    }
}

fn run(pods: &[PodFacts], logs: &[(&str, &str)], per_role: usize) -> (LogEvidence, Vec<Gap>) {
    let source = Logs(
        logs.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    );
    let mut gaps = Vec::new();
    let ev = mine_logs(
        pods,
        &source,
        &Redactor::default(),
        &cfg(per_role),
        &mut gaps,
    );
    (ev, gaps)
}

#[test]
fn stable_pods_without_logs_give_their_turn_to_pods_that_have_them() {
    let mut pods = vec![named(Role::Canary, "web-c-0", 0)];
    pods.extend(stable_pods(6));
    let line = "GET /cart 200 upstream reset: ECONNRESET\n";
    let (ev, gaps) = run(
        &pods,
        &[
            ("web-c-0/app", line),
            ("web-s-4/app", line),
            ("web-s-5/app", line),
        ],
        2,
    );
    let stable = ev.coverage.iter().find(|c| c.role == Role::Stable).unwrap();
    assert_eq!((stable.pods, stable.pods_read, stable.lines), (6, 2, 2));
    let f = &ev.findings[0];
    assert_eq!((f.canary_count, f.stable_count), (1, 2), "{f:?}");
    assert_ne!(f.class, LogClass::NewInCanary);
    let gap = gaps
        .iter()
        .find(|g| g.ref_ == "stable pods")
        .expect("a gap per version");
    assert!(gap.reason.contains("4 stable pod(s)"), "{}", gap.reason);
    assert!(gap.reason.contains("read 2 other"), "{}", gap.reason);
}

#[test]
fn a_version_with_no_log_at_all_says_there_is_no_baseline() {
    let mut pods = vec![named(Role::Canary, "web-c-0", 0)];
    pods.extend(stable_pods(2));
    let (ev, gaps) = run(&pods, &[("web-c-0/app", "boom\n")], 3);
    let stable = ev.coverage.iter().find(|c| c.role == Role::Stable).unwrap();
    assert_eq!((stable.pods_read, stable.lines), (0, 0));
    assert!(
        gaps.iter()
            .any(|g| g.reason.contains("nothing can be compared")),
        "{gaps:?}"
    );
}

#[test]
fn crashing_pods_are_read_first_and_candidates_are_bounded() {
    let mut pods = stable_pods(20);
    pods.push(named(Role::Stable, "web-s-z", 4));
    let plan = log_plan(&pods, 2);
    assert_eq!(plan[0].pod, "web-s-z");
    let tried: BTreeSet<&str> = plan.iter().map(|r| r.pod.as_str()).collect();
    assert_eq!(tried.len(), 2 * CANDIDATES_PER_POD);
}

#[test]
fn once_enough_pods_are_read_the_rest_are_not_opened() {
    let pods = stable_pods(5);
    let all: Vec<(String, String)> = (0..5)
        .map(|i| (format!("web-s-{i}/app"), format!("line {i}\n")))
        .collect();
    let logs: Vec<(&str, &str)> = all.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (ev, gaps) = run(&pods, &logs, 2);
    assert_eq!(ev.streams.len(), 2);
    assert!(gaps.is_empty(), "{gaps:?}");
}

#[test]
fn an_empty_log_gives_its_turn_like_a_missing_one() {
    let mut pods = vec![named(Role::Canary, "web-c-0", 0)];
    pods.extend(stable_pods(3));
    let line = "GET /cart 200\n";
    let (ev, gaps) = run(
        &pods,
        &[
            ("web-c-0/app", line),
            ("web-s-0/app", ""),
            ("web-s-2/app", line),
        ],
        1,
    );
    let stable = ev.coverage.iter().find(|c| c.role == Role::Stable).unwrap();
    assert_eq!(
        (stable.pods_read, stable.lines),
        (1, 1),
        "{:?}",
        ev.coverage
    );
    assert!(
        ev.streams.iter().any(|s| s.pod == "web-s-2"),
        "{:?}",
        ev.streams
    );
    assert!(
        gaps.iter().any(|g| g
            .reason
            .starts_with("no log lines collected for 2 stable pod(s) (web-s-0, web-s-1)")),
        "{gaps:?}"
    );
}
