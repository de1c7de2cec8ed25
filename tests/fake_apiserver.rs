//! The fake API server, driven by the real kube client.
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::ResourceExt;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, LogParams, Patch,
    PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::core::Status;
use kube::runtime::watcher::{self, Event};
use serde_json::{Value, json};
use support::{FakeApiServer, Fault, ResourceDef};

const T: Duration = Duration::from_secs(10);

fn rollouts_ar() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"),
        "rollouts",
    )
}

fn rollout(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": { "name": name, "namespace": "default", "labels": { "app": name } },
        "spec": { "replicas": 2, "template": { "spec": { "containers": [{ "name": "app", "image": image }] } } },
        "status": { "phase": "Healthy" },
    })
}

fn pod(name: &str, labels: Value, containers: &[&str], phase: &str, node: &str) -> Value {
    let cs: Vec<Value> = containers
        .iter()
        .map(|c| json!({ "name": c, "image": "busybox" }))
        .collect();
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": name, "namespace": "default", "labels": labels },
        "spec": { "containers": cs, "nodeName": node },
        "status": { "phase": phase },
    })
}

fn status_of(e: kube::Error) -> Box<Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn names<K: ResourceExt>(items: &[K]) -> Vec<String> {
    items.iter().map(|o| o.name_any()).collect()
}

type Item = Result<Event<DynamicObject>, watcher::Error>;
type Events = tokio::sync::mpsc::UnboundedReceiver<Item>;

/// Run a kube watcher in its own task, as a controller would (it is always being polled).
fn spawn_watcher(api: Api<DynamicObject>, cfg: watcher::Config) -> Events {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut w = watcher::watcher(api, cfg).boxed();
        while let Some(ev) = w.next().await {
            if tx.send(ev).is_err() {
                return;
            }
        }
    });
    rx
}

