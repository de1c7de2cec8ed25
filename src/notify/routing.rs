//! Pure routing: which sinks get which diagnosis. Namespace include/exclude, a Kubernetes
//! label selector on the Rollout's labels, a minimum confidence and a category list.

use super::config::Route;
use crate::diagnosis::Diagnosis;
use std::collections::BTreeMap;

/// Equality- and set-based requirements, as `kubectl -l` understands them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector(pub Vec<Requirement>);

impl Selector {
    pub fn parse(s: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        for part in split_top_level(s) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            reqs.push(requirement(part)?);
        }
        Ok(Selector(reqs))
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Eq(k, v) => labels.get(k) == Some(v),
            // As in Kubernetes: a missing key satisfies `!=` and `notin`.
            Requirement::NotEq(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
        })
    }
}

/// Commas separate requirements except inside `in (a,b)` value lists.
fn split_top_level(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn requirement(p: &str) -> Result<Requirement, String> {
    let valid = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    };
    let key = |k: &str| {
        let k = k.trim();
        if valid(k) {
            Ok(k.to_string())
        } else {
            Err(format!("bad label key in {p:?}"))
        }
    };
    if let Some(k) = p.strip_prefix('!') {
        return Ok(Requirement::NotExists(key(k)?));
    }
    if let Some((k, v)) = p.split_once("!=") {
        return Ok(Requirement::NotEq(key(k)?, v.trim().into()));
    }
    if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
        return Ok(Requirement::Eq(key(k)?, v.trim().into()));
    }
    for (op, notin) in [(" notin ", true), (" in ", false)] {
        if let Some((k, rest)) = p.split_once(op) {
            let list = rest
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| format!("expected (a,b) after {} in {p:?}", op.trim()))?;
            let values: Vec<String> = list
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            let k = key(k)?;
            return Ok(if notin {
                Requirement::NotIn(k, values)
            } else {
                Requirement::In(k, values)
            });
        }
    }
    Ok(Requirement::Exists(key(p)?))
}

/// Why a route turned a diagnosis away; `None` means it is delivered.
pub fn rejects(route: &Route, d: &Diagnosis, labels: &BTreeMap<String, String>) -> Option<String> {
    let ns = &d.rollout.namespace;
    if !route.namespaces.is_empty() && !route.namespaces.contains(ns) {
        return Some(format!("namespace {ns} not selected"));
    }
    if route.exclude_namespaces.contains(ns) {
        return Some(format!("namespace {ns} excluded"));
    }
    if d.confidence < route.min_confidence {
        return Some(format!(
            "confidence {:.2} below {:.2}",
            d.confidence, route.min_confidence
        ));
    }
    if !route.categories.is_empty() && !route.categories.contains(&d.category) {
        return Some(format!("category {} not selected", d.category));
    }
    if let Some(sel) = &route.selector {
        // An unparsable selector was refused at start; here it routes nothing rather than all.
        let ok = Selector::parse(sel).is_ok_and(|s| s.matches(labels));
        if !ok {
            return Some("rollout labels do not match the selector".into());
        }
    }
    None
}

impl Route {
    /// What would make the route fail at the first incident rather than at start.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err("min_confidence must be within 0..1".into());
        }
        if let Some(sel) = &self.selector {
            Selector::parse(sel).map_err(|e| format!("selector: {e}"))?;
        }
        Ok(())
    }
}

/// The names of the routes that accept this diagnosis, in configuration order.
pub fn select<'a>(
    routes: &'a [(String, Route)],
    d: &Diagnosis,
    labels: &BTreeMap<String, String>,
) -> Vec<&'a str> {
    routes
        .iter()
        .filter(|(_, r)| rejects(r, d, labels).is_none())
        .map(|(n, _)| n.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selector_grammar() {
        let s = Selector::parse("team=payments, tier!=batch,env in (prod, staging),!legacy,canary")
            .unwrap();
        assert_eq!(s.0.len(), 5);
        let l = labels(&[("team", "payments"), ("env", "prod"), ("canary", "")]);
        assert!(s.matches(&l));
        assert!(!s.matches(&labels(&[
            ("team", "payments"),
            ("env", "dev"),
            ("canary", "")
        ])));
        assert!(!s.matches(&labels(&[
            ("team", "payments"),
            ("env", "prod"),
            ("canary", ""),
            ("legacy", "1")
        ])));
        assert!(Selector::parse("env in prod").is_err());
        assert!(Selector::parse("=x").is_err());
        assert!(Selector::parse("").unwrap().matches(&BTreeMap::new()));
    }

    #[test]
    fn missing_key_satisfies_negations() {
        let s = Selector::parse("tier!=batch,env notin (dev)").unwrap();
        assert!(s.matches(&BTreeMap::new()));
    }
}
