//! Restoring a lost env var or envFrom reference, in plain manifests only: charts and
//! overlays each lay env out their own way, so guessing there would be a surprising edit.

use super::edit;
use super::manifest::{ContainerAt, containers};
use super::render;
use super::verify::Expect;
use super::{Edit, FixError, FixTarget, Found, Site, Source, SourceKind, check_json};
use serde_json::{Value as Json, json};
use serde_yaml_ng::Value;

/// What the Action designates (see the spec diff's field names: `env.<NAME>` gives the var
/// name, `envFrom.configMap.<n>` gives `configMap.<n>`, volumes and mounts their key).
enum Restore {
    Env {
        entry: Json,
    },
    EnvFrom {
        entry: Json,
        reference: &'static str,
        target: String,
    },
}

fn classify(name: &str, stable: &Json) -> Result<Restore, FixError> {
    let not_fixable = |what: String| {
        Err(FixError::NotFixable {
            action: format!("restore_env: {what}"),
        })
    };
    if name.is_empty() {
        return not_fixable("the diagnosis names nothing to restore".into());
    }
    const REFS: [&str; 4] = [
        "secretKeyRef",
        "configMapKeyRef",
        "fieldRef",
        "resourceFieldRef",
    ];
    match stable {
        Json::String(value) => Ok(Restore::Env {
            entry: json!({ "name": name, "value": value }),
        }),
        Json::Object(m) if REFS.iter().any(|r| m.contains_key(*r)) => {
            if m.contains_key("value") || m.len() != 1 {
                return Err(FixError::Unsafe {
                    reason: format!("stable definition of {name} mixes a value with references"),
                });
            }
            Ok(Restore::Env {
                entry: json!({ "name": name, "valueFrom": stable }),
            })
        }
        Json::Object(m) => {
            for (prefix, reference) in [("configMap.", "configMapRef"), ("secret.", "secretRef")] {
                if let Some(target) = name.strip_prefix(prefix)
                    && m.contains_key(reference)
                {
                    return Ok(Restore::EnvFrom {
                        entry: stable.clone(),
                        reference,
                        target: target.to_owned(),
                    });
                }
            }
            if m.contains_key("mountPath") {
                return not_fixable(format!(
                    "volume mount {name} needs its volume too; restore both by hand"
                ));
            }
            not_fixable(format!(
                "{name} is a pod volume, which is not restored automatically"
            ))
        }
        _ => not_fixable(format!("no stable definition of {name} to restore")),
    }
}

pub(crate) fn restore(
    sources: &[Source],
    target: &FixTarget,
    container: &str,
    name: &str,
    stable: &Json,
    found: &mut Found,
) -> Result<(), FixError> {
    check_json(stable)?;
    let restore = classify(name, stable)?;
    let (list, entry) = match &restore {
        Restore::Env { entry } => ("env", entry),
        Restore::EnvFrom { entry, .. } => ("envFrom", entry),
    };
    let present = |item: &Value| match &restore {
        Restore::Env { .. } => item.get("name").and_then(Value::as_str) == Some(name),
        Restore::EnvFrom {
            reference, target, ..
        } => {
            item.get(*reference)
                .and_then(|r| r.get("name"))
                .and_then(Value::as_str)
                == Some(target)
        }
    };
    let found_containers = containers(sources, target, container, &["containers"]);
    if found_containers.is_empty() && sources.iter().any(|s| s.kind != SourceKind::Manifest) {
        return Err(FixError::NotFixable {
            action: format!(
                "restore_env: no plain manifest of Rollout {} found, and env in Helm values or kustomizations is not edited (charts differ)",
                target.rollout
            ),
        });
    }
    for c in found_containers {
        let src = &sources[c.file];
        let items = c.value.get(list).and_then(Value::as_sequence);
        let field = c.field(list);
        if let Some(have) = items.into_iter().flatten().find(|i| present(i)) {
            // The Action carries no canary value, so a differing entry cannot be told
            // apart from a later, deliberate change: it is reported, never overwritten.
            let same = serde_json::to_value(have).is_ok_and(|h| h == *entry);
            let why = if same {
                "as the stable template does (already fixed?)"
            } else {
                "differently; without the canary's value it cannot be confirmed as the faulty one (the repo moved on?)"
            };
            let what = format!("{} already has {name} in {field} {why}", src.path);
            found.sites.push(Site {
                file: c.file,
                field,
                edit: Err(FixError::NotFound { what }),
            });
            continue;
        }
        let edit = plan(src, &c, list, entry).and_then(|splices| {
            let mut after: Vec<Value> = items.cloned().unwrap_or_default();
            after.push(
                serde_yaml_ng::to_value(entry).map_err(|e| FixError::Unsafe {
                    reason: e.to_string(),
                })?,
            );
            Ok(Edit {
                doc: c.doc,
                at: c.path_to(&[list]),
                splices,
                expect: Expect::Value(Value::Sequence(after)),
                summary: format!("Restore {name} in {} {list}", c.name),
            })
        });
        found.sites.push(Site {
            file: c.file,
            field,
            edit,
        });
    }
    Ok(())
}

/// Appends the entry to the container's list, creating the list after `image:` when absent.
fn plan(
    src: &Source,
    c: &ContainerAt,
    list: &str,
    entry: &Json,
) -> Result<Vec<edit::Splice>, FixError> {
    let unsafe_ = |why: &str| FixError::Unsafe {
        reason: format!("{} in {}: {why}", c.field(list), src.path),
    };
    let text = &src.text;
    let block = c
        .block(src)
        .ok_or_else(|| unsafe_("container not found in the text (flow style?)"))?;
    let entries = text
        .entries(block)
        .ok_or_else(|| unsafe_("container has an unusual layout"))?;
    let layout = render::layout(text);
    let render_at = |dash: usize| {
        render::sequence(std::slice::from_ref(entry), dash, layout, text.eol)
            .ok_or_else(|| unsafe_("cannot render the entry"))
    };
    match entries.iter().find(|e| e.key == list) {
        Some(e) => {
            if e.value.is_some() {
                return Err(unsafe_("the list is written in flow style"));
            }
            let items = text
                .sequence(e)
                .ok_or_else(|| unsafe_("not a block sequence"))?;
            let dash = items.first().map_or(e.col + layout.seq_offset, |i| i.dash);
            let at = match items.last() {
                Some(_) => text.last_content(e.line + 1..e.end, dash).unwrap_or(e.line) + 1,
                None => e.line + 1,
            };
            Ok(vec![edit::insert(at, render_at(dash)?)])
        }
        None => {
            let anchor = ["image", "name"]
                .iter()
                .find_map(|k| {
                    entries
                        .iter()
                        .find(|e| e.key == *k && text.scalar(e).is_some())
                })
                .ok_or_else(|| unsafe_("no single-line image or name to place the list after"))?;
            let mut lines = vec![format!("{}{list}:{}", " ".repeat(block.col), text.eol)];
            lines.extend(render_at(block.col + layout.seq_offset)?);
            Ok(vec![edit::insert(anchor.line + 1, lines)])
        }
    }
}
