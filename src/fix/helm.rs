//! Helm values files. Charts name things freely, so only the near-universal shapes are
//! recognised: an image block (`repository` + `tag`, optionally `registry`), a whole image
//! string, and `resources.limits.memory` anywhere.

use super::verify::{Expect, show};
use super::yaml_text::Seg;
use super::{
    Edit, Found, Site, Source, SourceKind, key, quantity, replace_at, scalar_string, split_image,
};
use serde_yaml_ng::Value;

pub(crate) fn revert_image(sources: &[Source], canary: &str, stable: &str, found: &mut Found) {
    let (c_repo, c_tag, c_digest) = split_image(canary);
    let (s_repo, s_tag, s_digest) = split_image(stable);
    for_each_value(
        sources,
        |file, src, doc, path, v| {
            let site = |at: Vec<Seg>, value: &str, field: String| Site {
                file,
                field,
                edit: replace_at(src, doc, &at, value).map(|splices| Edit {
                    doc,
                    at,
                    splices,
                    expect: Expect::Value(Value::String(value.to_owned())),
                    summary: format!("Revert image to {stable}"),
                }),
            };
            if v.as_str() == Some(canary) {
                return Some(Ok(site(path.to_vec(), stable, show(path))));
            }
            let m = v.as_mapping()?;
            let repo = m.get("repository").and_then(Value::as_str)?;
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
            let mut at = path.to_vec();
            at.push(key("tag"));
            // The tag as written, so `2.40` is not compared as the float 2.4.
            let root = src.text.root(src.docs.get(doc)?.lines.clone());
            let written = root
                .and_then(|r| src.text.find_entry(r, &at))
                .and_then(|e| src.text.scalar_text(e.line, src.text.scalar(&e)?));
            let tag = written.or_else(|| m.get("tag").and_then(scalar_string))?;
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
            let field = show(&at);
            match (s_tag, s_digest) {
                (Some(t), None) if s_repo == c_repo => Some(Ok(site(at, t, field))),
                _ => Some(Ok(Site {
                    file,
                    field,
                    edit: Err(super::FixError::Unsafe {
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

pub(crate) fn raise_memory(sources: &[Source], current: &str, new: &str, found: &mut Found) {
    let want = quantity::bytes(current);
    for_each_value(
        sources,
        |file, src, doc, path, v| {
            let n = path.len();
            let tail = [key("resources"), key("limits"), key("memory")];
            if n < 3 || path[n - 3..] != tail || quantity::bytes(&scalar_string(v)?) != want {
                return None;
            }
            let at = path.to_vec();
            Some(Ok(Site {
                file,
                field: show(&at),
                edit: replace_at(src, doc, &at, new).map(|splices| Edit {
                    doc,
                    at,
                    splices,
                    expect: Expect::Value(Value::String(new.to_owned())),
                    summary: format!("Raise memory limit from {current} to {new}"),
                }),
            }))
        },
        found,
    );
}

/// Calls `f` on every value of every Helm values document, with its path, collecting the
/// sites it finds and the near misses it notes.
fn for_each_value(
    sources: &[Source],
    mut f: impl FnMut(usize, &Source, usize, &[Seg], &Value) -> Option<Result<Site, String>>,
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
    for (file, src) in sources
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == SourceKind::HelmValues)
    {
        for (doc, d) in src.docs.iter().enumerate() {
            walk(
                &d.value,
                &mut Vec::new(),
                &mut |path, v| match f(file, src, doc, path, v) {
                    Some(Ok(site)) => found.sites.push(site),
                    Some(Err(note)) => found.notes.push(note),
                    None => {}
                },
            );
        }
    }
}
