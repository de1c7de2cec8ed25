//! Decoding `kubectl get -o yaml|json` output into the object views: several documents,
//! `kind: List` wrappers, JSON or YAML. Unknown kinds are kept by name and otherwise ignored.

use super::nesting::{MAX_FLOW_DEPTH, check_flow_depth};
use super::tree::{Seg, Tree, render_path};
use crate::model::{AnalysisRun, AnalysisTemplate, Event, Pod, ReplicaSet, Rollout};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Debug, Default, Clone)]
pub struct ObjectSet {
    pub rollouts: Vec<Rollout>,
    pub analysis_runs: Vec<AnalysisRun>,
    pub analysis_templates: Vec<AnalysisTemplate>,
    pub cluster_analysis_templates: Vec<AnalysisTemplate>,
    pub replica_sets: Vec<ReplicaSet>,
    pub pods: Vec<Pod>,
    pub events: Vec<Event>,
    /// `Kind/name` of objects we read past (Services, Jobs, Experiments, ...).
    pub other: Vec<String>,
    /// Objects of a known kind that could not be decoded, with the reason.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{origin}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ParseError {
    pub origin: String,
    pub line: Option<usize>,
    pub message: String,
}

impl ObjectSet {
    /// Adds every object in `text`; `origin` names the file in errors. Each document is
    /// first a generic [`Tree`], then typed object by object: an object that cannot be read
    /// is a warning, never the end of the file.
    pub fn add_text(&mut self, origin: &str, text: &str) -> Result<(), ParseError> {
        check_flow_depth(text, MAX_FLOW_DEPTH).map_err(|d| ParseError {
            origin: origin.to_owned(),
            line: Some(d.line),
            message: format!(
                "collections nested deeper than {MAX_FLOW_DEPTH} levels at line {} column {}",
                d.line, d.column
            ),
        })?;
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            return self.add_json(origin, text);
        }
        for doc in serde_yaml_ng::Deserializer::from_str(text) {
            let tree = Tree::deserialize(doc).map_err(|e| ParseError {
                origin: origin.to_owned(),
                line: e.location().map(|l| l.line()),
                message: e.to_string(),
            })?;
            self.add_tree(origin, tree);
        }
        Ok(())
    }

    fn add_json(&mut self, origin: &str, text: &str) -> Result<(), ParseError> {
        let stream = serde_json::Deserializer::from_str(text).into_iter::<Tree>();
        for tree in stream {
            let tree = tree.map_err(|e| ParseError {
                origin: origin.to_owned(),
                line: Some(e.line()),
                message: e.to_string(),
            })?;
            self.add_tree(origin, tree);
        }
        Ok(())
    }

    /// A key given twice keeps its last value, as `kubectl apply` and serde do; the warning
    /// names the object and the key, since the first value is the one a reader may believe.
    fn add_tree(&mut self, origin: &str, tree: Tree) {
        for path in &tree.duplicates {
            let doc = &tree.value;
            let (object, rest) = match path.as_slice() {
                [Seg::Key(items), Seg::Index(i), rest @ ..]
                    if items == "items"
                        && doc["kind"].as_str().is_some_and(|k| k.ends_with("List")) =>
                {
                    (&doc["items"][*i], rest)
                }
                all => (doc, all),
            };
            self.warnings.push(format!(
                "{origin}: {}: duplicate key {} (the last value is kept)",
                object_name(object),
                render_path(rest)
            ));
        }
        self.add_value(origin, tree.value);
    }

    /// Adds one decoded object (or list of objects). Used by the live source too.
    pub fn add_value(&mut self, origin: &str, value: Value) {
        match value {
            Value::Null => {}
            Value::Array(items) => items.into_iter().for_each(|v| self.add_value(origin, v)),
            Value::Object(mut map) => {
                let kind = map
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if kind.ends_with("List") && map.get("items").is_some_and(Value::is_array) {
                    if let Some(Value::Array(items)) = map.remove("items") {
                        items.into_iter().for_each(|v| self.add_value(origin, v));
                    }
                    return;
                }
                let group = map
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .and_then(|v| v.rsplit_once('/').map(|(g, _)| g.to_owned()))
                    .unwrap_or_default();
                self.add_kind(origin, &group, &kind, Value::Object(map));
            }
            other => self.warnings.push(format!(
                "{origin}: skipped a document that is not an object: {other}"
            )),
        }
    }

    fn add_kind(&mut self, origin: &str, group: &str, kind: &str, value: Value) {
        let w = &mut self.warnings;
        match (group, kind) {
            ("argoproj.io", "Rollout") => push(&mut self.rollouts, origin, value, w),
            ("argoproj.io", "AnalysisRun") => push(&mut self.analysis_runs, origin, value, w),
            ("argoproj.io", "AnalysisTemplate") => {
                push(&mut self.analysis_templates, origin, value, w)
            }
            ("argoproj.io", "ClusterAnalysisTemplate") => {
                push(&mut self.cluster_analysis_templates, origin, value, w)
            }
            // extensions/v1beta1 and apps/v1beta2 ReplicaSets are the same shape for our purposes.
            ("apps" | "extensions", "ReplicaSet") => push(&mut self.replica_sets, origin, value, w),
            ("", "Pod") => push(&mut self.pods, origin, value, w),
            ("" | "events.k8s.io", "Event") => push(&mut self.events, origin, value, w),
            _ => self.other.push(object_name(&value)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rollouts.is_empty()
            && self.analysis_runs.is_empty()
            && self.replica_sets.is_empty()
            && self.pods.is_empty()
            && self.events.is_empty()
    }
}

fn push<T: DeserializeOwned>(
    into: &mut Vec<T>,
    origin: &str,
    value: Value,
    warnings: &mut Vec<String>,
) {
    let name = object_name(&value);
    match serde_path_to_error::deserialize(value) {
        Ok(obj) => into.push(obj),
        Err(e) => warnings.push(format!(
            "{origin}: {name} skipped: {}: {}",
            e.path(),
            e.inner()
        )),
    }
}

/// `Kind/name` of a generic object, for messages.
fn object_name(value: &Value) -> String {
    let kind = value["kind"]
        .as_str()
        .filter(|k| !k.is_empty())
        .unwrap_or("<no kind>");
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    format!("{kind}/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_multi_documents_and_json_are_all_read() {
        let mut set = ObjectSet::default();
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n---\napiVersion: extensions/v1beta1\nkind: ReplicaSet\nmetadata: {name: rs}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: svc}\n";
        set.add_text("objects.yaml", yaml).unwrap();
        set.add_text("x.json", r#"{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e"},"regarding":{"kind":"Pod","name":"a"},"note":"Back-off"}"#).unwrap();
        assert_eq!(set.pods.len(), 1);
        assert_eq!(set.replica_sets.len(), 1);
        assert_eq!(set.events[0].message.as_deref(), Some("Back-off"));
        assert_eq!(set.events[0].involved_object.name, "a");
        assert_eq!(set.other, vec!["Service/svc"]);
    }

    #[test]
    fn malformed_yaml_reports_the_line() {
        let mut set = ObjectSet::default();
        let err = set
            .add_text(
                "objects.yaml",
                "kind: Pod\nmetadata:\n  name: a\n   bad: [\n",
            )
            .unwrap_err();
        assert_eq!(err.origin, "objects.yaml");
        assert!(err.line.is_some_and(|l| l >= 3), "{err}");
    }

    #[test]
    fn a_known_kind_with_a_broken_shape_becomes_a_warning() {
        let mut set = ObjectSet::default();
        set.add_text("o.yaml", "apiVersion: v1\nkind: Pod\nmetadata: oops\n")
            .unwrap();
        assert!(set.pods.is_empty());
        assert!(set.warnings[0].contains("Pod/?"), "{:?}", set.warnings);
    }
}
