//! An Argo CD Application's Git sources, with Helm value files as ordered layers.

use super::{GitSource, SourceError, clean_path};
use serde_json::Value;
use std::collections::BTreeMap;

/// The Git sources of an Application (`spec.source` or `spec.sources`) that can hold the
/// Rollout: those with a `path`, with their Helm value files in precedence order. A value
/// file from a `ref` source (`$values/envs/prod.yaml`) joins the chart's source when both
/// are the same repository and revision, so that the layers are planned together; from
/// another repository it is a source of its own.
pub fn sources_of_application(app: &Value, name: &str) -> Result<Vec<GitSource>, SourceError> {
    let spec = &app["spec"];
    let listed: Vec<&Value> = match spec["sources"].as_array() {
        Some(list) if !list.is_empty() => list.iter().collect(),
        _ => vec![&spec["source"]],
    };
    let refs: BTreeMap<&str, &Value> = listed
        .iter()
        .filter_map(|s| Some((s["ref"].as_str()?, *s)))
        .collect();
    let origin = format!("Argo CD Application {name}");
    let mut out: Vec<GitSource> = Vec::new();
    let mut foreign: Vec<(String, Option<String>, String)> = Vec::new();
    for s in &listed {
        let value_files: Vec<&str> = s["helm"]["valueFiles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let repo = s["repoURL"].as_str().unwrap_or_default();
        let rev = revision(s["targetRevision"].as_str());
        // A path or value file that climbs out of the repository is dropped.
        let path = s["path"].as_str().and_then(clean_path);
        let mut layers: Vec<String> = Vec::new();
        if let Some(p) = path
            .as_deref()
            .filter(|_| s["helm"].is_object() || !value_files.is_empty())
        {
            layers.extend(clean_path(&format!("{p}/values.yaml")));
        }
        for vf in &value_files {
            if vf.contains("://") {
                continue;
            }
            let Some(rest) = vf.strip_prefix('$') else {
                if let Some(p) = &path {
                    layers.extend(clean_path(&format!("{p}/{vf}")));
                }
                continue;
            };
            let Some((r, file)) = rest.split_once('/') else {
                continue;
            };
            let Some(src) = refs.get(r) else { continue };
            let Some(ref_repo) = src["repoURL"].as_str() else {
                continue;
            };
            let ref_rev = revision(src["targetRevision"].as_str());
            if path.is_some()
                && crate::gitops::github::RepoId::same(ref_repo, repo)
                && ref_rev == rev
            {
                layers.extend(clean_path(file));
            } else {
                foreign.extend(clean_path(file).map(|f| (ref_repo.to_owned(), ref_rev, f)));
            }
        }
        let Some(path) = path.filter(|_| !repo.is_empty()) else {
            continue;
        };
        let extra_files = layers
            .iter()
            .filter(|f| !f.starts_with(&format!("{path}/")))
            .cloned()
            .collect();
        out.push(GitSource {
            repo_url: repo.to_owned(),
            path,
            revision: rev,
            extra_files,
            helm_values: layers,
            origin: origin.clone(),
        });
    }
    for (repo, rev, file) in foreign {
        push_file(&mut out, &repo, rev, &file, &origin);
    }
    if out.is_empty() {
        return Err(SourceError::NoGitSource {
            app: name.to_owned(),
        });
    }
    Ok(out)
}

fn push_file(
    out: &mut Vec<GitSource>,
    repo: &str,
    revision: Option<String>,
    file: &str,
    origin: &str,
) {
    match out
        .iter_mut()
        .find(|g| g.repo_url == repo && g.revision == revision && g.path.is_empty())
    {
        Some(g) if !g.extra_files.iter().any(|f| f == file) => {
            g.extra_files.push(file.to_owned());
            g.helm_values.push(file.to_owned());
        }
        Some(_) => {}
        None => out.push(GitSource {
            repo_url: repo.to_owned(),
            // Only the named files: the rest of a values repository is other teams' business.
            path: String::new(),
            revision,
            extra_files: vec![file.to_owned()],
            helm_values: vec![file.to_owned()],
            origin: origin.to_owned(),
        }),
    }
}

/// `HEAD` and empty mean the default branch.
fn revision(rev: Option<&str>) -> Option<String> {
    rev.map(str::trim)
        .filter(|r| !r.is_empty() && *r != "HEAD")
        .map(str::to_owned)
}
