//! Validates deploy/ without a cluster: renders the kustomization (a plain resource list),
//! decodes every object into its k8s-openapi type, rejects keys the type would silently drop
//! (typos like `runAsNonroot`), and checks the least-privilege and availability properties
//! the manifests promise.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Container, Namespace, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use rollout_doctor::agent::config::load_file_str;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

const NAMESPACE: &str = "rollout-doctor";

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Every object `kubectl apply -k deploy/` would apply, with the file it came from.
fn render() -> Vec<(String, Value)> {
    let dir = deploy_dir();
    let kustomization: Value = read_yaml(&dir.join("kustomization.yaml")).remove(0);
    let Value::Object(top) = &kustomization else {
        panic!("kustomization.yaml is not a mapping")
    };
    // Anything beyond a resource list (patches, generators, namespace:/labels: transformers,
    // images:) would make the objects below differ from what kubectl applies.
    let extra: Vec<&String> = top
        .keys()
        .filter(|k| !["apiVersion", "kind", "resources"].contains(&k.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "kustomization.yaml uses {extra:?}; extend tests/deploy.rs to render them"
    );
    let resources = top["resources"].as_array().expect("resources is a list");
    let mut objects = Vec::new();
    for r in resources {
        let name = r.as_str().expect("resource entries are strings");
        let path = dir.join(name);
        assert!(
            path.is_file(),
            "resource {name} is not a local file (directories and URLs are not rendered here)"
        );
        for doc in read_yaml(&path) {
            objects.push((name.to_string(), doc));
        }
    }
    objects
}

fn read_yaml(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| {
            serde::Deserialize::deserialize(doc)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// Decodes into `T` and reports every key (or value) of the YAML that does not survive a
/// round trip through `T`: k8s-openapi ignores unknown fields, so this is the only way a
/// misspelt key shows up before a cluster silently ignores it.
fn strict<T: DeserializeOwned + Serialize>(file: &str, v: &Value) -> T {
    try_strict(v).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn try_strict<T: DeserializeOwned + Serialize>(v: &Value) -> Result<T, String> {
    let typed: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    let mut lost = Vec::new();
    diff("", v, &back, &mut lost);
    if lost.is_empty() {
        Ok(typed)
    } else {
        Err(format!(
            "fields dropped or changed by the typed round trip: {lost:?}"
        ))
    }
}

fn diff(path: &str, original: &Value, back: &Value, lost: &mut Vec<String>) {
    match (original, back) {
        (Value::Object(o), Value::Object(b)) => {
            for (k, ov) in o {
                // An explicit null is the same as an absent field to the API server.
                if ov.is_null() {
                    continue;
                }
                match b.get(k) {
                    Some(bv) => diff(&format!("{path}.{k}"), ov, bv, lost),
                    None => lost.push(format!("{path}.{k}")),
                }
            }
        }
        (Value::Array(o), Value::Array(b)) if o.len() == b.len() => {
            for (i, (ov, bv)) in o.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), ov, bv, lost);
            }
        }
        (o, b) if o == b => {}
        (o, b) => lost.push(format!("{path}: {o} became {b}")),
    }
}

/// The rendered objects, decoded. Holding them typed lets each check below stay short.
#[derive(Default)]
struct Rendered {
    namespaces: Vec<Namespace>,
    service_accounts: Vec<ServiceAccount>,
    cluster_roles: Vec<ClusterRole>,
    cluster_role_bindings: Vec<ClusterRoleBinding>,
    roles: Vec<Role>,
    role_bindings: Vec<RoleBinding>,
    deployments: Vec<Deployment>,
    services: Vec<Service>,
    config_maps: Vec<ConfigMap>,
    pdbs: Vec<PodDisruptionBudget>,
    crds: Vec<CustomResourceDefinition>,
}

fn decode_all() -> Rendered {
    let mut r = Rendered::default();
    for (file, v) in render() {
        let api_version = v["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = v["kind"].as_str().unwrap_or_default().to_string();
        check_namespace(&file, &kind, &v);
        match (api_version.as_str(), kind.as_str()) {
            ("v1", "Namespace") => r.namespaces.push(strict(&file, &v)),
            ("v1", "ServiceAccount") => r.service_accounts.push(strict(&file, &v)),
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
                r.cluster_roles.push(strict(&file, &v))
            }
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                r.cluster_role_bindings.push(strict(&file, &v))
            }
            ("rbac.authorization.k8s.io/v1", "Role") => r.roles.push(strict(&file, &v)),
            ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
                r.role_bindings.push(strict(&file, &v))
            }
            ("apps/v1", "Deployment") => r.deployments.push(strict(&file, &v)),
            ("v1", "Service") => r.services.push(strict(&file, &v)),
            ("v1", "ConfigMap") => r.config_maps.push(strict(&file, &v)),
            ("policy/v1", "PodDisruptionBudget") => r.pdbs.push(strict(&file, &v)),
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => {
                r.crds.push(strict(&file, &v))
            }
            other => panic!("{file}: no typed check for {other:?}; add one to tests/deploy.rs"),
        }
    }
    r
}

