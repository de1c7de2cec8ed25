//! Object storage: one global resourceVersion (like etcd), bounded event history for watches.
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::RecordedRequest;
use super::faults::{ApiError, Fault};
pub use super::meta::{meta, meta_mut, meta_str, now_rfc3339};
pub use super::resources::ResourceDef;

pub(crate) struct HistEvent {
    pub rv: u64,
    pub res: String,
    pub ns: String,
    pub typ: &'static str,
    pub object: Value,
    pub old: Option<Value>,
}

#[derive(Clone)]
pub(crate) enum WatchMsg {
    Event(Arc<HistEvent>),
    DropAll,
}

/// How a write treats `status` and server-owned metadata.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum WriteMode {
    /// Main resource endpoint: status changes ignored when a status subresource exists.
    Main,
    /// `/status` endpoint: only status changes.
    Status,
    /// Test helper: everything as given; uid/creationTimestamp/generation kept if provided.
    Raw,
}

pub(crate) struct LogEntry {
    pub text: String,
    pub stamp: String,
}

pub(crate) struct Store {
    pub resources: Vec<ResourceDef>,
    objects: HashMap<String, BTreeMap<(String, String), Value>>,
    pub rv: u64,
    history: VecDeque<Arc<HistEvent>>,
    /// Watches from a resourceVersion older than this get 410 Expired.
    pub history_start: u64,
    pub history_limit: usize,
    pub tx: broadcast::Sender<WatchMsg>,
    pub logs: HashMap<(String, String, String, bool), LogEntry>,
    pub requests: Vec<RecordedRequest>,
    pub faults: Vec<Fault>,
    seq: u64,
}

impl Store {
    pub fn new(tx: broadcast::Sender<WatchMsg>) -> Self {
        Store {
            resources: vec![],
            objects: HashMap::new(),
            rv: 1,
            history: VecDeque::new(),
            history_start: 0,
            history_limit: 10_000,
            tx,
            logs: HashMap::new(),
            requests: vec![],
            faults: vec![],
            seq: 0,
        }
    }

    pub fn random(&mut self) -> u64 {
        self.seq += 1;
        std::collections::hash_map::RandomState::new().hash_one(self.seq ^ self.rv.rotate_left(32))
    }

