//! Fits evidence into a token budget. The least useful items go first (noise logs, Normal
//! events, older revisions, old measurements, ...); cited items are never dropped; every cut
//! is counted in [`Truncation`], so a reader knows what is missing.

use super::model::*;
use serde::Serialize;

/// Longest text kept in any one field before the budget even starts.
pub const MAX_FIELD_CHARS: usize = 1000;

/// Approximates BPE token counts (cl100k-like): word pieces of ~4 characters, one token per
/// punctuation mark, whitespace folded into the next token.
pub fn estimate_tokens(s: &str) -> usize {
    let mut tokens = 0;
    let mut run = 0usize;
    for ch in s.chars() {
        if ch.is_alphanumeric() {
            run += 1;
        } else {
            tokens += run.div_ceil(4);
            run = 0;
            if !ch.is_whitespace() {
                tokens += 1;
            }
        }
    }
    tokens + run.div_ceil(4)
}

fn cost<T: Serialize>(v: &T) -> usize {
    serde_json::to_string(v)
        .map(|s| estimate_tokens(&s))
        .unwrap_or(0)
}

/// Cuts one text to `max` characters with a marker saying how much went.
pub fn clip(s: &mut String, max: usize) {
    let total = s.chars().count();
    if total > max
        && let Some((i, _)) = s.char_indices().nth(max)
    {
        s.truncate(i);
        s.push_str(&format!("…[+{} chars]", total - max));
    }
}

pub fn fit(mut ev: Evidence, budget: usize, keep: &[String]) -> Evidence {
    clip_fields(&mut ev);
    let mut used = cost(&ev);
    let mut dropped = std::collections::BTreeMap::<String, usize>::new();
    let kept = |id: &str| keep.iter().any(|k| k == id);

    // Each pass removes items of one kind from the least useful end until the budget fits.
    macro_rules! shed {
        ($kind:expr, $list:expr, $droppable:expr) => {
            while used > budget {
                let Some(pos) = $list.iter().rposition(|x| $droppable(x)) else {
                    break;
                };
                used = used.saturating_sub(cost(&$list[pos]));
                $list.remove(pos);
                *dropped.entry($kind.to_owned()).or_default() += 1;
            }
        };
    }
    shed!("log_findings", ev.logs.findings, |f: &LogFinding| f.class
        == LogClass::Noise
        && !kept(&f.id));
    shed!("events", ev.events, |e: &EventFact| e.type_.as_deref()
        != Some("Warning")
        && !kept(&e.id));
    shed!("pods", ev.pods, |p: &PodFacts| p.role == Role::Other
        && !cited_pod(p, &kept));
    for run in &mut ev.analysis {
        for m in &mut run.metrics {
            while used > budget && m.measurements.len() > 1 {
                used = used.saturating_sub(cost(&m.measurements[0]));
                m.measurements.remove(0);
                m.dropped_measurements += 1;
                *dropped.entry("measurements".to_owned()).or_default() += 1;
            }
        }
    }
    shed!("log_findings", ev.logs.findings, |f: &LogFinding| f.class
        == LogClass::Error
        && !kept(&f.id));
    shed!("pods", ev.pods, |p: &PodFacts| p.role == Role::Stable
        && !cited_pod(p, &kept));
    shed!("events", ev.events, |e: &EventFact| !kept(&e.id));
    shed!("log_streams", ev.logs.streams, |_: &LogStream| true);
    shed!("log_findings", ev.logs.findings, |f: &LogFinding| !kept(
        &f.id
    ));
    shed!(
        "spec_changes",
        ev.spec_diff.changes,
        |c: &SpecChange| !kept(&c.id)
    );
    shed!("pods", ev.pods, |p: &PodFacts| !cited_pod(p, &kept));

    ev.truncation = Truncation {
        budget_tokens: budget,
        used_tokens: used,
        dropped,
    };
    ev
}

fn cited_pod(p: &PodFacts, kept: &dyn Fn(&str) -> bool) -> bool {
    kept(&p.id)
        || p.containers.iter().any(|c| kept(&c.id))
        || p.conditions.iter().any(|c| kept(&c.id))
}