/// Without a `namespace:` transformer every file must say where it goes, or `kubectl apply`
/// would put it in whatever namespace the user's context happens to point at.
fn check_namespace(file: &str, kind: &str, v: &Value) {
    let cluster_scoped = [
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
    ]
    .contains(&kind);
    let ns = v["metadata"]["namespace"].as_str();
    if cluster_scoped {
        assert_eq!(
            ns, None,
            "{file}: cluster-scoped {kind} must not set a namespace"
        );
    } else {
        assert_eq!(ns, Some(NAMESPACE), "{file}: {kind} must be in {NAMESPACE}");
    }
}

fn one<'a, T>(items: &'a [T], what: &str) -> &'a T {
    assert_eq!(items.len(), 1, "expected exactly one {what}");
    &items[0]
}

/// (apiGroup, resource, verb) triples a set of rules grants.
fn grants(rules: &[PolicyRule]) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for rule in rules {
        let groups = rule.api_groups.clone().unwrap_or_default();
        let resources = rule.resources.clone().unwrap_or_default();
        for g in &groups {
            for res in &resources {
                for verb in &rule.verbs {
                    out.insert((g.clone(), res.clone(), verb.clone()));
                }
            }
        }
    }
    out
}

fn triples(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for g in groups {
        for res in resources {
            for verb in verbs {
                out.push((g.to_string(), res.to_string(), verb.to_string()));
            }
        }
    }
    out
}

fn assert_no_dangerous_rules(what: &str, rules: &[PolicyRule]) {
    for (i, rule) in rules.iter().enumerate() {
        let mut words: Vec<&String> = rule.verbs.iter().collect();
        for list in [
            &rule.api_groups,
            &rule.resources,
            &rule.resource_names,
            &rule.non_resource_urls,
        ] {
            words.extend(list.iter().flatten());
        }
        for w in words {
            assert!(!w.contains('*'), "{what} rule {i}: wildcard {w:?}");
            assert!(
                ![
                    "secrets",
                    "pods/exec",
                    "pods/attach",
                    "escalate",
                    "bind",
                    "impersonate"
                ]
                .contains(&w.as_str()),
                "{what} rule {i}: grants {w:?}"
            );
        }
    }
}

#[test]
fn kustomization_lists_every_manifest() {
    let listed: BTreeSet<String> = render().into_iter().map(|(f, _)| f).collect();
    for entry in std::fs::read_dir(deploy_dir()).expect("deploy/ exists") {
        let name = entry
            .expect("dir entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".yaml") && name != "kustomization.yaml" {
            assert!(
                listed.contains(&name),
                "deploy/{name} is not in kustomization.yaml resources"
            );
        }
    }
}

#[test]
fn every_object_decodes_strictly() {
    let r = decode_all();
    assert_eq!(
        one(&r.namespaces, "Namespace").metadata.name.as_deref(),
        Some(NAMESPACE)
    );
    one(&r.service_accounts, "ServiceAccount");
    one(&r.deployments, "Deployment");
    one(&r.services, "Service");
    one(&r.config_maps, "ConfigMap");
    one(&r.pdbs, "PodDisruptionBudget");
}

