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
mod env_replace;
mod helm;
mod kustomize;
mod layers;
mod manifest;
mod probe;
mod probe_norm;
mod quantity;
mod render;
mod select;
mod source;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_env;
#[cfg(test)]
mod tests_env_changed;
#[cfg(test)]
mod tests_fixtures;
#[cfg(test)]
mod tests_helm;
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
    /// Repository paths of the release's Helm value files in precedence order, lowest
    /// first (the chart's `values.yaml`, then the Application's `valueFiles`). They are
    /// read as Helm values whatever their name, and layered as Helm layers them.
    pub helm_values: Vec<String>,
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
    let (sources, skipped) = source::load(files, &target.helm_values);
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
            helm::revert_image(&sources, target, canary, stable, &mut found);
            format!(
                "image {canary} of container {container} in Rollout {}",
                target.rollout
            )
        }
        Action::RestoreEnv {
            container,
            name,
            stable: Some(stable),
            canary,
        } => {
            let values = env::Values {
                stable,
                canary: canary.as_ref(),
            };
            env::restore(&sources, target, container, name, values, &mut found)?;
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
            helm::raise_memory(&sources, target, current, &new, &mut found);
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
    let site = select::pick(&sources, found, skipped, &what)?;
    select::finish(&sources[site.file], site, limits)
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
