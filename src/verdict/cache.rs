//! A short-lived cache of statistical verdicts. Argo measures every `interval` (often a few
//! seconds, from several AnalysisRuns at once); within the TTL the answer cannot meaningfully
//! change, so repeats cost a map lookup instead of Prometheus and API calls.

use super::request::Checked;
use super::service::Judged;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    namespace: String,
    rollout: String,
    canary: String,
    stable: String,
    /// Metric set, window, step and explicit end, hashed: the request minus what is above.
    shape: u64,
}

impl Key {
    pub fn new(c: &Checked, canary: &str, stable: &str) -> Key {
        let mut h = DefaultHasher::new();
        // serde_json of the metric list is stable for equal requests and cheap at this size.
        serde_json::to_string(&c.req.metrics)
            .unwrap_or_default()
            .hash(&mut h);
        c.window.hash(&mut h);
        c.step.hash(&mut h);
        c.req.end.map(f64::to_bits).hash(&mut h);
        Key {
            namespace: c.req.namespace.clone(),
            rollout: c.req.rollout.clone(),
            canary: canary.to_owned(),
            stable: stable.to_owned(),
            shape: h.finish(),
        }
    }
}

const MAX_ENTRIES: usize = 10_000;

pub struct Cache {
    ttl: Duration,
    entries: Mutex<HashMap<Key, (Instant, Judged)>>,
}

impl Cache {
    pub fn new(ttl: Duration) -> Cache {
        Cache {
            ttl,
            entries: Mutex::default(),
        }
    }

    pub fn get(&self, key: &Key) -> Option<Judged> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, r)| r.clone())
    }

    pub fn put(&self, key: Key, resp: Judged) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), resp));
    }
}
