use super::*;
use serde_json::json;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn locating_from_rollout_metadata() {
    let cfg = DiscoveryConfig::default();
    let app = |ns: &str, name: &str, via: &str| {
        Some(Locator::Application {
            namespace: ns.into(),
            name: name.into(),
            via: via.into(),
        })
    };
    let tracking = "annotation argocd.argoproj.io/tracking-id";
    let label = "label app.kubernetes.io/instance";
    // (labels, annotations, where the source is expected)
    type Case = (
        BTreeMap<String, String>,
        BTreeMap<String, String>,
        Option<Locator>,
    );
    let cases: Vec<Case> = vec![
        (map(&[]), map(&[]), None),
        (
            map(&[]),
            map(&[(
                TRACKING_ANNOTATION,
                "checkout:argoproj.io/Rollout:shop/checkout",
            )]),
            app("argocd", "checkout", tracking),
        ),
        (
            map(&[]),
            map(&[(
                TRACKING_ANNOTATION,
                "team-a_checkout:argoproj.io/Rollout:shop/checkout",
            )]),
            app("team-a", "checkout", tracking),
        ),
        // Malformed tracking ids fall through to the label.
        (
            map(&[("app.kubernetes.io/instance", "shop")]),
            map(&[(TRACKING_ANNOTATION, "garbage")]),
            app("argocd", "shop", label),
        ),
        (
            map(&[("app.kubernetes.io/instance", "shop")]),
            map(&[]),
            app("argocd", "shop", label),
        ),
        (
            map(&[("app.kubernetes.io/instance", "shop")]),
            map(&[
                (REPO_ANNOTATION, "https://github.com/acme/deploy"),
                (PATH_ANNOTATION, "./apps/shop/"),
                (REVISION_ANNOTATION, "main"),
            ]),
            Some(Locator::Explicit(GitSource {
                repo_url: "https://github.com/acme/deploy".into(),
                path: "apps/shop".into(),
                revision: Some("main".into()),
                extra_files: vec![],
                helm_values: vec![],
                origin: "annotation rollout-doctor.io/git-repo".into(),
            })),
        ),
    ];
    for (labels, annotations, want) in cases {
        assert_eq!(
            locate(&labels, &annotations, &cfg),
            want,
            "{labels:?} {annotations:?}"
        );
    }
    let off = DiscoveryConfig {
        instance_label: String::new(),
        ..Default::default()
    };
    assert_eq!(locate(&map(&[("", "x")]), &map(&[]), &off), None);
}

#[test]
fn single_source_with_helm_value_files() {
    let app = json!({"spec": {"source": {
        "repoURL": "https://github.com/acme/deploy.git", "path": "charts/checkout", "targetRevision": "HEAD",
        "helm": {"valueFiles": ["values-prod.yaml", "https://example.com/remote.yaml"]}
    }}});
    let s = sources_of_application(&app, "argocd/checkout").unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].path, "charts/checkout");
    assert_eq!(s[0].revision, None);
    assert!(
        s[0].extra_files.is_empty(),
        "value files inside the path are fetched with it"
    );
    assert_eq!(
        s[0].helm_values,
        vec![
            "charts/checkout/values.yaml",
            "charts/checkout/values-prod.yaml"
        ]
    );
}

#[test]
fn multi_source_values_come_from_the_ref_source() {
    let app = json!({"spec": {"sources": [
        {"repoURL": "https://charts.example.com", "chart": "checkout", "targetRevision": "1.2.3",
         "helm": {"valueFiles": ["$values/envs/prod/checkout.yaml", "$missing/x.yaml"]}},
        {"repoURL": "https://github.com/acme/values", "targetRevision": "release", "ref": "values"}
    ]}});
    let s = sources_of_application(&app, "argocd/checkout").unwrap();
    assert_eq!(
        s,
        vec![GitSource {
            repo_url: "https://github.com/acme/values".into(),
            path: String::new(),
            revision: Some("release".into()),
            extra_files: vec!["envs/prod/checkout.yaml".into()],
            helm_values: vec!["envs/prod/checkout.yaml".into()],
            origin: "Argo CD Application argocd/checkout".into(),
        }]
    );
}