    fn uid(&mut self) -> String {
        let (a, b) = (self.random(), self.random());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// Resolve `plural`, `plural.group` or (group, plural).
    pub fn resolve(&self, plural: &str) -> Option<ResourceDef> {
        let (p, g) = plural.split_once('.').unwrap_or((plural, ""));
        let exact = self
            .resources
            .iter()
            .find(|r| r.plural == p && r.group == g);
        exact
            .or_else(|| self.resources.iter().find(|r| r.plural == p))
            .cloned()
    }

    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<ResourceDef> {
        self.resources
            .iter()
            .find(|r| r.api_version() == api_version && r.kind == kind)
            .cloned()
    }

    pub fn get(&self, res: &ResourceDef, ns: &str, name: &str) -> Option<&Value> {
        let ns = if res.namespaced { ns } else { "" };
        self.objects
            .get(&res.key())?
            .get(&(ns.to_string(), name.to_string()))
    }

    /// Objects of `res` (optionally in one namespace), ordered by (namespace, name).
    pub fn list(&self, res: &ResourceDef, ns: Option<&str>) -> Vec<Value> {
        let Some(m) = self.objects.get(&res.key()) else {
            return vec![];
        };
        m.iter()
            .filter(|((n, _), _)| ns.is_none_or(|ns| ns == n))
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn emit(&mut self, typ: &'static str, res: &ResourceDef, obj: &Value, old: Option<Value>) {
        let ev = Arc::new(HistEvent {
            rv: self.rv,
            res: res.key(),
            ns: meta_str(obj, "namespace").unwrap_or("").to_string(),
            typ,
            object: obj.clone(),
            old,
        });
        self.history.push_back(ev.clone());
        while self.history.len() > self.history_limit {
            let gone = self.history.pop_front().expect("non-empty");
            self.history_start = gone.rv;
        }
        let _ = self.tx.send(WatchMsg::Event(ev));
    }

    /// Events after `rv`, or `None` if `rv` is older than the retained history.
    pub fn events_since(&self, rv: u64) -> Option<Vec<Arc<HistEvent>>> {
        if rv < self.history_start {
            return None;
        }
        Some(self.history.iter().filter(|e| e.rv > rv).cloned().collect())
    }

    /// Like the apiserver's compactor (which itself writes to etcd): bump the revision and
    /// forget all history, so any watch from an earlier resourceVersion gets 410 Expired.
    pub fn compact(&mut self) {
        self.rv += 1;
        self.history.clear();
        self.history_start = self.rv;
    }

    fn bump(&mut self, obj: &mut Value) {
        self.rv += 1;
        meta_mut(obj).insert("resourceVersion".into(), json!(self.rv.to_string()));
    }

    fn put(&mut self, res: &ResourceDef, obj: &Value) {
        let key = (
            meta_str(obj, "namespace").unwrap_or("").to_string(),
            meta_str(obj, "name").unwrap_or("").to_string(),
        );
        self.objects
            .entry(res.key())
            .or_default()
            .insert(key, obj.clone());
    }

    pub fn create(
        &mut self,
        res: &ResourceDef,
        mut obj: Value,
        mode: WriteMode,
    ) -> Result<Value, ApiError> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request was not a JSON object",
            ));
        }
        obj["apiVersion"] = json!(res.api_version());
        obj["kind"] = json!(res.kind);
        let (ns, gen_name) = {
            let md = meta_mut(&mut obj);
            let ns = md
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (
                ns,
                md.get("generateName")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
        };
        if res.namespaced {
            let ns = if ns.is_empty() {
                "default".to_string()
            } else {
                ns
            };
            meta_mut(&mut obj).insert("namespace".into(), json!(ns));
        } else {
            meta_mut(&mut obj).remove("namespace");
        }
        let ns = meta_str(&obj, "namespace").unwrap_or("").to_string();
        let name = match (meta_str(&obj, "name"), gen_name) {
            (Some(n), _) => n.to_string(),
            (None, Some(prefix)) => loop {
                const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
                let r = self.random();
                let suffix: String = (0..5)
                    .map(|i| ALPHA[((r >> (i * 8)) % 27) as usize] as char)
                    .collect();
                let candidate = format!("{prefix}{suffix}");
                if self.get(res, &ns, &candidate).is_none() {
                    break candidate;
                }
            },
            (None, None) => {
                return Err(ApiError::invalid(
                    res,
                    "",
                    "metadata.name: Required value: name or generateName is required",
                ));
            }
        };
        if self.get(res, &ns, &name).is_some() {
            return Err(ApiError::already_exists(res, &name));
        }
        if mode == WriteMode::Main && res.has_status() {
            obj.as_object_mut().expect("object").remove("status");
        }
        let uid = self.uid();
        let md = meta_mut(&mut obj);
        md.insert("name".into(), json!(name));
        let keep = mode == WriteMode::Raw;
        for (field, value) in [
            ("uid", json!(uid)),
            ("creationTimestamp", json!(now_rfc3339())),
            ("generation", json!(1)),
        ] {
            if !keep || md.get(field).is_none_or(Value::is_null) {
                md.insert(field.into(), value);
            }
        }
        self.bump(&mut obj);
        self.put(res, &obj);
        self.emit("ADDED", res, &obj, None);
        Ok(obj)
    }

    pub fn update(
        &mut self,
        res: &ResourceDef,
        ns: &str,
        name: &str,
        body: Value,
        mode: WriteMode,
    ) -> Result<Value, ApiError> {
        let old = self
            .get(res, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(res, name))?;
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request was not a JSON object",
            ));
        }
        if let Some(n) = meta_str(&body, "name").filter(|n| *n != name) {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        let old_rv = meta_str(&old, "resourceVersion").unwrap_or("").to_string();
        if meta_str(&body, "resourceVersion").is_some_and(|rv| rv != old_rv) {
            return Err(ApiError::stale(res, name));
        }
        let mut new = match mode {
            WriteMode::Status => {
                let mut n = old.clone();
                match body.get("status") {
                    Some(s) if !s.is_null() => n["status"] = s.clone(),
                    _ => {
                        n.as_object_mut().expect("object").remove("status");
                    }
                }
                n
            }
            WriteMode::Main | WriteMode::Raw => {
                let mut n = body;
                if mode == WriteMode::Main && res.has_status() {
                    let obj = n.as_object_mut().expect("object");
                    match old.get("status") {
                        Some(s) => obj.insert("status".into(), s.clone()),
                        None => obj.remove("status"),
                    };
                }
                n
            }
        };
        new["apiVersion"] = json!(res.api_version());
        new["kind"] = json!(res.kind);
        let old_md = meta(&old).cloned().unwrap_or_default();
        let explicit_gen =
            mode == WriteMode::Raw && meta(&new).and_then(|m| m.get("generation")).is_some();
        let md = meta_mut(&mut new);
        for f in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "generation",
            "deletionTimestamp",
            "resourceVersion",
        ] {
            if mode == WriteMode::Raw
                && f != "resourceVersion"
                && f != "name"
                && f != "namespace"
                && md.contains_key(f)
            {
                continue;
            }
            match old_md.get(f) {
                Some(v) => md.insert(f.into(), v.clone()),
                None => md.remove(f),
            };
        }
        if mode != WriteMode::Status && !explicit_gen && new.get("spec") != old.get("spec") {
            let g = old_md
                .get("generation")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            meta_mut(&mut new).insert("generation".into(), json!(g + 1));
        }
        if new == old {
            return Ok(old); // no-op update: no new resourceVersion, no event
        }
        let finalizers_gone = meta(&new)
            .and_then(|m| m.get("finalizers"))
            .and_then(Value::as_array)
            .is_none_or(|f| f.is_empty());
        self.bump(&mut new);
        if meta_str(&new, "deletionTimestamp").is_some() && finalizers_gone {
            self.objects
                .get_mut(&res.key())
                .map(|m| m.remove(&(ns_key(res, ns), name.to_string())));
            self.emit("DELETED", res, &new, Some(old));
            return Ok(new);
        }
        self.put(res, &new);
        self.emit("MODIFIED", res, &new, Some(old));
        Ok(new)
    }

    /// Delete; objects with finalizers only get a deletionTimestamp (unless `force`).
    pub fn delete(
        &mut self,
        res: &ResourceDef,
        ns: &str,
        name: &str,
        pre: Option<&Value>,
        force: bool,
    ) -> Result<Value, ApiError> {
        let old = self
            .get(res, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(res, name))?;
        for (field, label) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
            let want = pre.and_then(|p| p.get(field)).and_then(Value::as_str);
            let have = meta_str(&old, field).unwrap_or("");
            if let Some(want) = want.filter(|w| *w != have) {
                let why = format!(
                    "Precondition failed: {label} in precondition: {want}, {label} in object meta: {have}"
                );
                return Err(ApiError::conflict(res, name, &why));
            }
        }
        let has_finalizers = meta(&old)
            .and_then(|m| m.get("finalizers"))
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        if has_finalizers && !force {
            if meta_str(&old, "deletionTimestamp").is_some() {
                return Ok(old);
            }
            let mut new = old.clone();
            meta_mut(&mut new).insert("deletionTimestamp".into(), json!(now_rfc3339()));
            meta_mut(&mut new).insert("deletionGracePeriodSeconds".into(), json!(0));
            self.bump(&mut new);
            self.put(res, &new);
            self.emit("MODIFIED", res, &new, Some(old));
            return Ok(new);
        }
        let mut gone = old.clone();
        self.objects
            .get_mut(&res.key())
            .map(|m| m.remove(&(ns_key(res, ns), name.to_string())));
        self.bump(&mut gone);
        self.emit("DELETED", res, &gone, Some(old));
        Ok(gone)
    }
}

fn ns_key(res: &ResourceDef, ns: &str) -> String {
    if res.namespaced {
        ns.to_string()
    } else {
        String::new()
    }
}
