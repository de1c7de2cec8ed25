//! Choosing the one site a fix is made at, and turning its planned edit into a [`Fix`]
//! only once the edited text has passed the structural check and the size limit.

use super::source::Found;
use super::{Fix, FixError, FixLimits, Site, Source, diff, edit, verify};

pub(super) fn pick(
    sources: &[Source],
    mut found: Found,
    skipped: usize,
    what: &str,
) -> Result<Site, FixError> {
    match found.sites.len() {
        0 => {
            let mut what = format!("{what}, in {} candidate file(s)", sources.len());
            if skipped > 0 {
                what.push_str(&format!(
                    "; {skipped} file(s) skipped as not YAML (e.g. Helm templates)"
                ));
            }
            for note in found.notes.iter().take(5) {
                what.push_str("; ");
                what.push_str(note);
            }
            Err(FixError::NotFound { what })
        }
        1 => found
            .sites
            .pop()
            .ok_or(FixError::NotFound { what: what.into() }),
        n => {
            let places: Vec<String> = found
                .sites
                .iter()
                .map(|s| format!("{}: {}", sources[s.file].path, s.field))
                .collect();
            let mut candidates: Vec<String> = Vec::new();
            for s in &found.sites {
                let path = sources[s.file].path.to_owned();
                if !candidates.contains(&path) {
                    candidates.push(path);
                }
            }
            Err(FixError::Ambiguous {
                what: format!("{what} is set in {n} places ({})", places.join("; ")),
                candidates,
            })
        }
    }
}

pub(super) fn finish(src: &Source, site: Site, limits: &FixLimits) -> Result<Fix, FixError> {
    let edit = site.edit?;
    let after = edit::apply(&src.text, &edit.splices)?;
    let doc = src.docs.get(edit.doc).ok_or(FixError::Unsafe {
        reason: "no such document".into(),
    })?;
    verify::check(src.raw, &after, &doc.value, &edit.at, &edit.expect)?;
    let (diff, lines) = diff::unified(src.path, src.raw, &after);
    if lines > limits.max_diff_lines {
        return Err(FixError::TooLarge {
            lines,
            max: limits.max_diff_lines,
        });
    }
    Ok(Fix {
        path: src.path.to_owned(),
        before: src.raw.to_owned(),
        after,
        diff,
        field: site.field,
        kind: src.kind,
        summary: edit.summary,
    })
}
