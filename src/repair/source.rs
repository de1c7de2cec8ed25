//! Where a Rollout is defined: explicit annotations on the Rollout, or the Argo CD
//! Application that manages it (tracking annotation or instance label). Pure apart from
//! [`ApplicationLookup`], which reads one Application.

use futures::future::BoxFuture;
use serde_json::Value;
use std::collections::BTreeMap;

mod application;

pub use application::sources_of_application;

pub const REPO_ANNOTATION: &str = "rollout-doctor.io/git-repo";
pub const PATH_ANNOTATION: &str = "rollout-doctor.io/git-path";
pub const REVISION_ANNOTATION: &str = "rollout-doctor.io/git-revision";
pub const TRACKING_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";

/// One place in a Git repository that holds manifests for the Rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSource {
    pub repo_url: String,
    /// Directory to search, relative to the repository root; "" is the root.
    pub path: String,
    /// Branch to propose against; `None` is the repository's default branch.
    pub revision: Option<String>,
    /// Files named outside `path` that also shape the Rollout (Helm value files).
    pub extra_files: Vec<String>,
    /// Helm value files in precedence order, lowest first: the chart's `values.yaml`, then
    /// the Application's `valueFiles` that live in this repository.
    pub helm_values: Vec<String>,
    /// How it was found, for the PR body and logs.
    pub origin: String,
}

/// The first step of the lookup, decided from the Rollout's metadata alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    Explicit(GitSource),
    Application {
        namespace: String,
        name: String,
        via: String,
    },
}

#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    /// Where Applications live unless the tracking id names a namespace.
    pub argocd_namespace: String,
    /// The label Argo CD's label tracking sets; empty disables it.
    pub instance_label: String,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        DiscoveryConfig {
            argocd_namespace: "argocd".into(),
            instance_label: "app.kubernetes.io/instance".into(),
        }
    }
}

/// Annotations win over Argo CD: they are the owner's explicit word.
pub fn locate(
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
    cfg: &DiscoveryConfig,
) -> Option<Locator> {
    if let Some(repo) = annotations
        .get(REPO_ANNOTATION)
        .filter(|r| !r.trim().is_empty())
    {
        return Some(Locator::Explicit(GitSource {
            repo_url: repo.trim().to_owned(),
            path: clean_path(annotations.get(PATH_ANNOTATION).map_or("", String::as_str))?,
            revision: annotations
                .get(REVISION_ANNOTATION)
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty()),
            extra_files: Vec::new(),
            helm_values: Vec::new(),
            origin: format!("annotation {REPO_ANNOTATION}"),
        }));
    }
    if let Some(id) = annotations.get(TRACKING_ANNOTATION)
        && let Some((namespace, name)) = application_of_tracking_id(id, &cfg.argocd_namespace)
    {
        return Some(Locator::Application {
            namespace,
            name,
            via: format!("annotation {TRACKING_ANNOTATION}"),
        });
    }
    let label = labels
        .get(&cfg.instance_label)
        .filter(|_| !cfg.instance_label.is_empty())?;
    let (namespace, name) = split_app_name(label, &cfg.argocd_namespace);
    Some(Locator::Application {
        namespace,
        name,
        via: format!("label {}", cfg.instance_label),
    })
}

/// `<app>:<group>/<kind>:<namespace>/<name>`; `<app>` is `<ns>_<name>` for Applications
/// outside the control plane's namespace.
fn application_of_tracking_id(id: &str, default_ns: &str) -> Option<(String, String)> {
    let (app, rest) = id.split_once(':')?;
    if app.is_empty() || !rest.contains('/') {
        return None;
    }
    Some(split_app_name(app, default_ns))
}

fn split_app_name(app: &str, default_ns: &str) -> (String, String) {
    match app.split_once('_') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() => (ns.to_owned(), name.to_owned()),
        _ => (default_ns.to_owned(), app.to_owned()),
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SourceError {
    #[error("Application {0} not found")]
    ApplicationNotFound(String),
    #[error("cannot read Application {app}: {reason}")]
    Lookup { app: String, reason: String },
    #[error("Application {app} deploys to namespace {destination}, not the Rollout's")]
    ElsewhereDeployed { app: String, destination: String },
    #[error(
        "Application {app} has no Git source with a path (Helm repository charts cannot be edited)"
    )]
    NoGitSource { app: String },
}

/// Repository-relative, no leading `./` or `/`, no trailing `/`, `.` → "", `..` resolved by
/// name; `None` when it climbs out of the repository: such a path is the Rollout owner's to
/// write and must never reach a file read (or a GitHub API URL, where `..` would walk the API).
pub fn clean_path(p: &str) -> Option<String> {
    crate::source::guard::lexical_inside(p)
}

/// Reads one Argo CD Application; `Ok(None)` when it does not exist.
pub trait ApplicationLookup: Send + Sync {
    fn application<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, String>>;
}

impl ApplicationLookup for kube::Client {
    fn application<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, String>> {
        Box::pin(async move {
            let gvk = kube::api::GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application");
            let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, "applications");
            let api: kube::Api<kube::api::DynamicObject> =
                kube::Api::namespaced_with(self.clone(), namespace, &ar);
            match api.get_opt(name).await {
                Ok(found) => found
                    .map(|o| serde_json::to_value(o).map_err(|e| e.to_string()))
                    .transpose(),
                Err(e) => Err(e.to_string()),
            }
        })
    }
}

/// The sources for a Rollout: explicit, or through its Application.
/// An Application that deploys into another namespace than the Rollout's is not its source:
/// an instance label or tracking id is set by the Rollout's owner and must not reach another
/// team's repository.
pub async fn discover(
    locator: Locator,
    lookup: &dyn ApplicationLookup,
    rollout_namespace: &str,
) -> Result<Vec<GitSource>, SourceError> {
    match locator {
        Locator::Explicit(s) => Ok(vec![s]),
        Locator::Application {
            namespace,
            name,
            via,
        } => {
            let app_ref = format!("{namespace}/{name}");
            let app = lookup
                .application(&namespace, &name)
                .await
                .map_err(|reason| SourceError::Lookup {
                    app: app_ref.clone(),
                    reason,
                })?
                .ok_or_else(|| SourceError::ApplicationNotFound(app_ref.clone()))?;
            let destination = app["spec"]["destination"]["namespace"]
                .as_str()
                .unwrap_or_default();
            if !destination.is_empty() && destination != rollout_namespace {
                return Err(SourceError::ElsewhereDeployed {
                    app: app_ref,
                    destination: destination.to_owned(),
                });
            }
            let mut sources = sources_of_application(&app, &app_ref)?;
            for s in &mut sources {
                s.origin = format!("{} (found by {via})", s.origin);
            }
            Ok(sources)
        }
    }
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
