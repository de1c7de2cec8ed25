//! Helm values files. Charts name things freely, so only the near-universal shapes are
//! recognised: an image block (`repository` + `tag`, optionally `registry`), a whole image
//! string, and `resources.limits.memory` anywhere. Each is read from a release's merged
//! values (see [`layers`]) and edited in the file that decides it.

use super::layers::{self, Layer, Stack};
use super::verify::{Expect, show};
use super::yaml_text::Seg;
use super::{
    Edit, FixError, FixTarget, Found, Site, Source, key, quantity, replace_at, scalar_string,
    split_image,
};
use serde_yaml_ng::Value;

pub(crate) fn revert_image(
    sources: &[Source],
    target: &FixTarget,
    canary: &str,
    stable: &str,
    found: &mut Found,
) {
    let (c_repo, c_tag, c_digest) = split_image(canary);
    let (s_repo, s_tag, s_digest) = split_image(stable);
    let summary = format!("Revert image to {stable}");
    for_each_value(
        sources,
        target,
        |stack, path, v| {
            if v.as_str() == Some(canary) {
                let layer = stack.owner(sources, path)?;
                return Some(Ok(site(sources, layer, path.to_vec(), stable, &summary)));
            }
            let m = v.as_mapping()?;
            let mut at = path.to_vec();
            at.push(key("tag"));
            // The file whose tag wins is the one to edit, and the tag as written there, so
            // `2.40` is not compared as the float 2.4.
            let layer = stack.owner(sources, &at)?;
            let src = sources.get(layer.file)?;
            let root = src.text.root(src.docs.get(layer.doc)?.lines.clone());
            let written = root
                .and_then(|r| src.text.find_entry(r, &at))
                .and_then(|e| src.text.scalar_text(e.line, src.text.scalar(&e)?));
            let tag = written.or_else(|| m.get("tag").and_then(scalar_string))?;
            let Some(repo) = m.get("repository").and_then(Value::as_str) else {
                // A tag alone does not say which image it belongs to: no guessing.
                return (Some(tag.as_str()) == c_tag).then(|| {
                    Err(format!(
                        "{} sets {} = {tag}, but no values file ({}) sets {}",
                        src.path,
                        show(&at),
                        stack.files(sources),
                        show(&[path, &[key("repository")]].concat()),
                    ))
                });
            };
            let registry = m
                .get("registry")
                .and_then(Value::as_str)
                .filter(|r| !r.is_empty());
            // The repository may or may not carry the registry; a bare one is taken to get it
            // from the chart, which the uniqueness rule keeps honest.
            let same_repo = repo == c_repo
                || registry
                    .is_some_and(|r| format!("{}/{repo}", r.trim_end_matches('/')) == c_repo)
                || (registry.is_none() && c_repo.ends_with(&format!("/{repo}")));
            if !same_repo || c_digest.is_some() {
                return None;
            }
            let digest = m
                .get("digest")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty());
            if Some(tag.as_str()) != c_tag || digest.is_some() {
                let pinned = digest
                    .map(|d| format!(" pinned to {d}"))
                    .unwrap_or_default();
                return Some(Err(format!(
                    "{} has {} = {tag}{pinned}",
                    src.path,
                    show(&at)
                )));
            }
            match (s_tag, s_digest) {
                (Some(t), None) if s_repo == c_repo => {
                    Some(Ok(site(sources, layer, at, t, &summary)))
                }
                _ => Some(Ok(Site {
                    file: layer.file,
                    field: show(&at),
                    edit: Err(FixError::Unsafe {
                        reason: format!(
                            "stable image {stable} is not the same repository with a plain tag; only the tag is edited in Helm values"
                        ),
                    }),
                })),
            }
        },
        found,
    );
}

/// Replacing the scalar at `at` in the layer that decides it.
fn site(sources: &[Source], layer: Layer, at: Vec<Seg>, value: &str, summary: &str) -> Site {
    let field = show(&at);
    let edit = match sources.get(layer.file) {
        Some(src) => replace_at(src, layer.doc, &at, value).map(|splices| Edit {
            doc: layer.doc,
            at,
            splices,
            expect: Expect::Value(Value::String(value.to_owned())),
            summary: summary.to_owned(),
        }),
        None => Err(FixError::Unsafe {
            reason: "no such file".into(),
        }),
    };
    Site {
        file: layer.file,
        field,
        edit,
    }
}

pub(crate) fn raise_memory(
    sources: &[Source],
    target: &FixTarget,
    current: &str,
    new: &str,
    found: &mut Found,
) {
    let want = quantity::bytes(current);
    let summary = format!("Raise memory limit from {current} to {new}");
    for_each_value(
        sources,
        target,
        |stack, path, v| {
            let n = path.len();
            let tail = [key("resources"), key("limits"), key("memory")];
            if n < 3 || path[n - 3..] != tail || quantity::bytes(&scalar_string(v)?) != want {
                return None;
            }
            let layer = stack.owner(sources, path)?;
            Some(Ok(site(sources, layer, path.to_vec(), new, &summary)))
        },
        found,
    );
}

/// Calls `f` on every value of every release's merged Helm values, with its path,
/// collecting the sites it finds and the near misses it notes.
fn for_each_value(
    sources: &[Source],
    target: &FixTarget,
    mut f: impl FnMut(&Stack, &[Seg], &Value) -> Option<Result<Site, String>>,
    found: &mut Found,
) {
    fn walk(v: &Value, path: &mut Vec<Seg>, visit: &mut dyn FnMut(&[Seg], &Value)) {
        visit(path, v);
        match v {
            Value::Mapping(m) => {
                for (k, child) in m {
                    if let Some(k) = k.as_str() {
                        path.push(key(k));
                        walk(child, path, visit);
                        path.pop();
                    }
                }
            }
            Value::Sequence(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    walk(child, path, visit);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    for stack in layers::stacks(sources, &target.helm_values, &mut found.notes) {
        walk(
            &stack.merged,
            &mut Vec::new(),
            &mut |path, v| match f(&stack, path, v) {
                Some(Ok(site)) => found.sites.push(site),
                Some(Err(note)) => found.notes.push(note),
                None => {}
            },
        );
    }
}
