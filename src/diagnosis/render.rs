//! Human renderings of a diagnosis: a terminal text (cause first, then evidence) and
//! Markdown (tickets, pull requests, chat).

use super::{Diagnosis, EvidenceItem};
use std::fmt::Write;

/// Long lines are cut for terminals; the JSON output keeps them whole.
fn clip(s: &str, max: usize) -> String {
    let one_line = s.replace('\n', " ⏎ ");
    match one_line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

fn context_line(d: &Diagnosis) -> String {
    let i = &d.incident;
    let mut parts = vec![
        format!("{:?}", i.phase),
        format!("{:?}", i.strategy).to_lowercase(),
    ];
    if let Some(r) = &i.revision {
        parts.push(format!("revision {r}"));
    }
    if let Some(idx) = i.step_index {
        parts.push(match &i.current_step {
            Some(s) => format!("step {idx} ({s})"),
            None => format!("step {idx}"),
        });
    }
    parts.join(" · ")
}

fn images_line(d: &Diagnosis) -> Option<String> {
    let i = &d.incident;
    (!i.canary_image.is_empty() || !i.stable_image.is_empty()).then(|| {
        let join = |v: &[String]| {
            if v.is_empty() {
                "?".to_owned()
            } else {
                v.join(", ")
            }
        };
        if i.canary_image == i.stable_image {
            join(&i.canary_image)
        } else {
            format!(
                "stable {} → canary {}",
                join(&i.stable_image),
                join(&i.canary_image)
            )
        }
    })
}

/// "canary 2 of 3 pods, 840 lines · stable 0 of 2 pods": says when the log comparison is thin.
fn logs_line(d: &Diagnosis) -> Option<String> {
    let parts: Vec<String> = d
        .incident
        .logs
        .iter()
        .filter(|c| c.role != crate::evidence::Role::Other || c.pods_read > 0)
        .map(|c| {
            let role = format!("{:?}", c.role).to_lowercase();
            let lines = if c.pods_read > 0 {
                format!(", {} line{}", c.lines, if c.lines == 1 { "" } else { "s" })
            } else {
                String::new()
            };
            format!(
                "{role} {} of {} pod{}{lines}",
                c.pods_read,
                c.pods,
                if c.pods == 1 { "" } else { "s" }
            )
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

pub fn text(d: &Diagnosis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} (confidence {:.2})",
        d.rollout, d.category, d.confidence
    );
    let _ = writeln!(out, "{}", d.summary);
    let _ = writeln!(out);
    let _ = writeln!(out, "  rollout   {}", context_line(d));
    if let Some(images) = images_line(d) {
        let _ = writeln!(out, "  images    {images}");
    }
    if let Some(logs) = logs_line(d) {
        let _ = writeln!(out, "  logs      {logs}");
    }
    if let Some(m) = &d.incident.message {
        let _ = writeln!(out, "  message   {}", clip(m, 160));
    }
    let _ = writeln!(
        out,
        "  fix       {}: {}",
        d.remediation.action.name(),
        d.remediation.description
    );
    if !d.evidence.is_empty() {
        let _ = writeln!(out, "\nEvidence");
        for e in &d.evidence {
            let _ = writeln!(out, "  [{:<8}] {}", e.source.as_str(), clip(&e.ref_, 110));
            let _ = writeln!(out, "             {}", clip(&e.text, 200));
        }
    }
    footer(&mut out, d, "");
    // Logs and object fields are untrusted: nothing reaches a terminal as a control character.
    crate::text::visible(&out).into_owned()
}

fn footer(out: &mut String, d: &Diagnosis, bullet: &str) {
    if !d.alternatives.is_empty() {
        let alts: Vec<String> = d
            .alternatives
            .iter()
            .map(|a| format!("{} {:.2}", a.category, a.confidence))
            .collect();
        let _ = writeln!(out, "\n{bullet}Also considered: {}", alts.join(", "));
    }
    if !d.gaps.is_empty() {
        let _ = writeln!(out, "\n{bullet}Not available ({}):", d.gaps.len());
        for g in d.gaps.iter().take(8) {
            let _ = writeln!(out, "  - {} {}: {}", g.source, g.ref_, g.reason);
        }
        if d.gaps.len() > 8 {
            let _ = writeln!(out, "  - … and {} more", d.gaps.len() - 8);
        }
    }
    let _ = writeln!(
        out,
        "\n{bullet}engine {:?}, rule {}",
        d.engine,
        d.rule.as_deref().unwrap_or("-")
    );
    if let Some(l) = &d.llm {
        let _ = writeln!(out, "{bullet}{}", llm_line(l));
    }
}

fn llm_line(l: &crate::llm::LlmOpinion) -> String {
    let said = match (l.llm_category, l.llm_confidence) {
        (Some(c), Some(p)) => format!("{c} ({p:.2})"),
        (Some(c), None) => c.to_string(),
        _ => "-".into(),
    };
    let agrees = match l.agrees {
        Some(true) => "agrees with the rules",
        Some(false) => "disagrees with the rules",
        None => "no opinion",
    };
    use crate::llm::LlmOutcome;
    let outcome = match l.outcome {
        LlmOutcome::Adopted => "adopted",
        LlmOutcome::RulesKept => "rules kept",
        LlmOutcome::Fallback => "fallback to rules",
        LlmOutcome::Skipped => "not asked (rules confident)",
    };
    let mut s = format!(
        "llm {} (prompt {}): {said}, {agrees}, {outcome}",
        l.model, l.prompt_version
    );
    if let Some(r) = &l.fallback_reason {
        s.push_str(&format!(" ({r})"));
    }
    if l.cached {
        s.push_str(", cached");
    }
    s
}

pub fn markdown(d: &Diagnosis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### `{}`: **{}** (confidence {:.2})\n",
        d.rollout, d.category, d.confidence
    );
    let _ = writeln!(out, "{}\n", d.summary);
    let _ = writeln!(out, "- **Rollout:** {}", context_line(d));
    if let Some(images) = images_line(d) {
        let _ = writeln!(out, "- **Images:** {images}");
    }
    if let Some(logs) = logs_line(d) {
        let _ = writeln!(out, "- **Logs read:** {logs}");
    }
    let _ = writeln!(
        out,
        "- **Suggested fix** (`{}`): {}\n",
        d.remediation.action.name(),
        d.remediation.description
    );
    if !d.evidence.is_empty() {
        let _ = writeln!(out, "#### Evidence\n");
        for e in &d.evidence {
            evidence_md(&mut out, e);
        }
    }
    footer(&mut out, d, "");
    // Logs and object fields are untrusted: nothing reaches a terminal as a control character.
    crate::text::visible(&out).into_owned()
}

fn evidence_md(out: &mut String, e: &EvidenceItem) {
    let _ = writeln!(
        out,
        "- **{}** · {}",
        e.source.as_str(),
        e.ref_.replace('`', "'")
    );
    // Fenced so that log text can never become Markdown (links, mentions, HTML).
    let fence = if e.text.contains("```") {
        "~~~~"
    } else {
        "```"
    };
    let _ = writeln!(
        out,
        "  {fence}\n  {}\n  {fence}",
        e.text.replace('\n', "\n  ")
    );
}