#[test]
fn the_round_trip_catches_typos() {
    let typo: Value = serde_yaml_ng::from_str(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: y}\nautomountServiceAcountToken: true\n",
    )
    .expect("yaml");
    let err = try_strict::<ServiceAccount>(&typo)
        .err()
        .unwrap_or_default();
    assert!(
        err.contains(".automountServiceAcountToken"),
        "a misspelt key must be reported: {err:?}"
    );
    // Nested too, which is where typos in securityContext would hide.
    let nested: Value = serde_yaml_ng::from_str(
        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 1, targetPrt: 2}]}\n",
    )
    .expect("yaml");
    let err = try_strict::<Service>(&nested).err().unwrap_or_default();
    assert!(err.contains(".spec.ports[0].targetPrt"), "{err:?}");
}

#[test]
fn rbac_is_least_privilege() {
    let r = decode_all();
    let cluster_role = one(&r.cluster_roles, "ClusterRole");
    let role = one(&r.roles, "Role");
    let cluster_rules = cluster_role.rules.as_deref().unwrap_or_default();
    let role_rules = role.rules.as_deref().unwrap_or_default();
    assert_no_dangerous_rules("ClusterRole", cluster_rules);
    assert_no_dangerous_rules("Role", role_rules);
    assert!(
        cluster_role.aggregation_rule.is_none(),
        "aggregation would pull in unknown rules"
    );

    let read = ["get", "list", "watch"];
    let mut expected = BTreeSet::new();
    expected.extend(triples(
        &["argoproj.io"],
        &[
            "rollouts",
            "analysisruns",
            "analysistemplates",
            "clusteranalysistemplates",
        ],
        &read,
    ));
    expected.extend(triples(&["argoproj.io"], &["applications"], &["get"]));
    expected.extend(triples(&["apps"], &["replicasets"], &read));
    expected.extend(triples(&[""], &["pods", "pods/log"], &read));
    expected.extend(triples(
        &["", "events.k8s.io"],
        &["events"],
        &["get", "list", "watch", "create", "patch"],
    ));
    expected.extend(triples(
        &["rolloutdoctor.io"],
        &["rolloutdiagnoses", "rolloutdiagnoses/status"],
        &["get", "list", "watch", "create", "patch", "update"],
    ));
    assert_eq!(
        grants(cluster_rules),
        expected,
        "ClusterRole grants differ from the documented set"
    );

    let lease_verbs = ["get", "list", "watch", "create", "update", "patch"];
    let expected: BTreeSet<_> = triples(&["coordination.k8s.io"], &["leases"], &lease_verbs)
        .into_iter()
        .collect();
    assert_eq!(
        grants(role_rules),
        expected,
        "Role should grant Lease access only"
    );

    // The bindings must tie exactly these roles to the agent's ServiceAccount.
    let sa = one(&r.service_accounts, "ServiceAccount")
        .metadata
        .name
        .clone()
        .expect("SA name");
    let crb = one(&r.cluster_role_bindings, "ClusterRoleBinding");
    assert_eq!(
        Some(&crb.role_ref.name),
        cluster_role.metadata.name.as_ref()
    );
    assert_eq!(crb.role_ref.kind, "ClusterRole");
    let rb = one(&r.role_bindings, "RoleBinding");
    assert_eq!(Some(&rb.role_ref.name), role.metadata.name.as_ref());
    assert_eq!(rb.role_ref.kind, "Role");
    for subjects in [&crb.subjects, &rb.subjects] {
        let subjects = subjects.as_deref().unwrap_or_default();
        assert_eq!(subjects.len(), 1, "one subject per binding");
        assert_eq!(
            (
                subjects[0].kind.as_str(),
                subjects[0].name.as_str(),
                subjects[0].namespace.as_deref()
            ),
            ("ServiceAccount", sa.as_str(), Some(NAMESPACE))
        );
    }
}

fn agent_container(d: &Deployment) -> &Container {
    let pod = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .expect("pod spec");
    one(&pod.containers, "container")
}

