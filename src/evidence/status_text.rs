//! Reads the sentences the Argo Rollouts controller writes into statuses (v0.x to 1.8): the
//! abort message, metric assessments, deadline and creation failures. Pure parsers; what a
//! sentence claims is decided here once, so every rule reads the same meaning.
//!
//! Shapes (all seen across versions; quotes may arrive JSON-escaped from copied events):
//! - `Rollout aborted update to revision 7` (an operator abort has nothing after it)
//! - `Rollout aborted update to revision 7: <why>`; since 1.6 `<why>` starts with
//!   `Step-based|Background|Blue/green pre-promotion|Blue/green post-promotion analysis phase
//!   error/failed: `; with `progressDeadlineAbort` it is the deadline sentence
//! - `metric "x" assessed Failed due to failed (1) > failureLimit (0)` (v0.x lower case,
//!   `Metric` since 1.1), `... assessed Error due to consecutiveErrors (5) >
//!   consecutiveErrorLimit (4): "Error Message: <provider error>"`, `... assessed
//!   Inconclusive due to inconclusive (2) > inconclusiveLimit (1)`
//! - AnalysisRun events: `Metric 'x' Completed. Result: Failed`
//! - `ReplicaSet "x" has timed out progressing.` / `Rollout "x" has timed out progressing.`
//! - ReplicaFailure / ReplicaSetCreateError: `pods "x-" is forbidden: exceeded quota: …`,
//!   `Failed to create new replica set "x": …`

use regex::Regex;
use std::sync::LazyLock;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Failed,
    Error,
    Inconclusive,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        match s.to_ascii_lowercase().as_str() {
            "failed" => Some(Outcome::Failed),
            "error" => Some(Outcome::Error),
            "inconclusive" => Some(Outcome::Inconclusive),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Failed => "Failed",
            Outcome::Error => "Error",
            Outcome::Inconclusive => "Inconclusive",
        }
    }
}

/// One metric verdict the controller stated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricAssessment {
    pub metric: String,
    pub outcome: Outcome,
    /// The counter that crossed its limit: (`failed` | `inconclusive` | `consecutiveErrors`,
    /// count, limit).
    pub limit: Option<(String, i64, i64)>,
    /// What the provider said on its last measurement (`Error Message: …`).
    pub provider_message: Option<String>,
}

static ASSESSED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)metric\s+\\?"(?P<name>[^"\\]+)\\?"\s+assessed\s+(?P<phase>failed|error|inconclusive)(?:\s+due\s+to\s+(?P<kind>failed|inconclusive|consecutiveErrors)\s*\((?P<n>\d+)\)\s*>?\s*\w*\s*\((?P<limit>\d+)\))?(?::\s*\\?"?\s*Error\s+Message:\s*(?P<err>.*?)\\?"?\s*$)?"#,
    )
});
static COMPLETED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)metric\s+'(?P<name>[^']+)'\s+completed\.\s+result:\s+(?P<phase>failed|error|inconclusive)"#,
    )
});

/// Every metric verdict in a text, in order. A dry-run message names no metric and is skipped:
/// a dry run decides nothing.
pub fn metric_assessments(text: &str) -> Vec<MetricAssessment> {
    let mut out: Vec<MetricAssessment> = Vec::new();
    for line in text.lines() {
        for c in ASSESSED
            .captures_iter(line)
            .chain(COMPLETED.captures_iter(line))
        {
            let Some(outcome) = Outcome::parse(&c["phase"]) else {
                continue;
            };
            let num = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<i64>().ok());
            let limit = match (c.name("kind"), num("n"), num("limit")) {
                (Some(k), Some(n), Some(l)) => Some((k.as_str().to_owned(), n, l)),
                _ => None,
            };
            let provider_message = c
                .name("err")
                .map(|m| m.as_str().trim().trim_end_matches('"').to_owned())
                .filter(|m| !m.is_empty());
            let metric = c["name"].to_owned();
            // The same verdict may be written twice (condition and status.message): keep the
            // fuller one.
            match out
                .iter_mut()
                .find(|a| a.metric == metric && a.outcome == outcome)
            {
                Some(prev) => {
                    prev.limit = prev.limit.take().or(limit);
                    prev.provider_message = prev.provider_message.take().or(provider_message);
                }
                None => out.push(MetricAssessment {
                    metric,
                    outcome,
                    limit,
                    provider_message,
                }),
            }
        }
    }
    out
}

/// Which analysis an abort names (1.6+ prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisOrigin {
    Step,
    Background,
    PrePromotion,
    PostPromotion,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbortText {
    pub revision: Option<String>,
    pub origin: Option<AnalysisOrigin>,
    /// What follows the revision (and the origin prefix), if anything.
    pub detail: Option<String>,
}

