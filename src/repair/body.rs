//! The words of a fix pull request (and of the issue for causes without a fix).

use crate::diagnosis::{Diagnosis, render};
use crate::fix::{Fix, SourceKind};

/// GitHub refuses bodies over 65,536 characters; stay clear of it.
const MAX_BODY: usize = 60_000;

pub fn title(d: &Diagnosis, fix: &Fix) -> String {
    let title = clip(
        &format!(
            "rollout-doctor: {} ({} in {})",
            fix.summary, d.category, d.rollout
        ),
        200,
    );
    crate::text::visible_line(&title).into_owned()
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
    // Such entries are not per container: a reviewer must know the change reaches further.
    match fix.kind {
        SourceKind::Kustomization => change.push_str(
            "\nNote: a kustomization `images:` entry applies to every workload of this kustomization that uses the image.\n",
        ),
        SourceKind::HelmValues => change.push_str(
            "\nNote: a Helm value applies to every template of the release that reads it.\n",
        ),
        SourceKind::Manifest => {}
    }
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
            close_fences(clip(&diagnosis, room.saturating_sub(80)))
        )
    } else {
        diagnosis
    };
    // The diff and the Rollout's own words can carry control characters; a reviewer's
    // terminal (`gh pr view`) must not run them.
    crate::text::visible(&format!("{diagnosis}\n{middle}{footer}")).into_owned()
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

/// Follows fenced code blocks line by line, as GitHub reads them: up to three spaces of
/// indentation, three or more backticks (no backtick after them) or tildes, closed by a
/// bare run of the same character at least as long.
#[derive(Default)]
struct Fences {
    open: Option<String>,
}

impl Fences {
    /// Whether `line` is code (a fence line or inside a block).
    fn line(&mut self, line: &str) -> bool {
        let t = line.trim_start_matches(' ');
        let indent = line.len() - t.len();
        let c = t.chars().next().unwrap_or(' ');
        let marker: String = t.chars().take_while(|&x| x == c).collect();
        let fence = indent < 4 && (c == '`' || c == '~') && marker.len() >= 3;
        match &self.open {
            Some(m) => {
                if fence && marker.starts_with(m.as_str()) && t.trim_end().len() == marker.len() {
                    self.open = None;
                }
                true
            }
            None if fence && !(c == '`' && t[marker.len()..].contains('`')) => {
                self.open = Some(marker);
                true
            }
            None => false,
        }
    }
}

/// As [`neutralize`], leaving fenced blocks alone: GitHub does not notify from code, and
/// code must stay verbatim.
pub(super) fn neutralize_outside_code(md: &str) -> String {
    let mut fences = Fences::default();
    md.split_inclusive('\n')
        .map(|line| {
            if fences.line(line) {
                line.to_owned()
            } else {
                neutralize(line)
            }
        })
        .collect()
}

/// Closes a block that clipping left open, so what follows is not swallowed as code.
fn close_fences(mut md: String) -> String {
    let mut fences = Fences::default();
    md.split_inclusive('\n').for_each(|l| {
        fences.line(l);
    });
    if let Some(m) = fences.open {
        md.push_str(&format!("\n{m}\n"));
    }
    md
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
    fn a_clipped_block_is_closed_and_odd_fences_are_not_fences() {
        assert_eq!(close_fences("a\n  ```\n@x".into()), "a\n  ```\n@x\n```\n");
        assert_eq!(
            close_fences("a\n~~~~\nx\n~~~~\n".into()),
            "a\n~~~~\nx\n~~~~\n"
        );
        // A backtick in the info string, or four spaces of indentation: no fence, so the
        // next line is still prose and gets neutralized.
        let out = neutralize_outside_code("``` x`y\n@a\n    ```\n@b");
        assert!(
            out.contains("@\u{200b}a") && out.contains("@\u{200b}b"),
            "{out}"
        );
    }

    #[test]
    fn control_characters_in_the_diagnosis_and_the_diff_are_shown_not_sent() {
        let mut d: Diagnosis = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "rollout": {"namespace": "shop", "name": "cart"},
            "category": "crash_loop", "confidence": 0.9,
            "summary": "crash \u{1b}]0;pwned\u{7} \u{202e}", "evidence": [],
            "remediation": {"action": "none", "description": "d"},
            "engine": "rules", "rule": "r",
            "incident": {"phase": "Degraded", "strategy": "canary", "message": null, "revision": null,
                "step_index": null, "current_step": null, "canary_hash": null, "stable_hash": null,
                "canary_image": [], "stable_image": []},
            "alternatives": [], "gaps": []
        }))
        .unwrap();
        d.rollout.name = "cart\x1b[2J".into();
        let body = issue_body(&d, "rec", "no fix \x1b[31mred");
        assert!(
            !body
                .chars()
                .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}'),
            "{body:?}"
        );
        assert!(body.contains("\\e]0;pwned"), "{body}");
    }

    #[test]
    fn clipping_respects_char_boundaries() {
        assert_eq!(clip("ééé", 3), "é…");
        assert_eq!(clip("abc", 5), "abc");
    }
}
