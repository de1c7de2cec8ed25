//! The words of a fix pull request (and of the issue for causes without a fix).

use crate::diagnosis::{Diagnosis, render};
use crate::fix::Fix;

/// GitHub refuses bodies over 65,536 characters; stay clear of it.
const MAX_BODY: usize = 60_000;

pub fn title(d: &Diagnosis, fix: &Fix) -> String {
    clip(
        &format!(
            "rollout-doctor: {} ({} in {})",
            fix.summary, d.category, d.rollout
        ),
        200,
    )
}

pub fn pull_body(
    d: &Diagnosis,
    fix: &Fix,
    record: &str,
    origin: &str,
    rollout_link: Option<&str>,
) -> String {
    let fence = fence_for(&fix.diff);
    let mut change = format!(
        "### The change\n\n{} — `{}` in `{}` ({:?}), taken from the stable pod template{}.\n\n{fence}diff\n{}{}{fence}\n",
        neutralize(&fix.summary),
        fix.field,
        fix.path,
        fix.kind,
        d.incident
            .stable_hash
            .as_deref()
            .map(|h| format!(" (`{h}`)"))
            .unwrap_or_default(),
        fix.diff,
        if fix.diff.ends_with('\n') { "" } else { "\n" },
    );
    change.push_str(&format!("\nSource of truth: {}.\n", neutralize(origin)));
    if let Some(link) = rollout_link {
        change.push_str(&format!("Rollout: [{}]({link})\n", d.rollout));
    }
    assemble(d, &change, record)
}

pub fn issue_body(d: &Diagnosis, record: &str, why_no_fix: &str) -> String {
    let note = format!("### No automatic fix\n\n{}\n", neutralize(why_no_fix));
    assemble(d, &note, record)
}

/// The diagnosis first (what reviewers need to judge the change), the change, then who did it.
fn assemble(d: &Diagnosis, middle: &str, record: &str) -> String {
    let footer = format!(
        "\n---\nOpened by rollout-doctor for incident `{record}` (record `RolloutDiagnosis/{record}` in namespace `{}`). \
         Review before merging: rollout-doctor never pushes to the base branch and never merges.\n",
        d.rollout.namespace
    );
    let diagnosis = neutralize_outside_code(&render::markdown(d));
    let room = MAX_BODY.saturating_sub(middle.len() + footer.len() + 2);
    let diagnosis = if diagnosis.len() > room {
        format!(
            "{}\n\n_(diagnosis truncated; the full text is in the record)_\n",
            clip(&diagnosis, room.saturating_sub(80))
        )
    } else {
        diagnosis
    };
    format!("{diagnosis}\n{middle}{footer}")
}

/// A code fence longer than any backtick run inside, so log text cannot close it.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// Untrusted words outside code must not ping people or teams, or inject HTML.
fn neutralize(s: &str) -> String {
    s.replace('@', "@\u{200b}")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// As [`neutralize`], leaving fenced blocks (``` or ~~~) alone: GitHub does not notify
/// from code, and code must stay verbatim.
fn neutralize_outside_code(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut open: Option<String> = None;
    for line in md.split_inclusive('\n') {
        let t = line.trim_start();
        let marker: String = t.chars().take_while(|&c| c == '`' || c == '~').collect();
        let is_fence = marker.len() >= 3
            && marker
                .chars()
                .all(|c| c == marker.chars().next().unwrap_or('`'));
        match &open {
            Some(m)
                if is_fence
                    && marker.starts_with(m.as_str())
                    && t.trim_end().len() == marker.len() =>
            {
                open = None;
                out.push_str(line);
            }
            Some(_) => out.push_str(line),
            None if is_fence => {
                open = Some(marker);
                out.push_str(line);
            }
            None => out.push_str(&neutralize(line)),
        }
    }
    out
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_the_text() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }

    #[test]
    fn mentions_and_html_are_defused_outside_code_only() {
        let md = "hi @org/team <b>\n```\n@keep <x>\n```\n@after\n  ~~~~\n  ```x @in\n  ~~~~\n@out";
        let out = neutralize_outside_code(md);
        assert!(out.contains("hi @\u{200b}org/team &lt;b&gt;"));
        assert!(out.contains("\n@keep <x>\n"));
        assert!(out.contains("@\u{200b}after"));
        assert!(
            out.contains("```x @in"),
            "a backtick line inside a tilde fence is code"
        );
        assert!(out.ends_with("@\u{200b}out"));
    }

    #[test]
    fn clipping_respects_char_boundaries() {
        assert_eq!(clip("ééé", 3), "é…");
        assert_eq!(clip("abc", 5), "abc");
    }
}
