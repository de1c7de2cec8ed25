//! Kustomizations: an `images:` override that renders the canary image.
//!
//! Kustomize replaces an image whose repository is `name` with `newName` (if set) and its
//! tag with `newTag`, or pins `digest` instead. An entry without newTag or digest keeps the
//! base's tag, which this file cannot show, so such entries never match.

use super::edit::{self, Splice};
use super::verify::Expect;
use super::yaml_text::{Item, Seg};
use super::{Edit, FixError, Found, Site, Source, SourceKind, key, render, split_image};
use serde_yaml_ng::{Mapping, Value};

pub(crate) fn revert_image(
    sources: &[Source],
    container: &str,
    canary: &str,
    stable: &str,
    found: &mut Found,
) {
    for (file, src) in sources
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == SourceKind::Kustomization)
    {
        for (doc, d) in src.docs.iter().enumerate() {
            let Some(images) = d.value.get("images").and_then(Value::as_sequence) else {
                continue;
            };
            for (i, entry) in images.iter().enumerate() {
                let Some(m) = entry.as_mapping() else {
                    continue;
                };
                let Some(name) = m.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let at = vec![key("images"), Seg::Index(i)];
                let root = src.text.root(d.lines.clone());
                let item = root.and_then(|r| src.text.find_item(r, &at));
                let text_of = |k: &str| -> Option<String> {
                    // newTag as written: `2.40` must not become the float 2.4.
                    let e = src
                        .text
                        .entries(item?.block)?
                        .into_iter()
                        .find(|e| e.key == k)?;
                    src.text.scalar_text(e.line, src.text.scalar(&e)?)
                };
                let text_or_value =
                    |k: &str| text_of(k).or_else(|| m.get(k).and_then(super::scalar_string));
                let repo = text_or_value("newName").unwrap_or_else(|| name.to_owned());
                let rendered = match (text_or_value("digest"), text_or_value("newTag")) {
                    (Some(d), _) => format!("{repo}@{d}"),
                    (None, Some(t)) => format!("{repo}:{t}"),
                    (None, None) => continue,
                };
                if rendered != canary {
                    if repo == split_image(canary).0 {
                        found
                            .notes
                            .push(format!("{} renders {name} as {rendered}", src.path));
                    }
                    continue;
                }
                let (edit, field) = match plan_entry(src, item, name, &repo, m, stable) {
                    Ok((splices, intended, changed)) => {
                        let field = match &changed[..] {
                            [one] => format!("images[{name}].{one}"),
                            _ => format!("images[{name}]"),
                        };
                        let who = if container.is_empty() {
                            name
                        } else {
                            container
                        };
                        let edit = Edit {
                            doc,
                            at,
                            splices,
                            expect: Expect::Value(Value::Mapping(intended)),
                            summary: format!("Revert {who} image to {stable}"),
                        };
                        (Ok(edit), field)
                    }
                    Err(e) => (Err(e), format!("images[{name}]")),
                };
                found.sites.push(Site { file, field, edit });
            }
        }
    }
}

/// The splices, the entry as it must read afterwards, and the keys that change.
fn plan_entry(
    src: &Source,
    item: Option<Item>,
    name: &str,
    repo: &str,
    current: &Mapping,
    stable: &str,
) -> Result<(Vec<Splice>, Mapping, Vec<&'static str>), FixError> {
    let unsafe_ = |reason: String| FixError::Unsafe { reason };
    let (s_repo, s_tag, s_digest) = split_image(stable);
    let mut ops: Vec<(&'static str, Option<&str>)> = Vec::new();
    if s_repo != repo {
        ops.push(("newName", (s_repo != name).then_some(s_repo)));
    }
    match (s_tag, s_digest) {
        (Some(_), Some(_)) => {
            return Err(unsafe_(format!(
                "stable image {stable} has both a tag and a digest; kustomize images cannot pin both unambiguously"
            )));
        }
        (None, Some(d)) => ops.extend([("digest", Some(d)), ("newTag", None)]),
        (Some(t), None) => ops.extend([("newTag", Some(t)), ("digest", None)]),
        (None, None) => {
            return Err(unsafe_(format!(
                "stable image {stable} has neither tag nor digest"
            )));
        }
    }
    let text = &src.text;
    let item = item.ok_or_else(|| {
        unsafe_(format!(
            "images entry {name} in {} not found in the text",
            src.path
        ))
    })?;
    let entries = text.entries(item.block).ok_or_else(|| {
        unsafe_(format!(
            "images entry {name} in {} has an unusual layout",
            src.path
        ))
    })?;
    let (mut splices, mut inserts, mut intended, mut changed) =
        (Vec::new(), Vec::new(), current.clone(), Vec::new());
    for (k, want) in ops {
        let now = current.get(k).and_then(super::scalar_string);
        if now.as_deref() == want {
            continue;
        }
        let existing = entries.iter().find(|e| e.key == k);
        match (want, existing) {
            (None, None) => continue,
            (None, Some(e)) if e.line == item.line => {
                return Err(unsafe_(format!(
                    "{k} shares its line with the list dash in {}",
                    src.path
                )));
            }
            (None, Some(e)) => {
                intended.shift_remove(k);
                splices.push(edit::remove_entry(text, e));
            }
            (Some(v), Some(e)) => {
                let s = text
                    .scalar(e)
                    .ok_or_else(|| unsafe_(format!("{k} of {name} is not a single-line scalar")))?;
                intended.insert(Value::String(k.into()), Value::String(v.into()));
                splices.push(edit::set_scalar(text, e.line, s, v));
            }
            (Some(v), None) => {
                intended.insert(Value::String(k.into()), Value::String(v.into()));
                let pad = " ".repeat(item.block.col);
                let style = super::yaml_text::Style::Plain;
                inserts.push(format!(
                    "{pad}{k}: {}{}",
                    render::scalar(v, style),
                    text.eol
                ));
            }
        }
        changed.push(k);
    }
    if !inserts.is_empty() {
        let last = text
            .last_content(item.block.first..item.block.end, item.block.col)
            .unwrap_or(item.line);
        splices.push(edit::insert(last + 1, inserts));
    }
    Ok((splices, intended, changed))
}