#[test]
fn deployment_is_available_and_locked_down() {
    let r = decode_all();
    let d = one(&r.deployments, "Deployment");
    let spec = d.spec.as_ref().expect("deployment spec");
    assert_eq!(spec.replicas, Some(2));
    let pod = spec.template.spec.as_ref().expect("pod spec");
    let sa = one(&r.service_accounts, "ServiceAccount")
        .metadata
        .name
        .clone();
    assert_eq!(pod.service_account_name, sa);
    assert_eq!(pod.automount_service_account_token, Some(true));
    let spread = pod
        .topology_spread_constraints
        .as_deref()
        .unwrap_or_default();
    let anti = pod
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref());
    assert!(
        spread
            .iter()
            .any(|t| t.topology_key == "kubernetes.io/hostname")
            || anti.is_some(),
        "replicas must be spread across nodes"
    );

    let c = agent_container(d);
    assert_eq!(
        c.image.as_deref(),
        Some("ghcr.io/rollout-doctor/rollout-doctor:0.1.0")
    );
    let args = c.args.as_deref().unwrap_or_default();
    assert_eq!(args.first().map(String::as_str), Some("run"));
    let http = c
        .ports
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|p| p.name.as_deref() == Some("http"));
    assert_eq!(
        http.map(|p| p.container_port),
        Some(8080),
        "container port named http on 8080"
    );
    for (probe, path) in [
        (&c.liveness_probe, "/healthz"),
        (&c.readiness_probe, "/readyz"),
    ] {
        let get = probe
            .as_ref()
            .and_then(|p| p.http_get.as_ref())
            .expect("HTTP probe");
        assert_eq!(get.path.as_deref(), Some(path));
        assert_eq!(get.port, IntOrString::String("http".into()));
    }
    let env: BTreeMap<&str, Option<&str>> = c
        .env
        .iter()
        .flatten()
        .map(|e| {
            let field = e
                .value_from
                .as_ref()
                .and_then(|f| f.field_ref.as_ref())
                .map(|f| f.field_path.as_str());
            (e.name.as_str(), field)
        })
        .collect();
    assert_eq!(env.get("POD_NAME"), Some(&Some("metadata.name")));
    assert_eq!(env.get("POD_NAMESPACE"), Some(&Some("metadata.namespace")));

    let res = c.resources.as_ref().expect("resources");
    let get = |m: &Option<BTreeMap<String, _>>, k: &str| m.as_ref().and_then(|m| m.get(k)).cloned();
    assert_eq!(get(&res.requests, "cpu").map(|q| q.0), Some("50m".into()));
    assert_eq!(
        get(&res.requests, "memory").map(|q| q.0),
        Some("64Mi".into())
    );
    assert_eq!(
        get(&res.limits, "memory").map(|q| q.0),
        Some("256Mi".into())
    );

    let sc = c
        .security_context
        .as_ref()
        .expect("container securityContext");
    assert_eq!(sc.run_as_non_root, Some(true));
    assert_eq!(sc.run_as_user, Some(65532));
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(sc.privileged, None);
    let drop = sc
        .capabilities
        .as_ref()
        .and_then(|c| c.drop.clone())
        .unwrap_or_default();
    assert_eq!(drop, ["ALL"]);
    assert!(
        sc.capabilities
            .as_ref()
            .and_then(|c| c.add.as_ref())
            .is_none(),
        "no capabilities added"
    );
    let seccomp = sc.seccomp_profile.as_ref().or(pod
        .security_context
        .as_ref()
        .and_then(|p| p.seccomp_profile.as_ref()));
    assert_eq!(seccomp.map(|s| s.type_.as_str()), Some("RuntimeDefault"));
    assert!(
        pod.host_network.is_none() && pod.host_pid.is_none(),
        "no host namespaces"
    );
}

