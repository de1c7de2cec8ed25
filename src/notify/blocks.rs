//! Slack Block Kit rendering, pure. Built for a phone: a header, two lines of explanation,
//! at most three pieces of evidence in code formatting, the images and the links; no tables,
//! no raw JSON. Every text is escaped for mrkdwn and capped under Slack's limits.

use crate::diagnosis::{Diagnosis, EvidenceItem};
use serde_json::{Value, json};

/// Slack's limits: 3000 characters per section text, 150 per header, 50 blocks.
pub const SECTION_MAX: usize = 3000;
pub const HEADER_MAX: usize = 150;
pub const BLOCKS_MAX: usize = 50;
const EVIDENCE_SHOWN: usize = 3;
const EVIDENCE_TEXT_MAX: usize = 400;
const SUMMARY_MAX: usize = 200;

/// What the message needs besides the diagnosis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageContext {
    /// A refinement of an incident already notified.
    pub update: bool,
    /// (label, URL) pairs: dashboard, Argo CD, the fix pull request.
    pub links: Vec<(String, String)>,
    /// The record name, shown small so that people can find it with kubectl.
    pub record: Option<String>,
}

/// `&`, `<`, `>` are Slack's control characters: escaped, a log line cannot mention
/// `@channel` or forge a link.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` characters, with an ellipsis when cut; lines joined so one item stays
/// one line.
pub fn clip(s: &str, max: usize) -> String {
    let one = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if one.chars().count() > max => format!("{}…", &one[..i]),
        _ => one,
    }
}

/// Prose from the diagnosis, safe as mrkdwn: one line, escaped, and without backticks,
/// which would open inline code that never closes (summaries quote log lines).
fn plain(s: &str, max: usize) -> String {
    escape(&crate::text::visible_line(&clip(&s.replace('`', "ʼ"), max)))
}

/// Inline code: backticks inside would end it early, so they become a look-alike.
fn code(s: &str, max: usize) -> String {
    format!("`{}`", plain(s, max))
}

/// A last guard: cut at `max` characters without leaving half an `&amp;`.
fn cap(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    if let Some(amp) = cut.rfind('&')
        && !cut[amp..].contains(';')
    {
        cut.truncate(amp);
    }
    cut.push('…');
    cut
}

fn mrkdwn(text: String) -> Value {
    // Every block's text passes here: no control character reaches a chat client.
    let text = crate::text::visible(&text).into_owned();
    json!({"type": "mrkdwn", "text": cap(text, SECTION_MAX)})
}

fn section(text: String) -> Value {
    json!({"type": "section", "text": mrkdwn(text)})
}

fn context(text: String) -> Value {
    json!({"type": "context", "elements": [mrkdwn(text)]})
}

/// `image_pull` → `Image pull`.
fn category_title(c: crate::diagnosis::Category) -> String {
    let s = c.as_str().replace('_', " ");
    let mut chars = s.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Plain text for notifications and screen readers: Slack shows it where blocks cannot be.
pub fn fallback_text(d: &Diagnosis, update: bool) -> String {
    let prefix = if update { "Update: " } else { "" };
    // Slack formats this text too, and it is what a phone notification shows.
    plain(
        &format!(
            "{prefix}{} failed: {} ({:.2}). {}",
            d.rollout, d.category, d.confidence, d.summary
        ),
        300,
    )
}

pub fn message(d: &Diagnosis, ctx: &MessageContext) -> Value {
    let mut blocks = Vec::new();
    let prefix = if ctx.update { "Update: " } else { "" };
    blocks.push(
        json!({"type": "header", "text": {"type": "plain_text", "emoji": true,
        "text": clip(&format!("{prefix}{} failed", d.rollout), HEADER_MAX)}}),
    );
    blocks.push(section(format!(
        "*{}* · confidence {:.0}%\n{}",
        category_title(d.category),
        d.confidence * 100.0,
        plain(&d.summary, SUMMARY_MAX)
    )));
    blocks.push(context(escape(&incident_line(d))));
    blocks.push(section(format!(
        "*Suggested fix* ({})\n{}",
        d.remediation.action.name(),
        plain(&d.remediation.description, SUMMARY_MAX)
    )));
    if !d.evidence.is_empty() {
        blocks.push(json!({"type": "divider"}));
        for e in d.evidence.iter().take(EVIDENCE_SHOWN) {
            blocks.push(section(evidence_text(e)));
        }
        if d.evidence.len() > EVIDENCE_SHOWN {
            blocks.push(context(format!(
                "and {} more in the record",
                d.evidence.len() - EVIDENCE_SHOWN
            )));
        }
    }
    if let Some(images) = images_text(d) {
        blocks.push(section(images));
    }
    if !ctx.links.is_empty() {
        let links: Vec<String> = ctx
            .links
            .iter()
            .map(|(label, url)| format!("<{}|{}>", link_url(url), escape(label)))
            .collect();
        blocks.push(section(links.join("  ·  ")));
    }
    blocks.push(context(footer(d, ctx)));
    blocks.truncate(BLOCKS_MAX);
    json!({"text": fallback_text(d, ctx.update), "blocks": blocks})
}

fn incident_line(d: &Diagnosis) -> String {
    let i = &d.incident;
    let mut parts = Vec::new();
    if let Some(r) = &i.revision {
        parts.push(format!("revision {r}"));
    }
    if let Some(idx) = i.step_index {
        parts.push(match &i.current_step {
            Some(s) => format!("step {idx} ({})", clip(s, 60)),
            None => format!("step {idx}"),
        });
    }
    parts.push(format!("{:?}", i.strategy).to_lowercase());
    parts.push(format!("{:?}", i.phase));
    parts.join(" · ")
}

fn evidence_text(e: &EvidenceItem) -> String {
    format!(
        "*{}* · {}\n{}",
        e.source.as_str(),
        plain(&e.ref_, 120),
        code(&e.text, EVIDENCE_TEXT_MAX)
    )
}

fn images_text(d: &Diagnosis) -> Option<String> {
    let i = &d.incident;
    if i.canary_image.is_empty() && i.stable_image.is_empty() {
        return None;
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "?".to_string()
        } else {
            v.iter()
                .map(|s| code(s, 200))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    Some(if i.canary_image == i.stable_image {
        format!("*Image* {}", list(&i.canary_image))
    } else {
        format!(
            "*Stable* {}\n*Canary* {}",
            list(&i.stable_image),
            list(&i.canary_image)
        )
    })
}

/// Characters that would end the `<url|label>` syntax are percent-encoded.
fn link_url(url: &str) -> String {
    url.replace('|', "%7C")
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace(' ', "%20")
}

fn footer(d: &Diagnosis, ctx: &MessageContext) -> String {
    let mut parts = vec![format!("engine {:?}", d.engine).to_lowercase()];
    if let Some(r) = &d.rule {
        parts.push(format!("rule {}", escape(r)));
    }
    if let Some(l) = &d.llm
        && let Some(c) = l.llm_category
    {
        let agrees = match l.agrees {
            Some(true) => "agrees",
            Some(false) => "disagrees",
            None => "no opinion",
        };
        parts.push(format!("LLM says {c} ({agrees})"));
    }
    if let Some(r) = &ctx.record {
        parts.push(format!("record {}", escape(r)));
    }
    parts.join(" · ")
}

#[cfg(test)]
#[path = "blocks_tests.rs"]
mod tests;
