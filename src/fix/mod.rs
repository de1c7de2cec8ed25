//! Fix planning: turns a diagnosis's structured remediation and the texts of candidate
//! GitOps files into one minimal text edit that reverts the canary's faulty change.
//!
//! Pure: no I/O. The caller fetches files ([`is_candidate`] says which) and opens the PR.
//! Every edit is a set of line splices planned on the text (so comments, quoting and layout
//! survive), then checked structurally: both texts are parsed and the only difference must
//! be the intended value at one allow-listed path, or the plan fails as [`FixError::Unsafe`].
//! Values written come only from the [`Action`], which the rules take from the stable pod
//! template; redacted or template-looking values are refused.

mod diff;
mod edit;
mod env;
mod helm;
mod kustomize;
mod manifest;
mod probe;
mod probe_norm;
mod quantity;
mod render;
mod source;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_env;
#[cfg(test)]
mod tests_fixtures;
#[cfg(test)]
mod tests_image;
#[cfg(test)]
mod tests_probe;
#[cfg(test)]
mod tests_units;
mod values;
mod verify;
mod yaml_nav;
mod yaml_scan;
mod yaml_text;

use crate::diagnosis::Action;
use serde::Serialize;
pub(crate) use source::{Edit, Found, Site, Source};
pub(crate) use values::{check_json, check_text, key, replace_at, scalar_string, split_image};

#[derive(Debug, Clone)]
pub struct RepoFile {
    pub path: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct FixTarget {
    /// The Rollout's `metadata.name`.
    pub rollout: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FixLimits {
    /// Most `+`/`-` lines the diff may have.
    pub max_diff_lines: usize,
    /// Highest memory limit a fix may write (a Kubernetes quantity).
    pub memory_cap: String,
    /// A raised memory limit is never more than the current one times this.
    pub max_memory_factor: f64,
}

impl Default for FixLimits {
    fn default() -> Self {
        FixLimits {
            max_diff_lines: 40,
            memory_cap: "4Gi".into(),
            max_memory_factor: 4.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Manifest,
    Kustomization,
    HelmValues,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    pub path: String,
    pub before: String,
    pub after: String,
    pub diff: String,
    pub field: String,
    pub kind: SourceKind,
    pub summary: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("not fixable by a repository edit: {action}")]
    NotFixable { action: String },
    #[error("nothing to fix found: {what}")]
    NotFound { what: String },
    #[error("ambiguous: {what} (candidates: {})", candidates.join(", "))]
    Ambiguous {
        what: String,
        candidates: Vec<String>,
    },
    #[error("unsafe edit refused: {reason}")]
    Unsafe { reason: String },
    #[error("the fix would change {lines} lines, more than the {max} allowed")]
    TooLarge { lines: usize, max: usize },
}

/// Plans the one edit that reverts what `action` names, in the Rollout `target`.
pub fn plan(
    action: &Action,
    target: &FixTarget,
    files: &[RepoFile],
    limits: &FixLimits,
) -> Result<Fix, FixError> {
    let (sources, skipped) = source::load(files);
    let mut found = Found::default();
    let what = match action {
        Action::RevertImage {
            container,
            canary_image: Some(canary),
            stable_image: Some(stable),
        } => {
            check_text(canary)?;
            check_text(stable)?;
            if canary == stable || stable.trim().is_empty() {
                return Err(FixError::Unsafe {
                    reason: format!("nothing to revert to: stable image {stable:?}"),
                });
            }
            manifest::revert_image(&sources, target, container, canary, stable, &mut found);
            kustomize::revert_image(&sources, container, canary, stable, &mut found);
            helm::revert_image(&sources, canary, stable, &mut found);
            format!(
                "image {canary} of container {container} in Rollout {}",
                target.rollout
            )
        }
        Action::RestoreEnv {
            container,
            name,
            stable: Some(stable),
        } => {
            env::restore(&sources, target, container, name, stable, &mut found)?;
            format!(
                "container {container} of Rollout {} to restore {name} into",
                target.rollout
            )
        }
        Action::RaiseMemoryLimit {
            container,
            current: Some(current),
            suggested: Some(suggested),
        } => {
            check_text(current)?;
            check_text(suggested)?;
            let new = quantity::raised(current, suggested, limits)?;
            manifest::raise_memory(&sources, target, container, current, &new, &mut found);
            helm::raise_memory(&sources, current, &new, &mut found);
            format!(
                "memory limit {current} of container {container} in Rollout {}",
                target.rollout
            )
        }
        Action::FixProbe {
            container,
            probe: field,
            stable,
            canary,
        } if stable.is_some() || canary.is_some() => {
            probe::fix(
                &sources,
                target,
                container,
                field,
                stable.as_ref(),
                canary.as_ref(),
                &mut found,
            )?;
            format!(
                "{field} of container {container} in Rollout {} as the canary has it",
                target.rollout
            )
        }
        Action::RevertImage { .. }
        | Action::RestoreEnv { .. }
        | Action::RaiseMemoryLimit { .. }
        | Action::FixProbe { .. } => {
            return Err(FixError::NotFixable {
                action: format!(
                    "{}: the diagnosis lacks the values to restore",
                    action.name()
                ),
            });
        }
        other => {
            return Err(FixError::NotFixable {
                action: other.name().into(),
            });
        }
    };
    let site = pick(&sources, found, skipped, &what)?;
    finish(&sources[site.file], site, limits)
}

/// Bytes of a memory quantity as a fix reads it (`4Gi`, `512Mi`, `1G`, plain bytes; no `m`
/// suffix, no exponents), so a configured `memory_cap` can be rejected up front.
pub fn parse_quantity(text: &str) -> Option<u128> {
    quantity::bytes(text)
}

/// Which repo files are worth fetching: YAML (`kustomization.yaml`, `values*.yaml` and
/// manifests) outside dot-directories, which hold CI and tool configs, never deployed.
pub fn is_candidate(path: &str) -> bool {
    let path = path.trim_start_matches("./");
    if path.split('/').any(|c| c.starts_with('.')) {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || name == "Kustomization"
}

fn pick(
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

fn finish(src: &Source, site: Site, limits: &FixLimits) -> Result<Fix, FixError> {
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