#[test]
fn value_files_of_the_same_repository_layer_over_the_chart() {
    let app = json!({"spec": {"sources": [
        {"repoURL": "https://github.com/acme/deploy.git", "path": "charts/checkout", "targetRevision": "main",
         "helm": {"valueFiles": ["values-common.yaml", "$values/envs/prod/checkout.yaml"]}},
        {"repoURL": "git@github.com:acme/deploy", "targetRevision": "main", "ref": "values"}
    ]}});
    let s = sources_of_application(&app, "argocd/checkout").unwrap();
    assert_eq!(s.len(), 1, "{s:#?}");
    assert_eq!(s[0].path, "charts/checkout");
    assert_eq!(
        s[0].helm_values,
        vec![
            "charts/checkout/values.yaml",
            "charts/checkout/values-common.yaml",
            "envs/prod/checkout.yaml"
        ]
    );
    assert_eq!(s[0].extra_files, vec!["envs/prod/checkout.yaml"]);
}

#[test]
fn repository_urls_compare_across_forms() {
    assert!(crate::gitops::github::RepoId::same(
        "https://github.com/Acme/Deploy.git",
        "git@github.com:acme/deploy"
    ));
    assert!(crate::gitops::github::RepoId::same(
        "ssh://git@github.com/acme/deploy.git",
        "https://github.com/acme/deploy/"
    ));
    assert!(!crate::gitops::github::RepoId::same(
        "https://github.com/acme/deploy",
        "https://github.com/acme/deploy-values"
    ));
}

#[test]
fn chart_only_applications_have_nothing_to_edit() {
    let app = json!({"spec": {"source": {"repoURL": "https://charts.example.com", "chart": "x", "targetRevision": "1.0.0"}}});
    assert_eq!(
        sources_of_application(&app, "argocd/x"),
        Err(SourceError::NoGitSource {
            app: "argocd/x".into()
        })
    );
    assert!(sources_of_application(&json!({}), "argocd/x").is_err());
}

struct Apps(Option<Value>);

impl ApplicationLookup for Apps {
    fn application<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, String>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

#[tokio::test]
async fn discovery_through_an_application() {
    let loc = Locator::Application {
        namespace: "argocd".into(),
        name: "shop".into(),
        via: "label x".into(),
    };
    let app = json!({"spec": {"source": {"repoURL": "git@github.com:acme/deploy.git", "path": "shop", "targetRevision": "main"},
                              "destination": {"namespace": "shop"}}});
    let s = discover(loc.clone(), &Apps(Some(app.clone())), "shop")
        .await
        .unwrap();
    assert_eq!(
        s[0].origin,
        "Argo CD Application argocd/shop (found by label x)"
    );
    assert_eq!(s[0].revision.as_deref(), Some("main"));
    assert_eq!(
        discover(loc.clone(), &Apps(None), "shop").await,
        Err(SourceError::ApplicationNotFound("argocd/shop".into()))
    );
    // Another team's Application, named by a label the Rollout's owner chose.
    assert_eq!(
        discover(loc, &Apps(Some(app)), "tenant-b").await,
        Err(SourceError::ElsewhereDeployed {
            app: "argocd/shop".into(),
            destination: "shop".into()
        })
    );
}

/// `..` in a value file is resolved against the chart's path (Argo CD's meaning); one that
/// climbs out of the repository is never fetched.
#[test]
fn value_files_climbing_out_of_the_repository_are_dropped() {
    let app = json!({"spec": {"source": {
        "repoURL": "https://github.com/acme/deploy.git", "path": "charts/checkout",
        "helm": {"valueFiles": ["../../envs/prod/checkout.yaml", "../../../../etc/x.yaml"]}
    }}});
    let s = sources_of_application(&app, "argocd/checkout").unwrap();
    assert_eq!(
        s[0].helm_values,
        vec!["charts/checkout/values.yaml", "envs/prod/checkout.yaml"]
    );
    assert_eq!(s[0].extra_files, vec!["envs/prod/checkout.yaml"]);
    let escaping = json!({"spec": {"source": {"repoURL": "https://github.com/acme/deploy.git", "path": "../up"}}});
    assert!(sources_of_application(&escaping, "argocd/x").is_err());
}

#[test]
fn paths_are_cleaned() {
    for (raw, want) in [
        ("", ""),
        (".", ""),
        ("./a/b/", "a/b"),
        ("/a//b", "a/b"),
        ("charts/app/../../envs/p.yaml", "envs/p.yaml"),
    ] {
        assert_eq!(clean_path(raw).as_deref(), Some(want));
    }
    assert_eq!(clean_path("charts/../../other-repo/x.yaml"), None);
}
