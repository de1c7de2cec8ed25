//! Restoring a lost or changed env var or envFrom reference, in plain manifests only:
//! charts and overlays each lay env out their own way, so guessing there would be a
//! surprising edit.

use super::edit;
use super::env_replace;
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

/// What the diagnosis says the entry should be, and what the canary made of it.
pub(crate) struct Values<'a> {
    pub stable: &'a Json,
    /// Set when the canary changed the entry rather than dropping it.
    pub canary: Option<&'a Json>,
}

impl Restore {
    fn entry(&self) -> &Json {
        match self {
            Restore::Env { entry } | Restore::EnvFrom { entry, .. } => entry,
        }
    }
}

pub(crate) fn restore(
    sources: &[Source],
    target: &FixTarget,
    container: &str,
    name: &str,
    values: Values,
    found: &mut Found,
) -> Result<(), FixError> {
    check_json(values.stable)?;
    let restore = classify(name, values.stable)?;
    // The canary's entry, built as the stable one is, to recognise it in the repository.
    // A redacted one cannot be compared, so it confirms nothing.
    let canary: Option<Result<Json, String>> = values.canary.map(|c| {
        check_json(c)
            .and_then(|()| classify(name, c))
            .map(|r| r.entry().clone())
            .map_err(|e| e.to_string())
    });
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
        let summary = format!("Restore {name} in {} {list}", c.name);
        let not_found = |why: &str| {
            Err(FixError::NotFound {
                what: format!("{} already has {name} in {field} {why}", src.path),
            })
        };
        let existing = items
            .into_iter()
            .flatten()
            .enumerate()
            .find(|(_, i)| present(i));
        let edit = match (existing, &canary) {
            (Some((index, have)), canary) => {
                let have = serde_json::to_value(have).unwrap_or_default();
                // Only the canary's own definition is replaced: anything else may be a later,
                // deliberate change, which a fix must not overwrite.
                match canary {
                    _ if have == *entry => {
                        not_found("as the stable template does (already fixed?)")
                    }
                    Some(Ok(faulty)) if have == *faulty => {
                        env_replace::plan(src, &c, list, index, &have, entry, summary)
                    }
                    Some(Ok(_)) => not_found(
                        "differently from both the canary and the stable template (the repo moved on?)",
                    ),
                    Some(Err(_)) => not_found(
                        "differently, and the canary's value cannot be compared (redacted?) to confirm it as the faulty one",
                    ),
                    None => not_found(
                        "differently; without the canary's value it cannot be confirmed as the faulty one (the repo moved on?)",
                    ),
                }
            }
            // The canary has the entry, so it comes from somewhere this file does not show
            // (a patch, a component): one added here would not be the one that applies.
            (None, Some(_)) => Err(FixError::NotFound {
                what: format!(
                    "{} has no {name} in {field}, though the canary defines one: it is set elsewhere",
                    src.path
                ),
            }),
            (None, None) => plan(src, &c, list, entry).and_then(|splices| {
                let mut after: Vec<Value> = items.cloned().unwrap_or_default();
                after.push(super::values::yaml(entry)?);
                Ok(Edit {
                    doc: c.doc,
                    at: c.path_to(&[list]),
                    splices,
                    expect: Expect::Value(Value::Sequence(after)),
                    summary,
                })
            }),
        };
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