#[test]
fn pdb_and_service_select_the_agent_pods() {
    let r = decode_all();
    let d = one(&r.deployments, "Deployment");
    let spec = d.spec.as_ref().expect("deployment spec");
    let pod_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let matches = |sel: &BTreeMap<String, String>| {
        !sel.is_empty() && sel.iter().all(|(k, v)| pod_labels.get(k) == Some(v))
    };
    assert!(
        matches(&spec.selector.match_labels.clone().unwrap_or_default()),
        "deployment selector"
    );

    let pdb = one(&r.pdbs, "PodDisruptionBudget")
        .spec
        .as_ref()
        .expect("pdb spec");
    assert_eq!(pdb.min_available, Some(IntOrString::Int(1)));
    let pdb_sel = pdb
        .selector
        .as_ref()
        .and_then(|s| s.match_labels.clone())
        .unwrap_or_default();
    assert!(matches(&pdb_sel), "PDB selector must match the pods");

    let svc = one(&r.services, "Service")
        .spec
        .as_ref()
        .expect("service spec");
    assert!(
        matches(&svc.selector.clone().unwrap_or_default()),
        "Service selector must match the pods"
    );
    let port = one(svc.ports.as_deref().unwrap_or_default(), "service port");
    assert_eq!((port.name.as_deref(), port.port), (Some("http"), 8080));
    assert_eq!(port.target_port, Some(IntOrString::String("http".into())));
}

#[test]
fn example_config_is_valid_and_matches_the_deployment() {
    let r = decode_all();
    let cm = one(&r.config_maps, "ConfigMap");
    let yaml = cm
        .data
        .as_ref()
        .and_then(|d| d.get("config.yaml"))
        .expect("config.yaml key");
    let config = load_file_str(yaml, Path::new("deploy/configmap.yaml#config.yaml"))
        .unwrap_or_else(|e| panic!("example config rejected: {e}"));

    let d = one(&r.deployments, "Deployment");
    let pod = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .expect("pod spec");
    let c = agent_container(d);
    let http = c
        .ports
        .iter()
        .flatten()
        .find(|p| p.name.as_deref() == Some("http"))
        .expect("http port");
    assert_eq!(
        i32::from(config.http_addr.port()),
        http.container_port,
        "http_addr vs container port"
    );
    let grace = pod.termination_grace_period_seconds.unwrap_or(30);
    assert!(
        config.shutdown_grace.as_secs() < u64::try_from(grace).unwrap_or(0),
        "shutdown_grace must end before the kubelet's SIGKILL"
    );

    // The file the agent is told to read is the one the ConfigMap volume provides.
    let args = c.args.as_deref().unwrap_or_default();
    let flag = args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1))
        .expect("--config FILE");
    let cm_name = cm.metadata.name.as_deref().expect("configmap name");
    let volume = pod
        .volumes
        .iter()
        .flatten()
        .find(|v| v.config_map.as_ref().map(|c| c.name.as_str()) == Some(cm_name))
        .expect("a volume of the ConfigMap");
    let mount = c
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.name == volume.name)
        .expect("the ConfigMap volume is mounted");
    assert_eq!(
        Path::new(&mount.mount_path).join("config.yaml"),
        Path::new(flag)
    );
}

#[test]
fn crd_yaml_matches_the_rust_type() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/crd.yaml");
    let committed = std::fs::read_to_string(&path).unwrap();
    let generated = rollout_doctor::agent::record::crd_yaml().unwrap();
    assert!(
        committed == generated,
        "deploy/crd.yaml is stale: run `rollout-doctor crd > deploy/crd.yaml`"
    );
}

/// The notify/fix example parses and validates as the agent would read it.
#[test]
fn notify_and_fix_example_is_valid() {
    let docs = read_yaml(&deploy_dir().join("examples/notify-and-fix.yaml"));
    let cm: ConfigMap = strict("examples/notify-and-fix.yaml", &docs[0]);
    let text = cm
        .data
        .as_ref()
        .and_then(|d| d.get("notify.yaml"))
        .expect("notify.yaml key");
    let cfg =
        rollout_doctor::notify::NotifyConfig::from_yaml(text).unwrap_or_else(|e| panic!("{e}"));
    let pr = cfg.pull_request.expect("a pull_request section");
    assert!(pr.draft && pr.dry_run, "the example starts careful");
    assert_eq!(cfg.sinks.len(), 2);
}