/// Receive watcher events until `done` matches one; returns everything seen (including it).
async fn until(w: &mut Events, what: &str, mut done: impl FnMut(&Item) -> bool) -> Vec<Item> {
    let mut seen = vec![];
    let res = tokio::time::timeout(T, async {
        while let Some(ev) = w.recv().await {
            let stop = done(&ev);
            seen.push(ev);
            if stop {
                return;
            }
        }
        panic!("watcher stream ended while waiting for {what}");
    })
    .await;
    assert!(res.is_ok(), "timed out waiting for {what}; saw {seen:?}");
    seen
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let ok = tokio::time::timeout(T, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(ok.is_ok(), "timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn version_and_discovery_work_with_kube_discovery() {
    let server = FakeApiServer::start().await;
    let client = server.client();
    let info = client.apiserver_version().await.unwrap();
    assert_eq!((info.major.as_str(), info.minor.as_str()), ("1", "35"));

    let discovery = kube::Discovery::new(client).run().await.unwrap();
    let (ar, caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"))
        .unwrap();
    assert_eq!(ar.plural, "rollouts");
    assert!(caps.supports_operation("watch"));
    assert!(
        caps.subresources
            .iter()
            .any(|(sr, _)| sr.plural == "status")
    );
    let (cat, caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk(
            "argoproj.io",
            "v1alpha1",
            "ClusterAnalysisTemplate",
        ))
        .unwrap();
    assert_eq!(cat.plural, "clusteranalysistemplates");
    assert_eq!(caps.scope, kube::discovery::Scope::Cluster);
    let (pods, caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk("", "v1", "Pod"))
        .unwrap();
    assert_eq!(pods.plural, "pods");
    assert!(caps.subresources.iter().any(|(sr, _)| sr.plural == "log"));
    assert!(
        discovery
            .resolve_gvk(&GroupVersionKind::gvk(
                "rolloutdoctor.io",
                "v1alpha1",
                "RolloutDiagnosis"
            ))
            .is_some()
    );
    assert!(
        discovery
            .resolve_gvk(&GroupVersionKind::gvk("events.k8s.io", "v1", "Event"))
            .is_some()
    );

    // a runtime-registered resource appears too
    server.register(ResourceDef::new(
        "example.com",
        "v1",
        "Widget",
        "widgets",
        true,
    ));
    let discovery = kube::Discovery::new(server.client()).run().await.unwrap();
    assert!(
        discovery
            .resolve_gvk(&GroupVersionKind::gvk("example.com", "v1", "Widget"))
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_pagination_sees_every_object_once() {
    let server = FakeApiServer::start().await;
    for i in 0..5 {
        server.apply(rollout(&format!("r{i}"), "app:1"));
    }
    server.apply(json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "other", "namespace": "prod"}}));
    let api: Api<DynamicObject> = Api::namespaced_with(server.client(), "default", &rollouts_ar());
    let (mut seen, mut pages, mut token) = (vec![], 0, None::<String>);
    loop {
        let mut lp = ListParams::default().limit(2);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = api.list(&lp).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 2);
        assert!(
            page.items
                .iter()
                .all(|o| o.types.as_ref().unwrap().kind == "Rollout")
        );
        assert!(
            !page
                .metadata
                .resource_version
                .clone()
                .unwrap_or_default()
                .is_empty()
        );
        seen.extend(names(&page.items));
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, vec!["r0", "r1", "r2", "r3", "r4"]);

    let all: Api<DynamicObject> = Api::all_with(server.client(), &rollouts_ar());
    assert_eq!(
        all.list(&ListParams::default()).await.unwrap().items.len(),
        6
    );
    let err = status_of(
        api.list(&ListParams::default().continue_token("zz-not-a-token"))
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (400, "BadRequest"));
}

#[tokio::test(flavor = "multi_thread")]
async fn label_and_field_selectors_filter_lists() {
    let server = FakeApiServer::start().await;
    server.apply(pod(
        "web-1",
        json!({"app": "web", "tier": "fe"}),
        &["c"],
        "Running",
        "n1",
    ));
    server.apply(pod("web-2", json!({"app": "web"}), &["c"], "Pending", "n2"));
    server.apply(pod(
        "api-1",
        json!({"app": "api", "tier": "be"}),
        &["c"],
        "Running",
        "n2",
    ));
    server.apply(pod("db-1", json!({}), &["c"], "Failed", "n1"));
    let pods: Api<Pod> = Api::default_namespaced(server.client());
    let sel = |l: &'static str, f: &'static str| {
        let pods = pods.clone();
        async move {
            let mut lp = ListParams::default();
            if !l.is_empty() {
                lp = lp.labels(l);
            }
            if !f.is_empty() {
                lp = lp.fields(f);
            }
            names(&pods.list(&lp).await.unwrap().items)
        }
    };
    assert_eq!(sel("app=web", "").await, ["web-1", "web-2"]);
    assert_eq!(sel("app==web,tier=fe", "").await, ["web-1"]);
    assert_eq!(sel("app!=web", "").await, ["api-1", "db-1"]);
    assert_eq!(
        sel("app in (web, api)", "").await,
        ["api-1", "web-1", "web-2"]
    );
    assert_eq!(sel("app notin (web)", "").await, ["api-1", "db-1"]);
    assert_eq!(sel("tier", "").await, ["api-1", "web-1"]);
    assert_eq!(sel("!tier", "").await, ["db-1", "web-2"]);
    assert_eq!(sel("", "metadata.name=db-1").await, ["db-1"]);
    assert_eq!(
        sel("", "status.phase=Running,spec.nodeName!=n1").await,
        ["api-1"]
    );
    assert_eq!(sel("app=web", "spec.nodeName==n2").await, ["web-2"]);
    assert_eq!(sel("", "metadata.namespace=default").await.len(), 4);
    assert!(sel("", "metadata.namespace=prod").await.is_empty());

    server.apply(json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "uid": "u-1"}, "reason": "BackOff"}));
    server.apply(json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e2", "namespace": "default"},
        "involvedObject": {"kind": "Rollout", "name": "web", "uid": "u-2"}, "reason": "RolloutAborted"}));
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::default_namespaced(server.client());
    let lp = ListParams::default().fields("involvedObject.kind=Rollout,involvedObject.name=web");
    assert_eq!(names(&events.list(&lp).await.unwrap().items), ["e2"]);
    let lp = ListParams::default().fields("involvedObject.uid=u-1");
    assert_eq!(names(&events.list(&lp).await.unwrap().items), ["e1"]);

    let err = status_of(
        pods.list(&ListParams::default().labels("app in (web"))
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (400, "BadRequest"));
}

