//! What each sink last sent per record: the memory that makes a repeat a no-op and a
//! refinement an update. Per process and bounded; a restarted agent starts empty (a resumed
//! delivery then sends once more, which beats never sending).

use super::Route;
use super::routing;
use crate::agent::sink::Delivery;
use crate::diagnosis::Diagnosis;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// Records remembered per sink; the oldest are forgotten first.
const SEEN_MAX: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub(crate) struct SeenEntry {
    pub(crate) fingerprint: u64,
    pub(crate) thread_ts: Option<String>,
}

/// What each record was last notified with, bounded.
#[derive(Default)]
pub(crate) struct Seen {
    map: HashMap<String, SeenEntry>,
    order: VecDeque<String>,
}

impl Seen {
    pub(crate) fn get(&self, record: &str) -> Option<SeenEntry> {
        self.map.get(record).cloned()
    }

    pub(crate) fn put(&mut self, record: &str, entry: SeenEntry) {
        if self.map.insert(record.to_string(), entry).is_none() {
            self.order.push_back(record.to_string());
            while self.order.len() > SEEN_MAX {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }
}

pub(crate) fn fingerprint(d: &Diagnosis) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(d).unwrap_or_default().hash(&mut h);
    h.finish()
}

/// Decides between nothing, a first notification and an update, from what was sent before.
pub(crate) enum Plan {
    Skip,
    Send {
        update: bool,
        previous: Option<SeenEntry>,
    },
}

pub(crate) fn plan(
    seen: &Mutex<Seen>,
    route: &Route,
    sink: &str,
    delivery: &Delivery,
    labels: &BTreeMap<String, String>,
) -> Plan {
    if let Some(why) = routing::rejects(route, &delivery.diagnosis, labels) {
        tracing::debug!(sink, record = %delivery.record, why, "not routed to this sink");
        return Plan::Skip;
    }
    let previous = seen.lock().ok().and_then(|s| s.get(&delivery.record));
    match previous {
        Some(p) if p.fingerprint == fingerprint(&delivery.diagnosis) => Plan::Skip,
        Some(p) => Plan::Send {
            update: true,
            previous: Some(p),
        },
        None => Plan::Send {
            update: false,
            previous: None,
        },
    }
}

pub(crate) fn remember(seen: &Mutex<Seen>, record: &str, d: &Diagnosis, thread_ts: Option<String>) {
    if let Ok(mut s) = seen.lock() {
        s.put(
            record,
            SeenEntry {
                fingerprint: fingerprint(d),
                thread_ts,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_records_are_forgotten_first() {
        let mut s = Seen::default();
        for i in 0..=SEEN_MAX {
            s.put(&format!("r{i}"), SeenEntry::default());
        }
        assert!(s.get("r0").is_none());
        assert!(s.get("r1").is_some() && s.get(&format!("r{SEEN_MAX}")).is_some());
        assert_eq!(s.map.len(), SEEN_MAX);
    }
}
