//! The hybrid decision: what the LLM said, checked against the evidence and the rules.
//!
//! The LLM can change the category and the words, never what the agent may change: every
//! remediation comes from a rules finding over the evidence, or is `investigate`.

use super::schema::LlmAnswer;
use crate::analysis::rules::{self, DECISIVE, Finding, RulesOutcome};
use crate::diagnosis::{self, Action, Category, Diagnosis, Engine};
use crate::evidence::Evidence;
use crate::redact::Redactor;
use serde::{Deserialize, Serialize};

/// What became of the LLM's opinion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LlmOutcome {
    /// The LLM's category is the diagnosis (agreeing with the rules, or backed by evidence).
    Adopted,
    /// The LLM disagreed without the evidence to overrule the rules.
    RulesKept,
    /// The LLM failed (unreachable, slow, invalid, over budget); the rules decided alone.
    Fallback,
    /// Not consulted: the rules were confident (`--llm auto`).
    Skipped,
}

/// The LLM's part in a diagnosis, recorded beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmOpinion {
    pub model: String,
    pub prompt_version: String,
    pub rules_category: Category,
    pub rules_confidence: f64,
    pub llm_category: Option<Category>,
    pub llm_confidence: Option<f64>,
    pub agrees: Option<bool>,
    pub outcome: LlmOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
    /// Cited ids that name nothing in the evidence (dropped; they lowered the confidence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped_citations: Vec<String>,
    pub cached: bool,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
}

/// An answer whose citations were checked against the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub answer: LlmAnswer,
    /// Cited ids that exist, deduplicated, in the LLM's order.
    pub valid: Vec<String>,
    pub invented: Vec<String>,
}

/// Each invented id multiplies the confidence by this: a model that makes up one citation
/// is less trustworthy about the rest.
pub const INVENTED_PENALTY: f64 = 0.7;

pub fn check(mut answer: LlmAnswer, ev: &Evidence) -> Checked {
    let items = ev.items();
    let (mut valid, mut invented) = (Vec::new(), Vec::new());
    for id in &answer.evidence_ids {
        // Tolerate the brackets the prompt shows around ids.
        let id = id
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if valid.contains(&id) || invented.contains(&id) {
            continue;
        }
        if items.iter().any(|i| i.id == id) {
            valid.push(id);
        } else {
            invented.push(id);
        }
    }
    // Bounded so a flood of invented ids cannot bloat the diagnosis.
    invented.truncate(20);
    answer.confidence *= INVENTED_PENALTY.powi(invented.len().min(20) as i32);
    answer.evidence_ids = valid.clone();
    Checked {
        answer,
        valid,
        invented,
    }
}

/// How the LLM's category relates to the rules, decided from facts alone.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Agree,
    /// The LLM's category, with the rules' finding for it (remediation from evidence).
    AdoptWithFinding(Box<Finding>),
    /// The LLM's category on its cited evidence alone; the remediation is `investigate`.
    AdoptCited,
    KeepRules,
}

pub fn rules_confident(rules: &RulesOutcome) -> bool {
    rules.decision.confidence >= DECISIVE && rules.decision.category != Category::Unknown
}

/// The decision table (see the unit tests for every row).
pub fn verdict(
    rules: &RulesOutcome,
    llm: Category,
    llm_finding: Option<Finding>,
    valid_citations: usize,
) -> Verdict {
    if llm == rules.decision.category {
        return Verdict::Agree;
    }
    // "No cause" is not something to act on over a finding the rules hold.
    if llm == Category::Unknown {
        return Verdict::KeepRules;
    }
    match llm_finding {
        // Overruling confident rules takes a decisive finding of the rules themselves plus
        // the LLM pointing at real evidence: text in a log line alone (an injected
        // "classify as manual_abort") can never do it.
        Some(f) if rules_confident(rules) => {
            if f.confidence >= DECISIVE && valid_citations > 0 {
                Verdict::AdoptWithFinding(Box::new(f))
            } else {
                Verdict::KeepRules
            }
        }
        _ if rules_confident(rules) => Verdict::KeepRules,
        Some(f) if valid_citations > 0 => Verdict::AdoptWithFinding(Box::new(f)),
        None if valid_citations > 0 => Verdict::AdoptCited,
        _ => Verdict::KeepRules,
    }
}

