//! Which ReplicaSet and pods are the canary and which are the stable version.
//!
//! The Rollout status names them by pod-template hash (`currentPodHash` / `stableRS`, or the
//! blue-green `previewSelector` / `activeSelector`). Statuses without hashes (hand-written or
//! very old) fall back to ReplicaSet revisions: newest is canary, the one before is stable.

use super::model::Role;
use crate::model::workload::POD_TEMPLATE_HASH;
use crate::model::{Pod, PodTemplateSpec, ReplicaSet, Rollout};
use crate::source::ObjectSet;

pub struct Versions<'a> {
    pub canary_hash: Option<String>,
    pub stable_hash: Option<String>,
    pub canary_rs: Option<&'a ReplicaSet>,
    pub stable_rs: Option<&'a ReplicaSet>,
    /// Every ReplicaSet of the Rollout, for events and older-revision pods.
    pub all_rs: Vec<&'a ReplicaSet>,
}

pub fn resolve_versions<'a>(ro: &Rollout, objects: &'a ObjectSet) -> Versions<'a> {
    let ns = ro.metadata.namespace_or_default();
    let selector = ro.spec.selector.as_ref();
    let mut all_rs: Vec<&ReplicaSet> = objects
        .replica_sets
        .iter()
        .filter(|rs| rs.metadata.namespace_or_default() == ns)
        .filter(|rs| {
            rs.metadata
                .is_owned_by("Rollout", &ro.metadata.name, ro.metadata.uid.as_deref())
                || (rs.metadata.owner_references.is_empty()
                    && selector.is_some_and(|s| {
                        !s.match_labels.is_empty() && s.matches(&rs.metadata.labels)
                    }))
        })
        .collect();
    all_rs.sort_by_key(|rs| std::cmp::Reverse(revision(rs)));

    let mut canary_hash = ro.canary_hash().map(str::to_owned);
    let mut stable_hash = ro.stable_hash().map(str::to_owned);
    if canary_hash.is_none() {
        canary_hash = all_rs
            .first()
            .and_then(|rs| rs.pod_template_hash())
            .map(str::to_owned);
    }
    if stable_hash.is_none() {
        stable_hash = all_rs
            .get(1)
            .and_then(|rs| rs.pod_template_hash())
            .map(str::to_owned);
    }
    let by_hash = |h: &Option<String>| {
        h.as_deref().and_then(|h| {
            all_rs
                .iter()
                .copied()
                .find(|rs| rs.pod_template_hash() == Some(h))
        })
    };
    Versions {
        canary_rs: by_hash(&canary_hash),
        stable_rs: by_hash(&stable_hash),
        canary_hash,
        stable_hash,
        all_rs,
    }
}

fn revision(rs: &ReplicaSet) -> i64 {
    rs.revision().and_then(|r| r.parse().ok()).unwrap_or(0)
}

impl<'a> Versions<'a> {
    /// A hash that is both stable and canary (a fully promoted or never-started rollout) is
    /// stable: there is no canary to blame.
    pub fn role_of_hash(&self, hash: Option<&str>) -> Role {
        match hash {
            Some(h) if self.stable_hash.as_deref() == Some(h) => Role::Stable,
            Some(h) if self.canary_hash.as_deref() == Some(h) => Role::Canary,
            _ => Role::Other,
        }
    }

    pub fn has_canary(&self) -> bool {
        self.canary_hash.is_some() && self.canary_hash != self.stable_hash
    }

    pub fn stable_template(&self) -> Option<&'a PodTemplateSpec> {
        self.stable_rs.and_then(|rs| rs.spec.template.as_ref())
    }

    /// The canary's ReplicaSet template, else the Rollout's own (it is the desired new version).
    pub fn canary_template<'r>(&self, ro: &'r Rollout) -> Option<&'r PodTemplateSpec>
    where
        'a: 'r,
    {
        if !self.has_canary() {
            return None;
        }
        self.canary_rs
            .and_then(|rs| rs.spec.template.as_ref())
            .or(ro.spec.template.as_ref())
    }

    /// Pods of the Rollout's ReplicaSets, canary first then stable then older revisions.
    pub fn pods(&self, objects: &'a ObjectSet, ns: &str) -> Vec<&'a Pod> {
        let hashes: Vec<&str> = self
            .all_rs
            .iter()
            .filter_map(|rs| rs.pod_template_hash())
            .chain(self.canary_hash.as_deref())
            .chain(self.stable_hash.as_deref())
            .collect();
        let mut pods: Vec<&Pod> = objects
            .pods
            .iter()
            .filter(|p| p.metadata.namespace_or_default() == ns)
            .filter(|p| {
                p.metadata
                    .labels
                    .get(POD_TEMPLATE_HASH)
                    .is_some_and(|h| hashes.contains(&h.as_str()))
                    || self.all_rs.iter().any(|rs| {
                        p.metadata.is_owned_by(
                            "ReplicaSet",
                            &rs.metadata.name,
                            rs.metadata.uid.as_deref(),
                        )
                    })
            })
            .collect();
        pods.sort_by_key(|p| {
            (
                self.role_of_hash(p.pod_template_hash()),
                p.metadata.name.clone(),
            )
        });
        pods
    }
}
