//! Resource definitions and the pre-registered set.

/// A served resource: `(group, version, kind, plural, namespaced, subresources)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDef {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    /// e.g. `["status"]`, `["status", "log"]`
    pub subresources: Vec<String>,
    pub short_names: Vec<String>,
}

impl ResourceDef {
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        ResourceDef {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
            subresources: vec![],
            short_names: vec![],
        }
    }
    pub fn subresources(mut self, subs: &[&str]) -> Self {
        self.subresources = subs.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn short_names(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    pub fn has_status(&self) -> bool {
        self.subresources.iter().any(|s| s == "status")
    }
    pub(crate) fn key(&self) -> String {
        format!("{}/{}", self.group, self.plural)
    }
}

/// The resources every fake server starts with.
pub fn builtin() -> Vec<ResourceDef> {
    let r = ResourceDef::new;
    vec![
        r("", "v1", "Pod", "pods", true)
            .subresources(&["status", "log"])
            .short_names(&["po"]),
        r("", "v1", "Event", "events", true).short_names(&["ev"]),
        r("", "v1", "Secret", "secrets", true),
        r("", "v1", "ConfigMap", "configmaps", true).short_names(&["cm"]),
        r("", "v1", "Service", "services", true)
            .subresources(&["status"])
            .short_names(&["svc"]),
        r("", "v1", "Namespace", "namespaces", false)
            .subresources(&["status"])
            .short_names(&["ns"]),
        r("apps", "v1", "ReplicaSet", "replicasets", true)
            .subresources(&["status"])
            .short_names(&["rs"]),
        r("apps", "v1", "Deployment", "deployments", true)
            .subresources(&["status"])
            .short_names(&["deploy"]),
        r("argoproj.io", "v1alpha1", "Rollout", "rollouts", true)
            .subresources(&["status"])
            .short_names(&["ro"]),
        r(
            "argoproj.io",
            "v1alpha1",
            "AnalysisRun",
            "analysisruns",
            true,
        )
        .subresources(&["status"])
        .short_names(&["ar"]),
        r(
            "argoproj.io",
            "v1alpha1",
            "AnalysisTemplate",
            "analysistemplates",
            true,
        )
        .short_names(&["at"]),
        r(
            "argoproj.io",
            "v1alpha1",
            "ClusterAnalysisTemplate",
            "clusteranalysistemplates",
            false,
        )
        .short_names(&["cat"]),
        r("argoproj.io", "v1alpha1", "Experiment", "experiments", true).short_names(&["exp"]),
        r(
            "argoproj.io",
            "v1alpha1",
            "Application",
            "applications",
            true,
        )
        .short_names(&["app"]),
        r("events.k8s.io", "v1", "Event", "events", true).short_names(&["ev"]),
        r("coordination.k8s.io", "v1", "Lease", "leases", true),
        r(
            "rolloutdoctor.io",
            "v1alpha1",
            "RolloutDiagnosis",
            "rolloutdiagnoses",
            true,
        )
        .subresources(&["status"]),
    ]
}