/// The final diagnosis from the rules outcome and a checked answer. `opinion` arrives with
/// the call's facts (model, version, tokens, cache) and leaves with the decision's.
pub fn combine(
    ev: &Evidence,
    rules: RulesOutcome,
    checked: &Checked,
    redactor: &Redactor,
    mut opinion: LlmOpinion,
) -> Diagnosis {
    let llm_cat = checked.answer.category;
    let llm_conf = round2(checked.answer.confidence);
    let finding = if llm_cat == rules.decision.category {
        None
    } else {
        rules::finding_for(ev, llm_cat)
    };
    let v = verdict(&rules, llm_cat, finding, checked.valid.len());
    opinion.llm_category = Some(llm_cat);
    opinion.llm_confidence = Some(llm_conf);
    opinion.agrees = Some(v == Verdict::Agree);
    opinion.dropped_citations = checked.invented.clone();
    opinion.fallback_reason = None;
    let summary = sanitize(&checked.answer.summary, 400, redactor);
    let rules_conf = rules.decision.confidence;

    let (outcome, engine, decision, alternatives, rule) = match v {
        Verdict::KeepRules => {
            let rule = Some(rules.decision.rule.to_owned());
            (
                LlmOutcome::RulesKept,
                Engine::Rules,
                rules.decision,
                rules.alternatives,
                rule,
            )
        }
        Verdict::Agree => {
            let mut d = rules.decision;
            if d.category != Category::Unknown {
                d.confidence =
                    (rules_conf + (1.0 - rules_conf) * checked.answer.confidence * 0.5).min(0.99);
            }
            if !summary.is_empty() {
                d.summary = summary;
            }
            merge_ids(&mut d.evidence, &checked.valid);
            let rule = Some(d.rule.to_owned());
            (
                LlmOutcome::Adopted,
                Engine::Hybrid,
                d,
                rules.alternatives,
                rule,
            )
        }
        Verdict::AdoptWithFinding(f) => {
            let mut d = *f;
            d.confidence = ((checked.answer.confidence + d.confidence) / 2.0).min(0.95);
            if !summary.is_empty() {
                d.summary = summary;
            }
            merge_ids(&mut d.evidence, &checked.valid);
            let rule = Some(d.rule.to_owned());
            let alts = demote(rules, llm_cat);
            (LlmOutcome::Adopted, Engine::Llm, d, alts, rule)
        }
        Verdict::AdoptCited => {
            let hint = match sanitize(&checked.answer.remediation_hint, 200, redactor) {
                h if h.is_empty() => format!("check the cited evidence for {llm_cat}"),
                h => h,
            };
            let d = Finding {
                category: llm_cat,
                // Not corroborated by any rule: never as sure as a rule.
                confidence: (checked.answer.confidence * 0.8).min(0.6),
                rule: "llm",
                summary: if summary.is_empty() {
                    llm_cat.describe().to_owned()
                } else {
                    summary
                },
                evidence: checked.valid.clone(),
                action: Action::Investigate { hint },
            };
            let alts = demote(rules, llm_cat);
            (LlmOutcome::Adopted, Engine::Llm, d, alts, None)
        }
    };
    let mut diag = diagnosis::from_rules(
        ev,
        RulesOutcome {
            decision,
            alternatives,
        },
    );
    diag.engine = engine;
    diag.rule = rule;
    opinion.outcome = outcome;
    diag.llm = Some(opinion);
    diag
}

/// The rules' answer with the LLM's part recorded; every failure path ends here.
pub fn rules_only(ev: &Evidence, rules: RulesOutcome, opinion: Option<LlmOpinion>) -> Diagnosis {
    let mut d = diagnosis::from_rules(ev, rules);
    d.llm = opinion;
    d
}

/// The rules' decision becomes an alternative when the LLM's category wins.
fn demote(rules: RulesOutcome, chosen: Category) -> Vec<Finding> {
    let mut alts: Vec<Finding> = std::iter::once(rules.decision)
        .chain(rules.alternatives)
        .filter(|f| f.category != chosen && f.category != Category::Unknown)
        .collect();
    alts.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    alts
}

fn merge_ids(into: &mut Vec<String>, more: &[String]) {
    for id in more {
        if !into.contains(id) {
            into.push(id.clone());
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// LLM text made safe to show: redacted, one paragraph, bounded, no control characters.
pub fn sanitize(s: &str, max_chars: usize, redactor: &Redactor) -> String {
    let redacted = redactor.text(s);
    let flat: String = redacted
        .chars()
        .map(|c| {
            if c.is_control() || c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let collapsed = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(max_chars.saturating_sub(1)) {
        Some((i, _)) if collapsed.chars().count() > max_chars => {
            format!("{}…", collapsed[..i].trim_end())
        }
        _ => collapsed,
    }
}

#[cfg(test)]
mod tests;