#[tokio::test(flavor = "multi_thread")]
async fn create_sets_metadata_and_conflicts_on_duplicates() {
    let server = FakeApiServer::start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(server.client());
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("cfg".into());
    cm.data = Some([("k".to_string(), "v".to_string())].into());
    let created = cms.create(&PostParams::default(), &cm).await.unwrap();
    let md = &created.metadata;
    assert_eq!(md.uid.as_ref().unwrap().len(), 36);
    assert!(md.creation_timestamp.is_some());
    assert_eq!(md.generation, Some(1));
    assert_eq!(md.namespace.as_deref(), Some("default"));
    let rv: u64 = md.resource_version.as_ref().unwrap().parse().unwrap();
    assert_eq!(rv, server.resource_version());

    let err = status_of(cms.create(&PostParams::default(), &cm).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(err.message, "configmaps \"cfg\" already exists");

    let mut generated = ConfigMap::default();
    generated.metadata.generate_name = Some("cfg-".into());
    let a = cms
        .create(&PostParams::default(), &generated)
        .await
        .unwrap()
        .name_any();
    let b = cms
        .create(&PostParams::default(), &generated)
        .await
        .unwrap()
        .name_any();
    assert!(a.starts_with("cfg-") && a.len() == 9 && a != b, "{a} {b}");
    assert_ne!(
        cms.get(&a).await.unwrap().metadata.uid,
        cms.get(&b).await.unwrap().metadata.uid
    );

    let err = status_of(cms.get("missing").await.unwrap_err());
    assert_eq!(
        (err.code, err.reason.as_str(), err.message.as_str()),
        (404, "NotFound", "configmaps \"missing\" not found")
    );
    let ro: Api<DynamicObject> = Api::default_namespaced_with(server.client(), &rollouts_ar());
    let err = status_of(ro.get("nope").await.unwrap_err());
    assert_eq!(err.message, "rollouts.argoproj.io \"nope\" not found");
}

#[tokio::test(flavor = "multi_thread")]
async fn replace_uses_optimistic_concurrency_and_tracks_generation() {
    let server = FakeApiServer::start().await;
    server.apply(rollout("demo", "app:1"));
    let api: Api<DynamicObject> = Api::default_namespaced_with(server.client(), &rollouts_ar());
    let v1 = api.get("demo").await.unwrap();
    assert_eq!(v1.metadata.generation, Some(1));

    let mut v2 = v1.clone();
    v2.data["spec"]["template"]["spec"]["containers"][0]["image"] = json!("app:2");
    let v2 = api
        .replace("demo", &PostParams::default(), &v2)
        .await
        .unwrap();
    assert_eq!(v2.metadata.generation, Some(2));
    assert_ne!(v2.metadata.resource_version, v1.metadata.resource_version);

    // stale resourceVersion
    let err = status_of(
        api.replace("demo", &PostParams::default(), &v1)
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
    assert!(
        err.message.contains("the object has been modified"),
        "{}",
        err.message
    );

    // metadata-only change: new resourceVersion, same generation
    let mut v3 = v2.clone();
    v3.metadata
        .labels
        .get_or_insert_default()
        .insert("x".into(), "y".into());
    let v3 = api
        .replace("demo", &PostParams::default(), &v3)
        .await
        .unwrap();
    assert_eq!(v3.metadata.generation, Some(2));
    assert_ne!(v3.metadata.resource_version, v2.metadata.resource_version);

    // no-op replace keeps the resourceVersion
    let v4 = api
        .replace("demo", &PostParams::default(), &v3)
        .await
        .unwrap();
    assert_eq!(v4.metadata.resource_version, v3.metadata.resource_version);

    // typed Lease, as leader election uses it
    let leases: Api<Lease> = Api::default_namespaced(server.client());
    let mut lease = Lease::default();
    lease.metadata.name = Some("leader".into());
    let l1 = leases.create(&PostParams::default(), &lease).await.unwrap();
    let mut mine = l1.clone();
    mine.spec.get_or_insert_default().holder_identity = Some("me".into());
    leases
        .replace("leader", &PostParams::default(), &mine)
        .await
        .unwrap();
    let mut theirs = l1.clone();
    theirs.spec.get_or_insert_default().holder_identity = Some("them".into());
    let err = status_of(
        leases
            .replace("leader", &PostParams::default(), &theirs)
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, 409);
    let err = status_of(
        leases
            .replace("absent", &PostParams::default(), &{
                let mut l = theirs.clone();
                l.metadata.name = Some("absent".into());
                l.metadata.resource_version = None;
                l
            })
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn merge_json_strategic_and_apply_patches() {
    let server = FakeApiServer::start().await;
    server.apply(rollout("demo", "app:1"));
    let api: Api<DynamicObject> = Api::default_namespaced_with(server.client(), &rollouts_ar());
    let pp = PatchParams::default();

    let p = api
        .patch("demo", &pp, &Patch::Merge(json!({"metadata": {"labels": {"app": null, "team": "a"}}, "spec": {"paused": true}})))
        .await
        .unwrap();
    assert_eq!(p.labels().get("team").map(String::as_str), Some("a"));
    assert!(!p.labels().contains_key("app"));
    assert_eq!(p.data["spec"]["paused"], json!(true));
    assert_eq!(p.data["spec"]["replicas"], json!(2));
    assert_eq!(p.metadata.generation, Some(2));

    let ops = json!([
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "sidecar"}},
        {"op": "remove", "path": "/spec/paused"},
    ]);
    let p = api
        .patch(
            "demo",
            &pp,
            &Patch::Json::<()>(serde_json::from_value(ops).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(p.data["spec"]["replicas"], json!(5));
    assert_eq!(
        p.data["spec"]["template"]["spec"]["containers"][1]["name"],
        json!("sidecar")
    );
    assert!(p.data["spec"].get("paused").is_none());

    let failing = json!([{"op": "test", "path": "/spec/replicas", "value": 2}, {"op": "replace", "path": "/spec/replicas", "value": 9}]);
    let err = status_of(
        api.patch(
            "demo",
            &pp,
            &Patch::Json::<()>(serde_json::from_value(failing).unwrap()),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(err.code, 422);
    assert_eq!(
        api.get("demo").await.unwrap().data["spec"]["replicas"],
        json!(5),
        "failed patch must not write"
    );

    // strategic merge is served as a merge patch (lists replaced)
    let p = api
        .patch(
            "demo",
            &pp,
            &Patch::Strategic(json!({"spec": {"replicas": 1}})),
        )
        .await
        .unwrap();
    assert_eq!(p.data["spec"]["replicas"], json!(1));

    // a patch carrying a stale resourceVersion conflicts
    let err = status_of(
        api.patch(
            "demo",
            &pp,
            &Patch::Merge(json!({"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 3}})),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(err.code, 409);

    // server-side apply: creates when absent, merges when present
    let ssa = PatchParams::apply("rollout-doctor").force();
    let body = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "fresh"}, "spec": {"replicas": 1}});
    let created = api
        .patch("fresh", &ssa, &Patch::Apply(&body))
        .await
        .unwrap();
    assert_eq!(created.metadata.namespace.as_deref(), Some("default"));
    assert_eq!(created.metadata.generation, Some(1));
    let again = api.patch("fresh", &ssa, &Patch::Apply(json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "spec": {"paused": true}}))).await.unwrap();
    assert_eq!(again.data["spec"], json!({"replicas": 1, "paused": true}));
    assert!(
        server
            .requests()
            .iter()
            .any(
                |r| r.param("fieldManager").as_deref() == Some("rollout-doctor")
                    && r.param("force").as_deref() == Some("true")
            )
    );

    let err = status_of(
        api.patch("absent", &pp, &Patch::Merge(json!({"spec": {}})))
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_subresource_separates_spec_and_status() {
    let server = FakeApiServer::start().await;
    server.apply(rollout("demo", "app:1"));
    let api: Api<DynamicObject> = Api::default_namespaced_with(server.client(), &rollouts_ar());
    let pp = PatchParams::default();

    // main resource ignores status
    let p = api
        .patch(
            "demo",
            &pp,
            &Patch::Merge(json!({"status": {"phase": "Degraded"}, "spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    assert_eq!(p.data["status"]["phase"], json!("Healthy"));
    assert_eq!(p.data["spec"]["replicas"], json!(3));

    // status subresource ignores spec and does not bump generation
    let generation = p.metadata.generation;
    let s = api.patch_status("demo", &pp, &Patch::Merge(json!({"status": {"phase": "Degraded", "message": "ProgressDeadlineExceeded"}, "spec": {"replicas": 9}}))).await.unwrap();
    assert_eq!(s.data["status"]["phase"], json!("Degraded"));
    assert_eq!(s.data["spec"]["replicas"], json!(3));
    assert_eq!(s.metadata.generation, generation);

    let mut whole = s.clone();
    whole.data["status"] = json!({"phase": "Paused"});
    whole.data["spec"]["replicas"] = json!(7);
    let r = api
        .replace_status("demo", &PostParams::default(), &whole)
        .await
        .unwrap();
    assert_eq!(
        (
            r.data["status"]["phase"].clone(),
            r.data["spec"]["replicas"].clone()
        ),
        (json!("Paused"), json!(3))
    );

    // creating through HTTP drops status for resources with a status subresource
    let mut obj = DynamicObject::new("created", &rollouts_ar())
        .data(json!({"spec": {}, "status": {"phase": "Healthy"}}));
    obj.metadata.namespace = Some("default".into());
    let c = api.create(&PostParams::default(), &obj).await.unwrap();
    assert!(c.data.get("status").is_none());

    // AnalysisTemplates have no status subresource
    let at = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "AnalysisTemplate"),
        "analysistemplates",
    );
    let ats: Api<DynamicObject> = Api::default_namespaced_with(server.client(), &at);
    let err = status_of(ats.get_status("x").await.unwrap_err());
    assert_eq!(err.code, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn pod_logs_behave_like_the_kubelet() {
    let server = FakeApiServer::start().await;
    server.apply(pod("one", json!({}), &["app"], "Running", "n1"));
    server.apply(pod("two", json!({}), &["app", "sidecar"], "Running", "n1"));
    server.set_log("default", "one", "app", false, "l1\nl2\nl3\n");
    server.set_log("default", "two", "sidecar", false, "side\n");
    server.set_log("default", "two", "app", true, "panic: boom\n");
    let pods: Api<Pod> = Api::default_namespaced(server.client());
    let lp = LogParams::default();

    assert_eq!(pods.logs("one", &lp).await.unwrap(), "l1\nl2\nl3\n");
    assert_eq!(
        pods.logs(
            "one",
            &LogParams {
                tail_lines: Some(2),
                ..lp.clone()
            }
        )
        .await
        .unwrap(),
        "l2\nl3\n"
    );
    assert_eq!(
        pods.logs(
            "one",
            &LogParams {
                limit_bytes: Some(4),
                ..lp.clone()
            }
        )
        .await
        .unwrap(),
        "l1\nl"
    );
    let stamped = pods
        .logs(
            "one",
            &LogParams {
                timestamps: true,
                tail_lines: Some(1),
                ..lp.clone()
            },
        )
        .await
        .unwrap();
    assert!(
        stamped.ends_with("Z l3\n") && stamped.starts_with("20"),
        "{stamped}"
    );

    let err = status_of(pods.logs("two", &lp).await.unwrap_err());
    assert_eq!(
        (err.code, err.message.as_str()),
        (
            400,
            "a container name must be specified for pod two, choose one of: [app sidecar]"
        )
    );
    let side = LogParams {
        container: Some("sidecar".into()),
        ..lp.clone()
    };
    assert_eq!(pods.logs("two", &side).await.unwrap(), "side\n");
    let prev = LogParams {
        container: Some("app".into()),
        previous: true,
        ..lp.clone()
    };
    assert_eq!(pods.logs("two", &prev).await.unwrap(), "panic: boom\n");
    let err = status_of(
        pods.logs(
            "two",
            &LogParams {
                container: Some("sidecar".into()),
                previous: true,
                ..lp.clone()
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        (err.code, err.message.as_str()),
        (
            400,
            "previous terminated container \"sidecar\" in pod \"two\" not found"
        )
    );
    let err = status_of(
        pods.logs(
            "two",
            &LogParams {
                container: Some("nope".into()),
                ..lp.clone()
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(err.code, 400);
    let err = status_of(pods.logs("ghost", &lp).await.unwrap_err());
    assert_eq!(
        (err.code, err.message.as_str()),
        (404, "pods \"ghost\" not found")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn watcher_sees_added_modified_deleted() {
    let server = FakeApiServer::start().await;
    server.apply(rollout("pre", "app:1"));
    let api: Api<DynamicObject> = Api::all_with(server.client(), &rollouts_ar());
    let mut w = spawn_watcher(api, watcher::Config::default());
    let init = until(&mut w, "InitDone", |e| matches!(e, Ok(Event::InitDone))).await;
    assert!(
        init.iter()
            .any(|e| matches!(e, Ok(Event::InitApply(o)) if o.name_any() == "pre"))
    );
    wait_for("watch open", || server.watch_count() == 1).await;

    server.apply(rollout("new", "app:1"));
    until(
        &mut w,
        "ADDED new",
        |e| matches!(e, Ok(Event::Apply(o)) if o.name_any() == "new"),
    )
    .await;
    server.apply(rollout("new", "app:2"));
    let seen = until(&mut w, "MODIFIED new", |e| matches!(e, Ok(Event::Apply(o)) if o.name_any() == "new" && o.data["spec"]["template"]["spec"]["containers"][0]["image"] == "app:2")).await;
    let Ok(Event::Apply(o)) = seen.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(o.metadata.generation, Some(2));
    server.delete("rollouts", "default", "new").unwrap();
    until(
        &mut w,
        "DELETED new",
        |e| matches!(e, Ok(Event::Delete(o)) if o.name_any() == "new"),
    )
    .await;
}

fn count(server: &FakeApiServer, watch: bool) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/rollouts") && r.is_watch() == watch)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn watcher_rewatches_after_dropped_streams_without_relisting() {
    let server = FakeApiServer::start().await;
    let api: Api<DynamicObject> = Api::all_with(server.client(), &rollouts_ar());
    let mut w = spawn_watcher(api, watcher::Config::default());
    until(&mut w, "InitDone", |e| matches!(e, Ok(Event::InitDone))).await;
    wait_for("first watch", || server.watch_count() == 1).await;
    assert_eq!((count(&server, false), count(&server, true)), (1, 1));

    server.drop_watches();
    // the watcher only re-watches when polled; pull until the change made after the drop arrives
    wait_for("re-watch", || {
        count(&server, true) == 2 && server.watch_count() == 1
    })
    .await;
    server.apply(rollout("after-drop", "app:1"));
    let seen = until(
        &mut w,
        "ADDED after-drop",
        |e| matches!(e, Ok(Event::Apply(o)) if o.name_any() == "after-drop"),
    )
    .await;
    assert!(
        !seen.iter().any(|e| matches!(e, Ok(Event::Init))),
        "must not relist: {seen:?}"
    );
    assert_eq!(count(&server, false), 1, "no second list");
    let rewatch = server
        .requests()
        .into_iter()
        .filter(|r| r.is_watch())
        .nth(1)
        .unwrap();
    assert_ne!(rewatch.param("resourceVersion").as_deref(), Some("0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn watcher_relists_after_compaction_410() {
    let server = FakeApiServer::start().await;
    server.apply(rollout("a", "app:1"));
    let api: Api<DynamicObject> = Api::all_with(server.client(), &rollouts_ar());
    let mut w = spawn_watcher(api, watcher::Config::default());
    until(&mut w, "InitDone", |e| matches!(e, Ok(Event::InitDone))).await;
    wait_for("first watch", || server.watch_count() == 1).await;

    server.compact();
    server.drop_watches();
    let seen = until(&mut w, "second InitDone", |e| {
        matches!(e, Ok(Event::InitDone))
    })
    .await;
    let expired = seen.iter().any(|e| matches!(e, Err(watcher::Error::WatchError(s)) if s.code == 410 && s.reason == "Expired"));
    assert!(expired, "expected a 410 Expired watch error: {seen:?}");
    assert!(seen.iter().any(|e| matches!(e, Ok(Event::Init))));
    assert!(
        seen.iter()
            .any(|e| matches!(e, Ok(Event::InitApply(o)) if o.name_any() == "a"))
    );
    assert_eq!(count(&server, false), 2, "relisted once");

    // and it keeps watching after the relist
    wait_for("watch after relist", || {
        count(&server, true) >= 3 && server.watch_count() == 1
    })
    .await;
    server.apply(rollout("b", "app:1"));
    until(
        &mut w,
        "ADDED b",
        |e| matches!(e, Ok(Event::Apply(o)) if o.name_any() == "b"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_watch_bookmarks_selectors_and_expiry() {
    let server = FakeApiServer::start().await;
    server.set_bookmark_interval(Duration::from_millis(100));
    server.apply(rollout("x", "app:1"));
    server.apply(rollout("y", "app:1"));
    let api: Api<DynamicObject> = Api::default_namespaced_with(server.client(), &rollouts_ar());

    // resourceVersion "0": synthetic ADDED for current state, then bookmarks
    let wp = WatchParams::default().labels("app=x");
    let mut s = api.watch(&wp, "0").await.unwrap().boxed();
    let first = tokio::time::timeout(T, s.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        matches!(&first, WatchEvent::Added(o) if o.name_any() == "x"),
        "{first:?}"
    );
    let bm = tokio::time::timeout(T, s.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let WatchEvent::Bookmark(bm) = bm else {
        panic!("expected bookmark, got {bm:?}")
    };
    assert_eq!(
        bm.metadata.resource_version,
        server.resource_version().to_string()
    );

    // label transitions: stops matching -> DELETED, matches again -> ADDED
    let mut gone = rollout("x", "app:1");
    gone["metadata"]["labels"]["app"] = json!("moved");
    server.apply(gone);
    server.apply(rollout("x", "app:1"));
    server.apply(rollout("y", "app:2")); // never matches: invisible
    let mut kinds = vec![];
    while kinds.len() < 2 {
        match tokio::time::timeout(T, s.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            WatchEvent::Bookmark(_) => {}
            WatchEvent::Deleted(o) => kinds.push(format!("DELETED {}", o.name_any())),
            WatchEvent::Added(o) => kinds.push(format!("ADDED {}", o.name_any())),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(kinds, ["DELETED x", "ADDED x"]);

    // a watch from a compacted resourceVersion gets an in-stream 410
    let old = "2";
    server.compact();
    let mut s = api
        .watch(&WatchParams::default(), old)
        .await
        .unwrap()
        .boxed();
    match tokio::time::timeout(T, s.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
    {
        WatchEvent::Error(e) => assert_eq!((e.code, e.reason.as_str()), (410, "Expired")),
        other => panic!("expected 410, got {other:?}"),
    }

    // streaming lists: initial events then the initial-events-end bookmark
    let mut s = api
        .watch(&WatchParams::default().initial_events(), "")
        .await
        .unwrap()
        .boxed();
    let mut added = BTreeSet::new();
    loop {
        match tokio::time::timeout(T, s.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            WatchEvent::Added(o) => {
                added.insert(o.name_any());
            }
            WatchEvent::Bookmark(b) => {
                assert_eq!(
                    b.metadata
                        .annotations
                        .get("k8s.io/initial-events-end")
                        .map(String::as_str),
                    Some("true")
                );
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(added, BTreeSet::from(["x".to_string(), "y".to_string()]));

    // timeoutSeconds ends the stream
    let mut s = api
        .watch(
            &WatchParams::default().timeout(1).disable_bookmarks(),
            &server.resource_version().to_string(),
        )
        .await
        .unwrap()
        .boxed();
    let end =
        tokio::time::timeout(T, async { while s.try_next().await.unwrap().is_some() {} }).await;
    assert!(end.is_ok(), "stream did not end after timeoutSeconds");
}

#[tokio::test(flavor = "multi_thread")]
async fn watcher_streaming_list_strategy_works() {
    let server = FakeApiServer::start().await;
    server.apply(rollout("a", "app:1"));
    let api: Api<DynamicObject> = Api::all_with(server.client(), &rollouts_ar());
    let mut w = spawn_watcher(api, watcher::Config::default().streaming_lists());
    let seen = until(&mut w, "InitDone", |e| matches!(e, Ok(Event::InitDone))).await;
    assert!(
        seen.iter()
            .any(|e| matches!(e, Ok(Event::InitApply(o)) if o.name_any() == "a"))
    );
    assert_eq!(
        count(&server, false),
        0,
        "no list call with streaming lists"
    );
    server.apply(rollout("b", "app:1"));
    until(
        &mut w,
        "ADDED b",
        |e| matches!(e, Ok(Event::Apply(o)) if o.name_any() == "b"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn injected_faults_return_kubernetes_status_errors() {
    let server = FakeApiServer::start().await;
    server.apply(pod("p", json!({}), &["app"], "Running", "n1"));
    server.set_log("default", "p", "app", false, "ok\n");
    let pods: Api<Pod> = Api::default_namespaced(server.client());

    server.inject(Fault::new(403, "/log"));
    let err = status_of(pods.logs("p", &LogParams::default()).await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (403, "Forbidden"));
    assert!(
        pods.get("p").await.is_ok(),
        "only the log path is forbidden"
    );
    server.clear_faults();
    assert_eq!(pods.logs("p", &LogParams::default()).await.unwrap(), "ok\n");

    server.inject(Fault::new(500, "/pods/p").method("GET").times(1));
    let err = status_of(pods.get("p").await.unwrap_err());
    assert_eq!((err.code, err.reason.as_str()), (500, "InternalError"));
    assert!(pods.get("p").await.is_ok(), "fault fires once");

    server.inject(Fault {
        method: Some("PATCH".into()),
        path_contains: "/pods/p".into(),
        status: 404,
        times: None,
    });
    assert!(pods.get("p").await.is_ok(), "method must match");
    let err = status_of(
        pods.patch("p", &PatchParams::default(), &Patch::Merge(json!({})))
            .await
            .unwrap_err(),
    );
    assert_eq!((err.code, err.reason.as_str()), (404, "NotFound"));
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_are_recorded_for_audit() {
    let server = FakeApiServer::start().await;
    server.apply(pod("p", json!({"app": "web"}), &["app"], "Running", "n1"));
    server.apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token"}, "data": {"k": "dg=="}}));
    let pods: Api<Pod> = Api::default_namespaced(server.client());
    pods.list(&ListParams::default().labels("app in (web)"))
        .await
        .unwrap();
    let reqs = server.requests();
    assert!(
        !reqs.iter().any(|r| r.path.contains("/secrets")),
        "no secret was read"
    );
    let list = reqs
        .iter()
        .find(|r| r.method == "GET" && r.path == "/api/v1/namespaces/default/pods")
        .unwrap();
    assert_eq!(list.param("labelSelector").as_deref(), Some("app in (web)"));

    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::default_namespaced(server.client());
    secrets.get("token").await.unwrap();
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == "/api/v1/namespaces/default/secrets/token")
    );
    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_finalizers_preconditions_and_separate_event_stores() {
    let server = FakeApiServer::start().await;
    server.apply(rollout("plain", "app:1"));
    let mut fin = rollout("held", "app:1");
    fin["metadata"]["finalizers"] = json!(["rolloutdoctor.io/cleanup"]);
    server.apply(fin);
    let api: Api<DynamicObject> = Api::default_namespaced_with(server.client(), &rollouts_ar());

    let gone = api.delete("plain", &DeleteParams::default()).await.unwrap();
    assert!(gone.left().is_some_and(|o| o.name_any() == "plain"));
    assert!(server.get("rollouts", "default", "plain").is_none());

    let held = api
        .delete("held", &DeleteParams::default())
        .await
        .unwrap()
        .left()
        .unwrap();
    assert!(held.metadata.deletion_timestamp.is_some());
    assert!(api.get("held").await.is_ok(), "finalizer keeps it");
    api.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    assert_eq!(
        status_of(api.get("held").await.unwrap_err()).code,
        404,
        "removing the last finalizer deletes"
    );

    server.apply(rollout("guarded", "app:1"));
    let dp = DeleteParams::default().preconditions(kube::api::Preconditions {
        uid: Some("wrong".into()),
        resource_version: None,
    });
    assert_eq!(
        status_of(api.delete("guarded", &dp).await.unwrap_err()).code,
        409
    );
    assert_eq!(
        status_of(
            api.delete("nope", &DeleteParams::default())
                .await
                .unwrap_err()
        )
        .code,
        404
    );

    // core/v1 and events.k8s.io/v1 events are separate stores
    server.apply_yaml(
        "apiVersion: v1\nkind: Event\nmetadata: {name: core-ev}\ninvolvedObject: {name: x}\n---\n\
         apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: new-ev}\nregarding: {name: x}\n",
    );
    assert_eq!(names_of(&server.list("events")), ["core-ev"]);
    assert_eq!(names_of(&server.list("events.events.k8s.io")), ["new-ev"]);
    let ev_ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("events.k8s.io", "v1", "Event"),
        "events",
    );
    let evs: Api<DynamicObject> = Api::default_namespaced_with(server.client(), &ev_ar);
    let l = evs
        .list(&ListParams::default().fields("regarding.name=x"))
        .await
        .unwrap();
    assert_eq!(names(&l.items), ["new-ev"]);
}

fn names_of(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_yaml_handles_lists_and_cluster_scoped_resources() {
    let server = FakeApiServer::start().await;
    let applied = server.apply_yaml(
        "apiVersion: v1\nkind: List\nitems:\n\
         - {apiVersion: v1, kind: Namespace, metadata: {name: prod}}\n\
         - {apiVersion: argoproj.io/v1alpha1, kind: ClusterAnalysisTemplate, metadata: {name: success-rate}}\n\
         ---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod, creationTimestamp: '2020-01-01T00:00:00Z'}\n",
    );
    assert_eq!(applied.len(), 3);
    assert!(applied[0]["metadata"].get("namespace").is_none());
    assert_eq!(
        applied[2]["metadata"]["creationTimestamp"],
        json!("2020-01-01T00:00:00Z"),
        "apply keeps given metadata"
    );
    let nss: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(server.client());
    assert_eq!(
        names(&nss.list(&ListParams::default()).await.unwrap().items),
        ["prod"]
    );
    let cat = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "ClusterAnalysisTemplate"),
        "clusteranalysistemplates",
    );
    let cats: Api<DynamicObject> = Api::all_with(server.client(), &cat);
    assert!(cats.get("success-rate").await.is_ok());
    let cms: Api<ConfigMap> = Api::namespaced(server.client(), "prod");
    assert!(cms.get("c").await.is_ok());
    assert!(server.get("configmaps", "default", "c").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_collection_waiting_logs_and_scoped_watches() {
    let server = FakeApiServer::start().await;
    let mut waiting = pod("crashy", json!({"app": "web"}), &["app"], "Pending", "n1");
    waiting["status"]["containerStatuses"] =
        json!([{"name": "app", "state": {"waiting": {"reason": "ContainerCreating"}}}]);
    server.apply(waiting);
    server.apply(pod("keep", json!({"app": "db"}), &["app"], "Running", "n1"));
    let pods: Api<Pod> = Api::default_namespaced(server.client());
    let err = status_of(
        pods.logs("crashy", &LogParams::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(
        err.message,
        "container \"app\" in pod \"crashy\" is waiting to start: ContainerCreating"
    );
    assert_eq!(
        pods.logs("keep", &LogParams::default()).await.unwrap(),
        "",
        "running container without logs"
    );

    // a field-selected watch in one namespace only sees its object
    let api: Api<DynamicObject> = Api::namespaced_with(server.client(), "prod", &rollouts_ar());
    let mut s = api
        .watch(
            &WatchParams::default()
                .fields("metadata.name=target")
                .disable_bookmarks(),
            "0",
        )
        .await
        .unwrap()
        .boxed();
    server.apply(rollout("target", "app:1")); // namespace default: not seen
    let mut other = rollout("other", "app:1");
    other["metadata"]["namespace"] = json!("prod");
    server.apply(other);
    let mut target = rollout("target", "app:1");
    target["metadata"]["namespace"] = json!("prod");
    server.apply(target);
    match tokio::time::timeout(T, s.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
    {
        WatchEvent::Added(o) => assert_eq!(
            (o.name_any(), o.namespace()),
            ("target".to_string(), Some("prod".to_string()))
        ),
        other => panic!("unexpected {other:?}"),
    }

    let deleted = pods
        .delete_collection(
            &DeleteParams::default(),
            &ListParams::default().labels("app=web"),
        )
        .await
        .unwrap();
    assert_eq!(names(&deleted.left().unwrap().items), ["crashy"]);
    assert_eq!(
        names(&pods.list(&ListParams::default()).await.unwrap().items),
        ["keep"]
    );
}
