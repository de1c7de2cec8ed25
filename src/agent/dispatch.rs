//! The agent's bookkeeping, kept pure so it can be tested without a cluster: which incidents
//! are known, which are recorded (the index fed by the RolloutDiagnosis watch), which are in
//! flight, and what to start next. Only the leader starts work, and only once the record
//! index is complete, so a restart or a hand-over never diagnoses an incident twice.

use super::incident::{Incident, IncidentKey, RolloutName};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    Diagnose(Incident),
    /// A record whose Event or sinks did not all get it (the previous leader stopped midway).
    Resume(IncidentKey, RecordRef),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Recorded by someone else first, or the Rollout moved on or went away.
    Dropped,
    /// A transient failure: try again after a pause.
    Retry,
}

const MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Default)]
pub struct Dispatcher {
    leading: bool,
    records_synced: bool,
    pending: BTreeMap<IncidentKey, Incident>,
    recorded: HashMap<IncidentKey, (RecordRef, bool)>,
    inflight: HashSet<IncidentKey>,
    /// Finished here, before the record watch has reported the record back.
    done: HashSet<IncidentKey>,
    attempts: HashMap<IncidentKey, (u32, Instant)>,
}

impl Dispatcher {
    pub fn set_leading(&mut self, leading: bool) {
        self.leading = leading;
    }

    pub fn is_leading(&self) -> bool {
        self.leading
    }

    pub fn records_synced(&mut self) {
        self.records_synced = true;
    }

    /// Returns false when the incident is already known (recorded, pending or in flight):
    /// the caller counts it as a suppressed duplicate.
    pub fn detected(&mut self, incident: Incident) -> bool {
        let key = &incident.key;
        if self.recorded.contains_key(key)
            || self.done.contains(key)
            || self.pending.contains_key(key)
            || self.inflight.contains(key)
        {
            return false;
        }
        self.pending.insert(incident.key.clone(), incident);
        true
    }

    pub fn recorded(&mut self, key: IncidentKey, record: RecordRef, delivered: bool) {
        self.pending.remove(&key);
        self.recorded.insert(key, (record, delivered));
    }

    /// A Rollout deleted: its pending incidents go with it (records are garbage-collected).
    pub fn rollout_gone(&mut self, rollout: &RolloutName) {
        self.pending.retain(|_, i| &i.rollout != rollout);
    }

    /// Returns true when a retry was the last one allowed: the incident is given up.
    pub fn finished(&mut self, key: &IncidentKey, outcome: Outcome, now: Instant) -> bool {
        self.inflight.remove(key);
        match outcome {
            Outcome::Delivered | Outcome::Dropped => {
                self.pending.remove(key);
                self.done.insert(key.clone());
                self.attempts.remove(key);
                if let Some((_, delivered)) = self.recorded.get_mut(key) {
                    *delivered |= outcome == Outcome::Delivered;
                }
            }
            Outcome::Retry => {
                let entry = self.attempts.entry(key.clone()).or_insert((0, now));
                entry.0 += 1;
                entry.1 = now + backoff(entry.0);
                if entry.0 >= MAX_ATTEMPTS {
                    tracing::error!(?key, attempts = entry.0, "giving up on incident");
                    self.pending.remove(key);
                    self.done.insert(key.clone());
                    if let Some((_, delivered)) = self.recorded.get_mut(key) {
                        // Stop resuming it; the record stays, marked undelivered.
                        *delivered = true;
                    }
                    return true;
                }
            }
        }
        false
    }

    /// Work to start now, at most `capacity` minus what is in flight.
    pub fn next(&mut self, capacity: usize, now: Instant) -> Vec<Work> {
        if !self.leading || !self.records_synced {
            return Vec::new();
        }
        let mut free = capacity.saturating_sub(self.inflight.len());
        let ready = |k: &IncidentKey, attempts: &HashMap<IncidentKey, (u32, Instant)>| {
            attempts.get(k).is_none_or(|(_, at)| *at <= now)
        };
        let mut work = Vec::new();
        for (key, (record, delivered)) in &self.recorded {
            if free == 0 {
                break;
            }
            if !delivered && !self.inflight.contains(key) && ready(key, &self.attempts) {
                work.push(Work::Resume(key.clone(), record.clone()));
                free -= 1;
            }
        }
        for (key, incident) in &self.pending {
            if free == 0 {
                break;
            }
            if !self.inflight.contains(key)
                && !self.recorded.contains_key(key)
                && ready(key, &self.attempts)
            {
                work.push(Work::Diagnose(incident.clone()));
                free -= 1;
            }
        }
        for w in &work {
            let key = match w {
                Work::Diagnose(i) => i.key.clone(),
                Work::Resume(k, _) => k.clone(),
            };
            self.inflight.insert(key);
        }
        work
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Why pending incidents cannot start although this replica leads: the only wait that is
    /// never normal (a follower waits by design, a retry has its own log line).
    pub fn blocked(&self) -> Option<&'static str> {
        (self.leading && !self.records_synced && !self.pending.is_empty()).then_some(
            "the RolloutDiagnosis index has not synced: is the CRD installed (`rollout-doctor crd`) and may the agent list and watch rolloutdiagnoses?",
        )
    }

