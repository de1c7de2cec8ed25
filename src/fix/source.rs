//! Candidate files as parsed sources, and the sites a finder reports in them.

use super::edit::Splice;
use super::layers::normalize;
use super::verify::Expect;
use super::yaml_text::{Seg, Text};
use super::{FixError, RepoFile, SourceKind, is_candidate};
use serde_yaml_ng::Value;
use std::ops::Range;

pub(crate) fn kind_of(path: &str) -> SourceKind {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if matches!(
        name.as_str(),
        "kustomization.yaml" | "kustomization.yml" | "kustomization"
    ) {
        SourceKind::Kustomization
    } else if name.starts_with("values") {
        SourceKind::HelmValues
    } else {
        SourceKind::Manifest
    }
}

/// A candidate file that parsed, split into documents.
pub(crate) struct Source<'a> {
    pub path: &'a str,
    pub raw: &'a str,
    pub kind: SourceKind,
    pub text: Text<'a>,
    pub docs: Vec<Doc>,
}

pub(crate) struct Doc {
    pub lines: Range<usize>,
    pub value: Value,
}

/// Parsed candidates and how many were skipped for not being YAML (Helm templates, mostly).
/// Files in `helm_values` are Helm values whatever their name or extension.
pub(crate) fn load<'a>(files: &'a [RepoFile], helm_values: &[String]) -> (Vec<Source<'a>>, usize) {
    let listed = |path: &str| helm_values.iter().any(|v| normalize(v) == normalize(path));
    let (mut out, mut skipped) = (Vec::new(), 0);
    for f in files
        .iter()
        .filter(|f| is_candidate(&f.path) || listed(&f.path))
    {
        let text = Text::new(&f.text);
        let docs: Option<Vec<Doc>> = text
            .documents()
            .into_iter()
            .map(|lines| {
                let value = serde_yaml_ng::from_str(text.slice(lines.clone())).ok()?;
                Some(Doc { lines, value })
            })
            .collect();
        match docs {
            Some(docs) => out.push(Source {
                path: &f.path,
                raw: &f.text,
                kind: if listed(&f.path) {
                    SourceKind::HelmValues
                } else {
                    kind_of(&f.path)
                },
                text,
                docs,
            }),
            None => skipped += 1,
        }
    }
    (out, skipped)
}

/// One place the fix could be made, with its planned edit or why it cannot be made.
pub(crate) struct Site {
    pub file: usize,
    pub field: String,
    pub edit: Result<Edit, FixError>,
}

pub(crate) struct Edit {
    pub doc: usize,
    pub at: Vec<Seg>,
    pub splices: Vec<Splice>,
    pub expect: Expect,
    pub summary: String,
}

/// Places found, and near misses that explain a `NotFound` (the repo moved on, say).
#[derive(Default)]
pub(crate) struct Found {
    pub sites: Vec<Site>,
    pub notes: Vec<String>,
}
