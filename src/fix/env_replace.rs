//! Replacing an env or envFrom entry the canary changed with the stable one. When both
//! have the same shape (the usual case: a re-pointed ConfigMap name or key, a new literal)
//! only the differing scalars are rewritten, so the entry's comments and quoting stay;
//! otherwise (a literal that became a reference, say) the whole item is rewritten.

use super::edit::{self, Splice};
use super::manifest::ContainerAt;
use super::render;
use super::verify::Expect;
use super::yaml_text::Seg;
use super::{Edit, FixError, Source, key};
use serde_json::Value as Json;

pub(crate) fn plan(
    src: &Source,
    c: &ContainerAt,
    list: &'static str,
    index: usize,
    have: &Json,
    want: &Json,
    summary: String,
) -> Result<Edit, FixError> {
    let mut at = c.path_to(&[list]);
    at.push(Seg::Index(index));
    let mut leaves = Vec::new();
    let same_shape = leaf_changes(have, want, &mut Vec::new(), &mut leaves);
    let splices = match same_shape.then(|| scalars(src, c, &at, &leaves)).flatten() {
        Some(s) => s,
        None => whole_item(src, c, &at, list, want)?,
    };
    Ok(Edit {
        doc: c.doc,
        at,
        splices,
        expect: Expect::Value(super::values::yaml(want)?),
        summary,
    })
}

/// The scalars that differ between two values of the same shape (same keys, same list
/// lengths); `false` when the shapes differ.
fn leaf_changes<'j>(
    have: &Json,
    want: &'j Json,
    path: &mut Vec<Seg>,
    out: &mut Vec<(Vec<Seg>, &'j Json)>,
) -> bool {
    match (have, want) {
        (Json::Object(h), Json::Object(w)) => {
            h.len() == w.len()
                && w.iter().all(|(k, wv)| {
                    let Some(hv) = h.get(k) else { return false };
                    path.push(key(k));
                    let same = leaf_changes(hv, wv, path, out);
                    path.pop();
                    same
                })
        }
        (Json::Array(h), Json::Array(w)) => {
            h.len() == w.len()
                && h.iter().zip(w).enumerate().all(|(i, (hv, wv))| {
                    path.push(Seg::Index(i));
                    let same = leaf_changes(hv, wv, path, out);
                    path.pop();
                    same
                })
        }
        (Json::Object(_) | Json::Array(_), _) | (_, Json::Object(_) | Json::Array(_)) => false,
        (h, w) => {
            if h != w {
                out.push((path.clone(), w));
            }
            true
        }
    }
}

/// One splice per changed scalar, each kept in its written style; `None` when one of them
/// is not a single-line scalar the text navigation can find.
fn scalars(
    src: &Source,
    c: &ContainerAt,
    item: &[Seg],
    leaves: &[(Vec<Seg>, &Json)],
) -> Option<Vec<Splice>> {
    let root = src.text.root(src.docs.get(c.doc)?.lines.clone())?;
    leaves
        .iter()
        .map(|(rel, value)| {
            let at = [item, rel].concat();
            let e = src.text.find_entry(root, &at)?;
            let s = src.text.scalar(&e)?;
            Some(edit::set_raw(
                &src.text,
                e.line,
                s,
                &render::json_scalar(value, s.style)?,
            ))
        })
        .collect()
}

/// The item's lines (up to its last content, so a comment introducing the next item stays)
/// replaced by the stable entry, rendered at the same dash column.
fn whole_item(
    src: &Source,
    c: &ContainerAt,
    at: &[Seg],
    list: &str,
    want: &Json,
) -> Result<Vec<Splice>, FixError> {
    let unsafe_ = |why: &str| FixError::Unsafe {
        reason: format!("{} in {}: {why}", c.field(list), src.path),
    };
    let text = &src.text;
    let item = src
        .docs
        .get(c.doc)
        .and_then(|d| text.root(d.lines.clone()))
        .and_then(|r| text.find_item(r, at))
        .ok_or_else(|| unsafe_("entry not found in the text (flow style?)"))?;
    let last = text
        .last_content(item.line..item.block.end, item.dash)
        .unwrap_or(item.line);
    let lines = render::sequence(
        std::slice::from_ref(want),
        item.dash,
        render::layout(text),
        text.eol,
    )
    .ok_or_else(|| unsafe_("cannot render the entry"))?;
    Ok(vec![Splice {
        lines: item.line..last + 1,
        with: lines,
    }])
}
