//! Answers already paid for: keyed by what was asked (the rendered, redacted prompt), of
//! whom (model) and with which instructions (prompt version).

use super::schema::LlmAnswer;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

pub type Key = [u8; 32];

pub fn key(system: &str, user: &str, model: &str, prompt_version: &str) -> Key {
    let mut h = Sha256::new();
    // Length-prefixed so that moving text between fields changes the key.
    for part in [model, prompt_version, system, user] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

/// Bounded; when full, the least recently used entry goes.
#[derive(Debug)]
pub struct AnswerCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tick: u64,
    entries: HashMap<Key, (u64, CachedAnswer)>,
}

#[derive(Debug, Clone)]
pub struct CachedAnswer {
    pub answer: LlmAnswer,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
}

impl AnswerCache {
    pub fn new(capacity: usize) -> Self {
        AnswerCache {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn get(&self, k: &Key) -> Option<CachedAnswer> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        inner.entries.get_mut(k).map(|(used, a)| {
            *used = tick;
            a.clone()
        })
    }

    pub fn put(&self, k: Key, a: CachedAnswer) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        if inner.entries.len() >= self.capacity
            && !inner.entries.contains_key(&k)
            && let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| *k)
        {
            inner.entries.remove(&oldest);
        }
        inner.entries.insert(k, (tick, a));
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.entries.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::Category;

    fn answer() -> CachedAnswer {
        CachedAnswer {
            answer: LlmAnswer {
                category: Category::OomKilled,
                confidence: 0.9,
                summary: String::new(),
                evidence_ids: vec![],
                remediation_hint: String::new(),
            },
            tokens_in: None,
            tokens_out: None,
        }
    }

    #[test]
    fn keys_are_stable_and_sensitive_to_every_part() {
        let k = key("s", "u", "m", "v1");
        assert_eq!(k, key("s", "u", "m", "v1"));
        assert_ne!(k, key("s", "u", "m", "v2"));
        assert_ne!(k, key("s", "u", "m2", "v1"));
        assert_ne!(k, key("s", "u2", "m", "v1"));
        assert_ne!(key("ab", "c", "m", "v"), key("a", "bc", "m", "v"));
        // Pinned: the same question must map to the same key in every build.
        let hex: String = k[..4].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "8ae275cb");
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let c = AnswerCache::new(2);
        let (a, b, d) = (
            key("a", "", "", ""),
            key("b", "", "", ""),
            key("d", "", "", ""),
        );
        c.put(a, answer());
        c.put(b, answer());
        assert!(c.get(&a).is_some());
        c.put(d, answer());
        assert_eq!(c.len(), 2);
        assert!(c.get(&a).is_some() && c.get(&d).is_some() && c.get(&b).is_none());
    }
}