    pub fn inflight(&self) -> usize {
        self.inflight.len()
    }

    /// When the next retry becomes due, so the loop can wake for it.
    pub fn next_retry(&self) -> Option<Instant> {
        self.attempts.values().map(|(_, at)| *at).min()
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.min(6)))
}

#[cfg(test)]
mod tests {
    use super::super::incident::Trigger;
    use super::*;

    fn incident(hash: &str) -> Incident {
        Incident {
            key: IncidentKey {
                rollout_uid: "u".into(),
                canary_hash: hash.into(),
                revision: "1".into(),
            },
            rollout: RolloutName {
                namespace: "shop".into(),
                name: "checkout".into(),
            },
            trigger: Trigger::Aborted,
        }
    }

    fn record(name: &str) -> RecordRef {
        RecordRef {
            namespace: "shop".into(),
            name: name.into(),
        }
    }

    #[test]
    fn only_a_synced_leader_starts_work() {
        let now = Instant::now();
        let mut d = Dispatcher::default();
        assert!(d.detected(incident("a")));
        assert!(d.next(4, now).is_empty());
        d.set_leading(true);
        assert!(d.next(4, now).is_empty(), "index not synced yet");
        d.records_synced();
        assert_eq!(d.next(4, now), vec![Work::Diagnose(incident("a"))]);
        assert!(d.next(4, now).is_empty(), "in flight");
        d.finished(&incident("a").key, Outcome::Delivered, now);
        assert!(d.next(4, now).is_empty());
        assert!(!d.detected(incident("a")), "finished incidents stay known");
    }

    #[test]
    fn recorded_incidents_are_never_diagnosed_again() {
        let now = Instant::now();
        let mut d = Dispatcher::default();
        d.recorded(incident("a").key, record("r-a"), true);
        assert!(!d.detected(incident("a")), "duplicate");
        d.set_leading(true);
        d.records_synced();
        assert!(d.next(4, now).is_empty());
    }

    #[test]
    fn undelivered_records_are_resumed_by_the_new_leader() {
        let now = Instant::now();
        let mut d = Dispatcher::default();
        d.recorded(incident("a").key, record("r-a"), false);
        d.set_leading(true);
        d.records_synced();
        assert_eq!(
            d.next(4, now),
            vec![Work::Resume(incident("a").key, record("r-a"))]
        );
        d.finished(&incident("a").key, Outcome::Delivered, now);
        assert!(d.next(4, now).is_empty());
    }

    #[test]
    fn capacity_and_retries() {
        let now = Instant::now();
        let mut d = Dispatcher::default();
        for h in ["a", "b", "c"] {
            d.detected(incident(h));
        }
        d.set_leading(true);
        d.records_synced();
        assert_eq!(d.next(2, now).len(), 2);
        assert_eq!(d.next(2, now).len(), 0);
        d.finished(&incident("a").key, Outcome::Retry, now);
        let next = d.next(2, now);
        assert_eq!(
            next,
            vec![Work::Diagnose(incident("c"))],
            "a waits for its backoff"
        );
        let later = now + Duration::from_secs(5);
        assert_eq!(d.next(3, later), vec![Work::Diagnose(incident("a"))]);
        for _ in 0..MAX_ATTEMPTS {
            d.finished(&incident("a").key, Outcome::Retry, later);
        }
        assert!(!d.pending.contains_key(&incident("a").key), "given up");
    }

    #[test]
    fn a_leader_without_its_record_index_says_why_it_waits() {
        let now = Instant::now();
        let mut d = Dispatcher::default();
        d.detected(incident("a"));
        assert_eq!(d.blocked(), None, "a follower waits by design");
        d.set_leading(true);
        assert!(d.blocked().is_some_and(|why| why.contains("CRD")));
        d.records_synced();
        assert_eq!(d.blocked(), None);
        assert_eq!(d.pending(), 1);
        for _ in 0..MAX_ATTEMPTS - 1 {
            assert!(!d.finished(&incident("a").key, Outcome::Retry, now));
        }
        assert!(
            d.finished(&incident("a").key, Outcome::Retry, now),
            "the last retry gives up"
        );
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn losing_leadership_stops_new_work() {
        let now = Instant::now();
        let mut d = Dispatcher::default();
        d.set_leading(true);
        d.records_synced();
        d.detected(incident("a"));
        d.set_leading(false);
        assert!(d.next(4, now).is_empty());
        d.set_leading(true);
        assert_eq!(d.next(4, now).len(), 1);
    }
}
