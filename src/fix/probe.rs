//! Restoring a probe in a plain manifest. Only the lines that differ are touched when the
//! difference is in scalars (a path, a threshold); otherwise the block is rewritten from the
//! stable probe, with API-server defaults left out as people write them.

use super::edit::{self, Splice};
use super::manifest::{ContainerAt, containers};
use super::probe_norm::{leaf_diff, normalize_probe};
use super::render;
use super::verify::Expect;
use super::yaml_text::{Block, Seg, Style};
use super::{Edit, FixError, FixTarget, Found, Site, Source, check_json, key};
use serde_json::Value as Json;

pub(crate) fn fix(
    sources: &[Source],
    target: &FixTarget,
    container: &str,
    field: &str,
    stable: Option<&Json>,
    canary: Option<&Json>,
    found: &mut Found,
) -> Result<(), FixError> {
    let (list, probe) = match field.strip_prefix("initContainer.") {
        Some(p) => ("initContainers", p),
        None => ("containers", field),
    };
    if !matches!(probe, "livenessProbe" | "readinessProbe" | "startupProbe") {
        return Err(FixError::NotFixable {
            action: format!("fix_probe of {field}"),
        });
    }
    if let Some(s) = stable {
        check_json(s)?;
    }
    let (want_now, want_after) = (canary.map(normalize_probe), stable.map(normalize_probe));
    if want_now == want_after {
        return Err(FixError::NotFixable {
            action: format!("fix_probe: stable and canary {probe} are the same"),
        });
    }
    for c in containers(sources, target, container, &[list]) {
        let src = &sources[c.file];
        let now = c
            .value
            .get(probe)
            .filter(|v| !v.is_null())
            .and_then(|v| serde_json::to_value(v).ok());
        let probe_field = c.field(probe);
        if now.as_ref().map(normalize_probe) != want_now {
            found.notes.push(format!(
                "{} has a {probe_field} unlike the canary's",
                src.path
            ));
            continue;
        }
        let mut field = probe_field.clone();
        let edit =
            plan(src, &c, probe, now.as_ref(), want_after.as_ref()).map(|(splices, leaf)| {
                if let Some(leaf) = leaf {
                    field = format!("{probe_field}.{leaf}");
                }
                Edit {
                    doc: c.doc,
                    at: c.path_to(&[probe]),
                    splices,
                    expect: want_after.clone().map_or(Expect::Absent, Expect::Probe),
                    summary: format!("Restore the stable {probe} of {}", c.name),
                }
            });
        found.sites.push(Site {
            file: c.file,
            field,
            edit,
        });
    }
    Ok(())
}

/// The splices and, when exactly one scalar changes, its path inside the probe.
fn plan(
    src: &Source,
    c: &ContainerAt,
    probe: &str,
    now: Option<&Json>,
    stable: Option<&Json>,
) -> Result<(Vec<Splice>, Option<String>), FixError> {
    let unsafe_ = |why: &str| FixError::Unsafe {
        reason: format!("{} in {}: {why}", c.field(probe), src.path),
    };
    let text = &src.text;
    let item = c
        .item(src)
        .ok_or_else(|| unsafe_("container not found in the text (flow style?)"))?;
    let entries = text
        .entries(item.block)
        .ok_or_else(|| unsafe_("container has an unusual layout"))?;
    let entry = entries.iter().find(|e| e.key == probe);
    let layout = render::layout(text);
    let render = |st: &Json, col: usize| {
        st.as_object()
            .and_then(|m| render::mapping(m, col, layout, text.eol))
            .ok_or_else(|| unsafe_("cannot render the stable probe"))
    };
    let (Some(now), Some(st)) = (now, stable) else {
        return match (entry, stable) {
            (Some(e), _) if e.line == item.line => {
                Err(unsafe_("the probe shares its line with the list dash"))
            }
            // No probe (or an empty key) in the repo: write the stable one.
            (e, Some(st)) => {
                let mut lines = vec![format!(
                    "{}{probe}:{}",
                    " ".repeat(item.block.col),
                    text.eol
                )];
                lines.extend(render(st, item.block.col + layout.step)?);
                let last = text
                    .last_content(item.block.first..item.block.end, item.block.col)
                    .unwrap_or(item.line);
                Ok((
                    vec![match e {
                        Some(e) => Splice {
                            lines: e.line
                                ..text.last_content(e.line..e.end, e.col).unwrap_or(e.line) + 1,
                            with: lines,
                        },
                        None => edit::insert(last + 1, lines),
                    }],
                    None,
                ))
            }
            (Some(e), None) => Ok((vec![edit::remove_entry(text, e)], None)),
            (None, None) => Err(unsafe_("nothing to change")),
        };
    };
    let e = entry.ok_or_else(|| unsafe_("not found in the text"))?;
    let block = text
        .mapping(e)
        .ok_or_else(|| unsafe_("not a block mapping"))?;
    let mut leaves = Vec::new();
    leaf_diff(
        Some(&normalize_probe(now)),
        Some(st),
        &mut Vec::new(),
        &mut leaves,
    );
    let scalar = |v: &Option<Json>| v.as_ref().is_none_or(|v| !v.is_object() && !v.is_array());
    if leaves.iter().all(|(_, a, b)| scalar(a) && scalar(b))
        && let Some(splices) = scalar_edits(src, block, &leaves)
    {
        let leaf = match &leaves[..] {
            [(path, _, _)] => Some(path.join(".")),
            _ => None,
        };
        return Ok((splices, leaf));
    }
    let last = text
        .last_content(e.line + 1..e.end, e.col)
        .unwrap_or(e.line);
    Ok((
        vec![Splice {
            lines: e.line + 1..last + 1,
            with: render(st, block.col)?,
        }],
        None,
    ))
}

/// One splice per differing scalar: replaced in place, inserted into its mapping, or
/// removed when the stable probe leaves it at the default. `None` when the text does not
/// lend itself to that, and the block is rewritten instead.
fn scalar_edits(
    src: &Source,
    probe: Block,
    leaves: &[super::probe_norm::Leaf],
) -> Option<Vec<Splice>> {
    let text = &src.text;
    let mut out = Vec::new();
    for (path, _, want) in leaves {
        let (k, parents) = path.split_last()?;
        let parent = if parents.is_empty() {
            probe
        } else {
            let segs: Vec<Seg> = parents.iter().map(|p| key(p)).collect();
            text.mapping(&text.find_entry(probe, &segs)?)?
        };
        let existing = text.entries(parent)?.into_iter().find(|x| x.key == *k);
        match (existing, want) {
            (Some(x), Some(w)) => {
                let s = text.scalar(&x)?;
                out.push(edit::set_raw(
                    text,
                    x.line,
                    s,
                    &render::json_scalar(w, s.style)?,
                ));
            }
            (Some(x), None) => {
                text.scalar(&x)?;
                out.push(edit::remove_entry(text, &x));
            }
            (None, Some(w)) => {
                let at = text.last_content(parent.first..parent.end, parent.col)? + 1;
                let line = format!(
                    "{}{k}: {}{}",
                    " ".repeat(parent.col),
                    render::json_scalar(w, Style::Plain)?,
                    text.eol
                );
                out.push(edit::insert(at, vec![line]));
            }
            (None, None) => {}
        }
    }
    Some(out)
}
