//! Helm value layering: which files one release reads, in precedence order, and what each
//! key ends up as. A fix must edit the file that decides a value, not the first file that
//! mentions it: an environment override beats the chart's defaults, and a default that is
//! overridden is not what the cluster runs.

use super::verify::get;
use super::yaml_text::Seg;
use super::{Source, SourceKind};
use serde_yaml_ng::{Mapping, Value};

/// One document of a values file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Layer {
    pub file: usize,
    pub doc: usize,
}

/// The values of one release: its layers, lowest precedence first, and their merge.
pub(crate) struct Stack {
    pub layers: Vec<Layer>,
    pub merged: Value,
}

impl Stack {
    fn new(sources: &[Source], layers: Vec<Layer>) -> Stack {
        let mut merged = Value::Mapping(Mapping::new());
        for l in &layers {
            merge(&mut merged, &sources[l.file].docs[l.doc].value);
        }
        Stack { layers, merged }
    }

    /// The highest layer that sets `at`: the one deciding its value in `merged`. (A layer
    /// above it that removed or replaced the value would have removed it from `merged`
    /// too, so for paths present there this is exact.)
    pub fn owner(&self, sources: &[Source], at: &[Seg]) -> Option<Layer> {
        self.layers.iter().rev().copied().find(|l| {
            sources
                .get(l.file)
                .and_then(|s| s.docs.get(l.doc))
                .and_then(|d| get(&d.value, at))
                .is_some_and(|v| !v.is_null())
        })
    }

    /// The files, for messages.
    pub fn files(&self, sources: &[Source]) -> String {
        let mut names: Vec<&str> = Vec::new();
        for l in &self.layers {
            if names.last() != Some(&sources[l.file].path) {
                names.push(sources[l.file].path);
            }
        }
        names.join(" < ")
    }
}

/// Helm's merge of a values file over the ones below it: mappings merge key by key, a
/// null removes the key, anything else (lists included) replaces what was there.
fn merge(base: &mut Value, over: &Value) {
    let Value::Mapping(o) = over else {
        *base = over.clone();
        return;
    };
    if !base.is_mapping() {
        *base = Value::Mapping(Mapping::new());
    }
    let Value::Mapping(b) = base else { return };
    for (k, v) in o {
        if v.is_null() {
            b.shift_remove(k);
        } else {
            merge(b.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

pub(crate) fn normalize(path: &str) -> &str {
    path.trim_start_matches("./").trim_start_matches('/')
}

fn dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn values_named(path: &str) -> bool {
    name(path).to_ascii_lowercase().starts_with("values")
}

/// The release's stack when `listed` names its value files (lowest first), then every
/// other values file on its own, as charts without a known release are read.
pub(crate) fn stacks(sources: &[Source], listed: &[String], notes: &mut Vec<String>) -> Vec<Stack> {
    let mut files: Vec<usize> = Vec::new();
    for want in listed {
        match sources
            .iter()
            .position(|s| normalize(s.path) == normalize(want))
        {
            // Helm applies a file named twice at its last position.
            Some(i) => {
                files.retain(|&f| f != i);
                files.push(i);
            }
            None => notes.push(format!(
                "Helm value file {want} was not among the files read (or is not YAML)"
            )),
        }
    }
    let mut out = Vec::new();
    if !files.is_empty() {
        let mut defaults: Vec<usize> = match chart_dir(sources, &files) {
            Some(chart) => (0..sources.len())
                .filter(|&i| {
                    let p = normalize(sources[i].path);
                    sources[i].kind == SourceKind::HelmValues
                        && !files.contains(&i)
                        && dir(p) == chart
                        && values_named(p)
                })
                .collect(),
            None => Vec::new(),
        };
        // Helm always reads the chart's `values.yaml` first; other values files beside it
        // are taken as lower than anything the release names.
        defaults.sort_by_key(|&i| {
            let n = name(sources[i].path);
            (!matches!(n, "values.yaml" | "values.yml"), sources[i].path)
        });
        defaults.extend(files.iter().copied());
        files = defaults;
        let layers = files
            .iter()
            .flat_map(|&file| (0..sources[file].docs.len()).map(move |doc| Layer { file, doc }))
            .collect();
        out.push(Stack::new(sources, layers));
    }
    for (file, s) in sources.iter().enumerate() {
        if s.kind == SourceKind::HelmValues && !files.contains(&file) {
            for doc in 0..s.docs.len() {
                out.push(Stack::new(sources, vec![Layer { file, doc }]));
            }
        }
    }
    out
}

/// The chart the listed files belong to: the directory holding `Chart.yaml` beside a
/// listed values file, else the only one holding it, else the first listed values file's.
fn chart_dir<'s>(sources: &'s [Source], listed: &[usize]) -> Option<&'s str> {
    let charts: Vec<&str> = sources
        .iter()
        .map(|s| normalize(s.path))
        .filter(|p| name(p) == "Chart.yaml")
        .map(dir)
        .collect();
    let listed_values = listed
        .iter()
        .map(|&i| normalize(sources[i].path))
        .filter(|p| values_named(p));
    let beside = listed_values.clone().map(dir).find(|d| charts.contains(d));
    beside
        .or(match charts[..] {
            [only] => Some(only),
            _ => None,
        })
        .or_else(|| listed_values.map(dir).next())
}