fn clip_fields(ev: &mut Evidence) {
    let clip_opt = |s: &mut Option<String>| {
        if let Some(s) = s {
            clip(s, MAX_FIELD_CHARS)
        }
    };
    clip_opt(&mut ev.incident.message);
    for e in &mut ev.events {
        clip_opt(&mut e.message);
    }
    for f in &mut ev.logs.findings {
        clip(&mut f.example, MAX_FIELD_CHARS);
        clip(&mut f.template, MAX_FIELD_CHARS);
    }
    for run in &mut ev.analysis {
        clip_opt(&mut run.message);
        for m in &mut run.metrics {
            clip_opt(&mut m.message);
            clip_opt(&mut m.query);
            for x in &mut m.measurements {
                clip_opt(&mut x.message);
                clip_opt(&mut x.value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_estimate_is_in_the_right_range() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("hello world"), 4);
        assert_eq!(estimate_tokens(r#"{"a":1}"#), 7);
        // ~1 token per 4 chars of prose, within a factor that matters for budgeting.
        let prose =
            "the canary container was killed because it exceeded its memory limit ".repeat(10);
        let t = estimate_tokens(&prose);
        assert!((120..=260).contains(&t), "{t}");
    }

    #[test]
    fn clip_marks_what_it_cut() {
        let mut s = "é".repeat(12);
        clip(&mut s, 10);
        assert_eq!(s, format!("{}…[+2 chars]", "é".repeat(10)));
        let mut short = "abc".to_owned();
        clip(&mut short, 10);
        assert_eq!(short, "abc");
    }
}

#[cfg(test)]
mod fit_tests {
    use super::*;
    use crate::evidence::testing::*;

    fn noisy() -> Evidence {
        let mut ev = base();
        ev.pods.push(pod(
            Role::Canary,
            false,
            waiting("CrashLoopBackOff"),
            Some(terminated("OOMKilled", 137)),
            4,
        ));
        ev.pods.push(pod(Role::Stable, true, running(), None, 0));
        for n in 1..=60 {
            let class = if n <= 5 {
                LogClass::NewInCanary
            } else {
                LogClass::Noise
            };
            ev.logs.findings.push(log(
                n,
                class,
                LogLevel::Info,
                &format!("GET /api/items/{n} 200 served in 12ms by worker pool {n}"),
                40,
                40,
                false,
            ));
            ev.events.push(event(
                n,
                Role::Canary,
                if n % 10 == 0 { "Warning" } else { "Normal" },
                "Pulled",
                "Container image already present on machine",
                1,
            ));
        }
        ev.analysis
            .push(metric("Failed", &["[0.2]"; 20], "prometheus"));
        ev
    }

    #[test]
    fn fits_the_budget_dropping_the_least_useful_first_and_counting() {
        let ev = noisy();
        let full = estimate_tokens(&serde_json::to_string(&ev).unwrap());
        let keep = vec!["log/58".to_owned(), "pod/checkout-c-1/app".to_owned()];
        let fitted = fit(ev.clone(), 2500, &keep);
        let used = estimate_tokens(&serde_json::to_string(&fitted).unwrap());
        assert!(full > 3000, "fixture too small: {full}");
        assert!(used <= 2500, "used {used} of 2500");
        let t = &fitted.truncation;
        assert!(
            t.dropped["log_findings"] > 0 && t.dropped["events"] > 0,
            "{t:?}"
        );
        // Cited items survive; signal survives noise.
        assert!(fitted.logs.findings.iter().any(|f| f.id == "log/58"));
        assert!(
            fitted
                .logs
                .findings
                .iter()
                .filter(|f| f.class == LogClass::NewInCanary)
                .count()
                == 5
        );
        assert!(fitted.pods.iter().any(|p| p.role == Role::Canary));
        // Every dropped item is counted.
        let kept_logs =
            fitted.logs.findings.len() + t.dropped.get("log_findings").copied().unwrap_or(0);
        assert_eq!(kept_logs, 60);
        let kept_events = fitted.events.len() + t.dropped.get("events").copied().unwrap_or(0);
        assert_eq!(kept_events, 60);
    }

    #[test]
    fn a_generous_budget_cuts_nothing() {
        let fitted = fit(noisy(), 1_000_000, &[]);
        assert!(fitted.truncation.is_empty());
        assert_eq!(fitted.logs.findings.len(), 60);
    }
}