static ABORTED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?is)rollout\s+(?:aborted\s+update\s+to\s+revision\s+(?P<rev>\d+)|is\s+aborted)\s*(?::\s*(?P<rest>.*))?$",
    )
});
static ORIGIN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?is)^\s*(?P<origin>step-based|background|blue/green\s+pre-promotion|blue/green\s+post-promotion)\s+analysis\s+phase\s+error/failed\s*:?\s*(?P<rest>.*)$",
    )
});

/// The abort sentence, from a condition message or `status.message` (its `RolloutAborted: `
/// prefix is allowed).
pub fn abort_text(text: &str) -> Option<AbortText> {
    let c = ABORTED.captures(text)?;
    let mut detail = c.name("rest").map(|m| m.as_str().trim().to_owned());
    let mut origin = None;
    if let Some(o) = detail.as_deref().and_then(|d| ORIGIN.captures(d)) {
        let word = o["origin"].to_ascii_lowercase();
        origin = Some(if word.starts_with("step") {
            AnalysisOrigin::Step
        } else if word.starts_with("background") {
            AnalysisOrigin::Background
        } else if word.contains("pre-") {
            AnalysisOrigin::PrePromotion
        } else {
            AnalysisOrigin::PostPromotion
        });
        detail = Some(o["rest"].trim().to_owned());
    }
    Some(AbortText {
        revision: c.name("rev").map(|m| m.as_str().to_owned()),
        origin,
        detail: detail.filter(|d| !d.is_empty()),
    })
}

static TIMED_OUT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?P<kind>replicaset|rollout|experiment)\s+\\?["']?(?P<name>[^"'\\\s]+)\\?["']?\s+(?:owned\s+by\s+the\s+rollout\s+\S+\s+)?has\s+timed\s+out(?:\s+progressing)?|progressdeadlineexceeded"#,
    )
});

/// The deadline sentence: `Some(Some(rs))` when it names the ReplicaSet that timed out.
pub fn deadline_text(text: &str) -> Option<Option<String>> {
    let c = TIMED_OUT.captures(text)?;
    let named = c
        .name("kind")
        .filter(|k| k.as_str().eq_ignore_ascii_case("replicaset"))
        .and(c.name("name"))
        .map(|m| m.as_str().to_owned());
    Some(named)
}

/// A workload failure a status sentence names in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadCause {
    ImagePull,
    /// Quota, admission, pod security, service account: pods cannot be created.
    CannotCreate,
    /// The scheduler found no node.
    Unschedulable,
    OutOfMemory,
    ConfigMissing,
    /// The API server rejected the generated object as invalid.
    InvalidObject,
}

static CAUSES: LazyLock<[(WorkloadCause, Regex); 6]> = LazyLock::new(|| {
    [
        (
            WorkloadCause::ImagePull,
            re(
                r"(?i)ErrImagePull|ImagePullBackOff|InvalidImageName|failed\s+to\s+pull\s+image|pull\s+access\s+denied|manifest\s+unknown",
            ),
        ),
        (
            WorkloadCause::CannotCreate,
            re(
                r"(?i)exceeded\s+quota|is\s+forbidden|admission\s+webhook\s+\S+\s+denied|violates\s+PodSecurity|serviceaccount\s+\S+\s+not\s+found|must\s+specify\s+limits|maximum\s+\w+\s+usage",
            ),
        ),
        (
            WorkloadCause::Unschedulable,
            re(
                r"(?i)FailedScheduling|\d+/\d+\s+nodes\s+are\s+available|Insufficient\s+(cpu|memory|nvidia)|didn't\s+match\s+(Pod's\s+)?node\s+(affinity|selector)|untolerated\s+taint|unbound\s+immediate\s+PersistentVolumeClaims",
            ),
        ),
        (
            WorkloadCause::OutOfMemory,
            re(r"(?i)OOMKilled|out\s+of\s+memory"),
        ),
        (
            WorkloadCause::ConfigMissing,
            re(
                r#"(?i)CreateContainerConfigError|(?:secret|configmap)\s+\\?"[^"\\]+\\?"\s+not\s+found|couldn't\s+find\s+key\s+\S+\s+in\s+(?:Secret|ConfigMap)"#,
            ),
        ),
        (
            WorkloadCause::InvalidObject,
            re(r"(?i)\bis\s+invalid:|Invalid\s+value:|Required\s+value|Unsupported\s+value"),
        ),
    ]
});

/// The first workload cause a sentence names, most specific family first.
pub fn workload_cause(text: &str) -> Option<WorkloadCause> {
    CAUSES
        .iter()
        .find(|(_, re)| re.is_match(text))
        .map(|(c, _)| *c)
}

#[cfg(test)]
#[path = "status_text_tests.rs"]
mod tests;
