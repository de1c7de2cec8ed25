//! Plain manifests: the Rollout's own pod template.

use super::verify::Expect;
use super::yaml_text::{Block, Item, Seg};
use super::{
    Edit, FixTarget, Found, Site, Source, SourceKind, key, quantity, replace_at, scalar_string,
};
use serde_yaml_ng::Value;

/// A container of the target Rollout in some file.
pub(crate) struct ContainerAt<'s> {
    pub file: usize,
    pub doc: usize,
    pub list: &'static str,
    pub index: usize,
    pub name: String,
    pub value: &'s Value,
}

impl ContainerAt<'_> {
    pub fn path(&self) -> Vec<Seg> {
        vec![
            key("spec"),
            key("template"),
            key("spec"),
            key(self.list),
            Seg::Index(self.index),
        ]
    }

    /// The path of one of its fields.
    pub fn path_to(&self, fields: &[&str]) -> Vec<Seg> {
        let mut p = self.path();
        p.extend(fields.iter().map(|f| key(f)));
        p
    }

    /// How a PR names the field: by container name rather than index.
    pub fn field(&self, rest: &str) -> String {
        format!("spec.template.spec.{}[{}].{rest}", self.list, self.name)
    }

    /// Where the container sits in the text, if this module can follow the layout.
    pub fn item(&self, src: &Source) -> Option<Item> {
        let root = src.text.root(src.docs.get(self.doc)?.lines.clone())?;
        src.text.find_item(root, &self.path())
    }

    pub fn block(&self, src: &Source) -> Option<Block> {
        self.item(src).map(|i| i.block)
    }
}

/// Containers named `container` (any when empty) of Rollouts named as the target, in plain
/// manifests, or of the Deployment such a Rollout names in `workloadRef` (which then holds
/// the pod template). A namespace only rules a document out when both sides name one, since
/// kustomize and Argo CD usually set it from outside the file.
pub(crate) fn containers<'s>(
    sources: &'s [Source],
    target: &FixTarget,
    container: &str,
    lists: &[&'static str],
) -> Vec<ContainerAt<'s>> {
    let manifests = || {
        sources
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == SourceKind::Manifest)
            .flat_map(|(file, s)| {
                s.docs
                    .iter()
                    .enumerate()
                    .map(move |(doc, d)| (file, doc, &d.value))
            })
    };
    let str_at = |v: &'s Value, path: &[&str]| -> Option<&'s str> {
        path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
    };
    let is = |v: &'s Value, kind: &str, name: &str| {
        str_at(v, &["kind"]) == Some(kind)
            && str_at(v, &["metadata", "name"]) == Some(name)
            && match (&target.namespace, str_at(v, &["metadata", "namespace"])) {
                (Some(want), Some(ns)) => want == ns,
                _ => true,
            }
    };
    let workloads: Vec<&str> = manifests()
        .filter(|(_, _, v)| is(v, "Rollout", &target.rollout))
        .filter(|(_, _, v)| str_at(v, &["spec", "workloadRef", "kind"]) == Some("Deployment"))
        .filter_map(|(_, _, v)| str_at(v, &["spec", "workloadRef", "name"]))
        .collect();
    let mut out = Vec::new();
    for (file, doc, v) in manifests() {
        if !is(v, "Rollout", &target.rollout) && !workloads.iter().any(|w| is(v, "Deployment", w)) {
            continue;
        }
        let pod = v
            .get("spec")
            .and_then(|s| s.get("template"))
            .and_then(|t| t.get("spec"));
        for &list in lists {
            let items = pod.and_then(|p| p.get(list)).and_then(Value::as_sequence);
            for (index, c) in items.into_iter().flatten().enumerate() {
                let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
                if container.is_empty() || name == container {
                    out.push(ContainerAt {
                        file,
                        doc,
                        list,
                        index,
                        name: name.to_owned(),
                        value: c,
                    });
                }
            }
        }
    }
    out
}

pub(crate) fn revert_image(
    sources: &[Source],
    target: &FixTarget,
    container: &str,
    canary: &str,
    stable: &str,
    found: &mut Found,
) {
    for c in containers(
        sources,
        target,
        container,
        &["containers", "initContainers"],
    ) {
        let src = &sources[c.file];
        let image = c.value.get("image").and_then(Value::as_str);
        if image != Some(canary) {
            if let Some(image) = image.filter(|_| !container.is_empty()) {
                found
                    .notes
                    .push(format!("{} has {} = {image}", src.path, c.field("image")));
            }
            continue;
        }
        let at = c.path_to(&["image"]);
        let edit = replace_at(src, c.doc, &at, stable).map(|splices| Edit {
            doc: c.doc,
            at,
            splices,
            expect: Expect::Value(Value::String(stable.to_owned())),
            summary: format!("Revert {} image to {stable}", c.name),
        });
        found.sites.push(Site {
            file: c.file,
            field: c.field("image"),
            edit,
        });
    }
}

/// Requests are left alone: they were at most the old limit, which is below the new one,
/// so the pod stays valid, and raising them too would change scheduling as well.
pub(crate) fn raise_memory(
    sources: &[Source],
    target: &FixTarget,
    container: &str,
    current: &str,
    new: &str,
    found: &mut Found,
) {
    let want = quantity::bytes(current);
    for c in containers(
        sources,
        target,
        container,
        &["containers", "initContainers"],
    ) {
        let src = &sources[c.file];
        let path = ["resources", "limits", "memory"];
        let at = c.path_to(&path);
        let rel: Vec<Seg> = path.iter().map(|p| key(p)).collect();
        let Some(limit) = super::verify::get(c.value, &rel).and_then(scalar_string) else {
            continue;
        };
        if quantity::bytes(&limit) != want {
            found.notes.push(format!(
                "{} has {} = {limit}",
                src.path,
                c.field(&path.join("."))
            ));
            continue;
        }
        let edit = replace_at(src, c.doc, &at, new).map(|splices| Edit {
            doc: c.doc,
            at: at.clone(),
            splices,
            expect: Expect::Value(Value::String(new.to_owned())),
            summary: format!("Raise {} memory limit from {current} to {new}", c.name),
        });
        found.sites.push(Site {
            file: c.file,
            field: c.field(&path.join(".")),
            edit,
        });
    }
}
