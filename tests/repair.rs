//! Fix pull requests end to end against the fake GitHub: for each fixable scenario the
//! exact sequence of GitHub calls and the exact file content on the incident's branch, for
//! plain manifests, a kustomize overlay and Helm values; then the failure cases.

#[path = "support_github/mod.rs"]
mod support_github;

use futures::future::BoxFuture;
use rollout_doctor::agent::sink::{Delivery, Sink};
use rollout_doctor::gitops::github::{GitHub, PullRef};
use rollout_doctor::repair::source::{
    ApplicationLookup, PATH_ANNOTATION, REPO_ANNOTATION, REVISION_ANNOTATION, TRACKING_ANNOTATION,
};
use rollout_doctor::repair::{Outcome, PullRequestSink, RepairConfig};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use support_github::{FakeGitHub, Reply};

const TOKEN: &str = "ghp_testtoken0123456789";

fn repo_files(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/gitops")
        .join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e
                    .path()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn seed(gh: &FakeGitHub, dir: &str) -> Vec<(String, String)> {
    let files = repo_files(dir);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    gh.seed("acme", "deploy", "main", &refs);
    files
}

fn original(files: &[(String, String)], path: &str) -> String {
    files.iter().find(|(p, _)| p == path).unwrap().1.clone()
}

struct Apps(Option<Value>);

impl ApplicationLookup for Apps {
    fn application<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, String>> {
        Box::pin(async move {
            assert_eq!(
                (ns, name),
                ("argocd", "checkout-prod"),
                "the Application the tracking id names"
            );
            Ok(self.0.clone())
        })
    }
}

struct Setup {
    gh: FakeGitHub,
    _token: tempfile::NamedTempFile,
    cfg: RepairConfig,
}

async fn setup() -> Setup {
    let gh = FakeGitHub::start().await;
    gh.accept_token(TOKEN);
    let mut token = tempfile::NamedTempFile::new().unwrap();
    writeln!(token, "{TOKEN}").unwrap();
    let cfg: RepairConfig = serde_yaml_ng::from_str(&format!(
        "github: {{api_url: '{}', token_file: '{}', attempts: 2, request_timeout_ms: 3000}}\n\
         rollouts_dashboard: 'https://rollouts.example/rollouts/{{namespace}}/{{rollout}}'\n\
         repository_host: github.com\n",
        gh.api_url(),
        token.path().display()
    ))
    .unwrap();
    Setup {
        gh,
        _token: token,
        cfg,
    }
}

impl Setup {
    async fn sink(&self, apps: Option<Value>) -> PullRequestSink {
        let host = GitHub::connect(&self.cfg.github).await.unwrap();
        PullRequestSink::new(self.cfg.clone(), Arc::new(host), Arc::new(Apps(apps)))
    }
}

fn delivery(scenario: &str, annotations: &[(&str, &str)]) -> Delivery {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/scenarios")
        .join(scenario);
    let d = rollout_doctor::pipeline::diagnose_snapshot(&dir, &Default::default()).unwrap();
    let record = format!(
        "{}-{}",
        d.rollout.name,
        d.incident.canary_hash.clone().unwrap_or_default()
    );
    let mut delivery = Delivery::new(record, d);
    delivery.rollout_annotations = annotations
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    delivery
}

fn explicit(path: &str) -> Vec<(&'static str, String)> {
    vec![
        (REPO_ANNOTATION, "https://github.com/acme/deploy".into()),
        (PATH_ANNOTATION, path.into()),
    ]
}

fn annotations<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, s)| (*k, s.as_str())).collect()
}

fn opened(outcome: Outcome) -> PullRef {
    match outcome {
        Outcome::Opened(pr) => {
            assert!(
                pr.url.ends_with(&format!("/pull/{}", pr.number)),
                "{}",
                pr.url
            );
            pr
        }
        other => panic!("expected an opened pull request, got {other:?}"),
    }
}

/// The one pull request of the repository, checked for what every fix PR must be.
fn the_pull(gh: &FakeGitHub, branch: &str) -> support_github::Pull {
    let pulls = gh.repo("acme", "deploy").pulls;
    assert_eq!(pulls.len(), 1, "one pull request per incident");
    let p = pulls[0].clone();
    assert_eq!(
        (p.head.as_str(), p.base.as_str(), p.draft, p.open),
        (branch, "main", true, true)
    );
    assert_eq!(p.labels, vec!["rollout-doctor"]);
    assert!(p.body.contains("```diff"), "{}", p.body);
    assert!(p.body.contains("never merges"), "{}", p.body);
    p
}

/// Runs one fixable scenario against a seeded repository and returns the changed file's
/// text on the incident's branch, after checking the base branch kept its own.
async fn fix_one(
    dir: &str,
    scenario: &str,
    path: &str,
    apps: Option<Value>,
    ann: &[(&str, &str)],
) -> (String, String, Setup) {
    let s = setup().await;
    let files = seed(&s.gh, dir);
    let d = delivery(scenario, ann);
    let branch = format!("rollout-doctor/{}", d.record);
    let pr = opened(s.sink(apps).await.repair(&d).await.unwrap());
    let p = the_pull(&s.gh, &branch);
    assert_eq!(p.number, pr.number);
    assert_eq!(
        s.gh.file_on("acme", "deploy", "main", path),
        Some(original(&files, path)),
        "base untouched"
    );
    let changed = s.gh.file_on("acme", "deploy", &branch, path).unwrap();
    (original(&files, path), changed, s)
}

/// `before` with exactly one line replaced.
fn with_line(before: &str, old: &str, new: &str) -> String {
    assert_eq!(
        before.matches(old).count(),
        1,
        "{old:?} is unique in the original"
    );
    before.replace(old, new)
}

#[tokio::test]
async fn plain_manifest_image_revert_is_one_line_on_its_own_branch() {
    let ann = explicit("apps/checkout");
    let (before, after, s) = fix_one(
        "plain",
        "canary-image-tag-typo",
        "apps/checkout/rollout.yaml",
        None,
        &annotations(&ann),
    )
    .await;
    assert_eq!(
        after,
        with_line(
            &before,
            "image: registry.example.io/shop/checkout:v2.41.0 # release 2.41",
            "image: registry.example.io/shop/checkout:2.40.3 # release 2.41"
        )
    );
    let calls = s.gh.calls();
    let writes: Vec<&String> = calls.iter().filter(|c| !c.starts_with("GET ")).collect();
    assert_eq!(
        writes
            .iter()
            .map(|c| c.split('?').next().unwrap())
            .collect::<Vec<_>>(),
        vec![
            "POST /repos/acme/deploy/git/refs",
            "PUT /repos/acme/deploy/contents/apps/checkout/rollout.yaml",
            "POST /repos/acme/deploy/pulls",
            "POST /repos/acme/deploy/issues/1/labels",
        ],
        "{calls:#?}"
    );
    assert!(
        calls[0].starts_with("GET /repos/acme/deploy/pulls?"),
        "an open PR is looked for first: {calls:#?}"
    );
    let body = &the_pull(
        &s.gh,
        &format!(
            "rollout-doctor/{}",
            delivery("canary-image-tag-typo", &[]).record
        ),
    )
    .body;
    assert!(
        body.contains("-          image: registry.example.io/shop/checkout:v2.41.0"),
        "{body}"
    );
    assert!(
        body.contains("https://rollouts.example/rollouts/shop/checkout"),
        "{body}"
    );
    assert!(s.gh.requests().iter().all(|r| r.authorization.as_deref()
        == Some(&format!("token {TOKEN}"))
        || r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));
}

#[tokio::test]
async fn kustomize_overlay_through_the_argo_cd_application() {
    let app = json!({"spec": {"source": {"repoURL": "https://github.com/acme/deploy.git", "path": "apps/checkout/overlays/prod", "targetRevision": "HEAD"}}});
    let ann = [(
        TRACKING_ANNOTATION,
        "checkout-prod:argoproj.io/Rollout:shop/checkout",
    )];
    let path = "apps/checkout/overlays/prod/kustomization.yaml";
    let (before, after, s) =
        fix_one("kustomize", "canary-image-tag-typo", path, Some(app), &ann).await;
    // The worker image has the same tag and must stay; a tag YAML reads as a number is quoted.
    assert_eq!(
        after,
        with_line(
            &before,
            "    newTag: v2.41.0 # release 2.41",
            "    newTag: \"2.40.3\" # release 2.41"
        )
    );
    let body = &s.gh.repo("acme", "deploy").pulls[0].body;
    assert!(
        body.contains("applies to every workload of this kustomization"),
        "{body}"
    );
}

#[tokio::test]
async fn helm_values_from_a_multi_source_application() {
    let app = json!({"spec": {"sources": [
        {"repoURL": "https://github.com/acme/deploy", "path": "charts/checkout", "targetRevision": "main",
         "helm": {"valueFiles": ["$values/envs/prod/checkout.yaml"]}},
        {"repoURL": "https://github.com/acme/deploy", "targetRevision": "main", "ref": "values"}
    ]}});
    let ann = [(
        TRACKING_ANNOTATION,
        "checkout-prod:argoproj.io/Rollout:shop/checkout",
    )];
    let path = "envs/prod/checkout.yaml";
    let (before, after, _s) = fix_one("helm", "canary-image-tag-typo", path, Some(app), &ann).await;
    // A tag YAML would read as a number stays a string.
    assert_eq!(
        after,
        with_line(
            &before,
            "  tag: v2.41.0  # release 2.41",
            "  tag: \"2.40.3\"  # release 2.41"
        )
    );
}

#[tokio::test]
async fn missing_env_var_is_restored_from_the_stable_template() {
    let ann = explicit("apps/notifier");
    let path = "apps/notifier/rollout.yaml";
    let (before, after, _s) = fix_one(
        "plain",
        "canary-python-missing-env-var",
        path,
        None,
        &annotations(&ann),
    )
    .await;
    let want = with_line(
        &before,
        "          value: redis://notifier-redis:6379/0\n",
        "          value: redis://notifier-redis:6379/0\n        - name: SENDGRID_API_KEY\n          valueFrom:\n            secretKeyRef:\n              name: notifier-sendgrid\n              key: api-key\n",
    );
    assert_eq!(after, want);
}

#[tokio::test]
async fn memory_limit_is_raised_within_the_cap() {
    let ann = explicit("apps/search-indexer");
    let path = "apps/search-indexer/rollout.yaml";
    let (before, after, _s) = fix_one(
        "plain",
        "canary-jvm-memory-limit-lowered",
        path,
        None,
        &annotations(&ann),
    )
    .await;
    assert_eq!(
        after,
        with_line(
            &before,
            "              memory: 1Gi   # lowered",
            "              memory: 2Gi   # lowered"
        )
    );
}

#[tokio::test]
async fn probe_path_is_restored() {
    let ann = explicit("apps/accounts-api");
    let path = "apps/accounts-api/rollout.yaml";
    let (before, after, _s) = fix_one(
        "plain",
        "canary-readiness-path-changed",
        path,
        None,
        &annotations(&ann),
    )
    .await;
    assert_eq!(
        after,
        with_line(
            &before,
            "              path: /health/ready",
            "              path: /healthz"
        )
    );
}

#[tokio::test]
async fn a_second_delivery_comments_on_the_open_pull_request() {
    let s = setup().await;
    seed(&s.gh, "plain");
    let ann = explicit("apps/checkout");
    let d = delivery("canary-image-tag-typo", &annotations(&ann));
    let sink = s.sink(None).await;
    let first = opened(sink.repair(&d).await.unwrap());
    s.gh.clear_requests();
    match sink.repair(&d).await.unwrap() {
        Outcome::Commented(pr) => assert_eq!(pr, first),
        other => panic!("{other:?}"),
    }
    let calls = s.gh.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert!(calls[1].starts_with(&format!(
        "POST /repos/acme/deploy/issues/{}/comments",
        first.number
    )));
    assert_eq!(s.gh.repo("acme", "deploy").pulls.len(), 1);
}

#[tokio::test]
async fn a_branch_left_by_an_earlier_try_is_continued_only_if_recognised() {
    let s = setup().await;
    let files = seed(&s.gh, "plain");
    let ann = explicit("apps/checkout");
    let d = delivery("canary-image-tag-typo", &annotations(&ann));
    let branch = format!("rollout-doctor/{}", d.record);
    // The earlier try created the branch and died: same content as the base.
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    s.gh.seed("acme", "deploy", &branch, &refs);
    opened(s.sink(None).await.repair(&d).await.unwrap());
    assert!(
        s.gh.file_on("acme", "deploy", &branch, "apps/checkout/rollout.yaml")
            .unwrap()
            .contains("checkout:2.40.3")
    );

    // Someone else's work on a branch of that name is left alone.
    let s = setup().await;
    seed(&s.gh, "plain");
    let theirs =
        original(&files, "apps/checkout/rollout.yaml").replace("replicas: 4", "replicas: 6");
    s.gh.seed(
        "acme",
        "deploy",
        &branch,
        &[("apps/checkout/rollout.yaml", theirs.as_str())],
    );
    match s.sink(None).await.repair(&d).await.unwrap() {
        Outcome::Skipped(why) => assert!(why.contains("exists with other changes"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.gh.file_on("acme", "deploy", &branch, "apps/checkout/rollout.yaml")
            .unwrap(),
        theirs
    );
    assert!(s.gh.repo("acme", "deploy").pulls.is_empty());
}

/// A bad token may be rotated: the delivery fails and is retried later. A missing permission
/// will not fix itself: the reason goes on the record. Nothing is written either way.
#[tokio::test]
async fn auth_failures_retry_and_permission_denials_end_with_the_reason() {
    for (status, msg, retried) in [
        (401, "Bad credentials", true),
        (403, "Resource not accessible by integration", false),
    ] {
        let s = setup().await;
        seed(&s.gh, "plain");
        s.gh.fail(
            "GET",
            "/repos/acme/deploy/pulls",
            5,
            Reply::error(status, msg),
        );
        let ann = explicit("apps/checkout");
        let d = delivery("canary-image-tag-typo", &annotations(&ann));
        let sink = s.sink(None).await;
        let result = sink.deliver(&d).await;
        if retried {
            assert!(result.unwrap_err().to_string().contains(msg), "{status}");
            assert_eq!(sink.metrics().get("failed"), 1);
        } else {
            let note = result.unwrap().note.unwrap();
            assert!(note.contains(msg), "{status}: {note}");
            assert_eq!(sink.metrics().get("skipped"), 1);
        }
        assert!(
            s.gh.calls().iter().all(|c| c.starts_with("GET ")),
            "nothing written after {status}"
        );
    }
}

#[tokio::test]
async fn a_422_on_the_pull_request_is_reported_not_retried() {
    let s = setup().await;
    seed(&s.gh, "plain");
    s.gh.fail(
        "POST",
        "/repos/acme/deploy/pulls",
        1,
        Reply::error(422, "Validation Failed: base is not a branch"),
    );
    let ann = explicit("apps/checkout");
    let d = delivery("canary-image-tag-typo", &annotations(&ann));
    match s.sink(None).await.repair(&d).await.unwrap() {
        Outcome::Skipped(why) => assert!(why.contains("base is not a branch"), "{why}"),
        other => panic!("{other:?}"),
    }
    let posts =
        s.gh.calls()
            .iter()
            .filter(|c| c.starts_with("POST /repos/acme/deploy/pulls"))
            .count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn nothing_to_change_when_the_repository_does_not_hold_the_canary_value() {
    let s = setup().await;
    seed(&s.gh, "plain");
    // The notifier's directory does not define checkout.
    let ann = explicit("apps/notifier");
    let d = delivery("canary-image-tag-typo", &annotations(&ann));
    let receipt = s.sink(None).await.deliver(&d).await.unwrap();
    let note = receipt.note.unwrap();
    assert!(note.contains("nothing to fix found"), "{note}");
    assert!(receipt.link.is_none());
    assert!(s.gh.calls().iter().all(|c| c.starts_with("GET ")));
}

#[tokio::test]
async fn dry_run_reads_and_writes_nothing_back() {
    let mut s = setup().await;
    s.cfg.dry_run = true;
    seed(&s.gh, "plain");
    let ann = explicit("apps/checkout");
    let d = delivery("canary-image-tag-typo", &annotations(&ann));
    match s.sink(None).await.repair(&d).await.unwrap() {
        Outcome::DryRun(fix) => {
            assert_eq!(fix.path, "apps/checkout/rollout.yaml");
            assert!(
                fix.diff
                    .contains("+          image: registry.example.io/shop/checkout:2.40.3"),
                "{}",
                fix.diff
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(s.gh.calls().iter().all(|c| c.starts_with("GET ")));
}

#[tokio::test]
async fn unfixable_causes_get_an_issue_only_when_asked_and_no_secret_leaks() {
    let ann = explicit("apps/checkout");
    // DNS failure of a dependency: no mechanical fix; the log line holds a password.
    let d = delivery("canary-db-dns-secret-in-log", &annotations(&ann));
    let s = setup().await;
    seed(&s.gh, "plain");
    match s.sink(None).await.repair(&d).await.unwrap() {
        Outcome::Skipped(why) => assert!(why.contains("no mechanical fix"), "{why}"),
        other => panic!("{other:?}"),
    }
    let mut s = setup().await;
    s.cfg.issues_for_unfixable = true;
    seed(&s.gh, "plain");
    assert!(matches!(
        s.sink(None).await.repair(&d).await.unwrap(),
        Outcome::Issue(_)
    ));
    let issues = s.gh.repo("acme", "deploy").issues;
    assert_eq!(issues.len(), 1);
    let scenario =
        std::fs::read_to_string("fixtures/scenarios/canary-db-dns-secret-in-log/expected.yaml")
            .unwrap();
    let expected: Value = serde_yaml_ng::from_str(&scenario).unwrap();
    for secret in expected["must_not_contain"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        assert!(
            !issues[0].body.contains(secret),
            "issue body leaks {secret}"
        );
    }
}

#[tokio::test]
async fn no_source_no_pull_request() {
    let s = setup().await;
    seed(&s.gh, "plain");
    let d = delivery("canary-image-tag-typo", &[]);
    let sink = s.sink(None).await;
    let receipt = sink.deliver(&d).await.unwrap();
    assert!(receipt.note.unwrap().contains("no GitOps source"));
    assert_eq!(
        (sink.metrics().get("skipped"), sink.metrics().get("opened")),
        (1, 0)
    );
    assert!(s.gh.calls().is_empty());
}

#[tokio::test]
async fn a_changed_config_map_reference_is_put_back() {
    let ann = explicit("apps/pricing-engine");
    let path = "apps/pricing-engine/rollout.yaml";
    let (before, after, _s) = fix_one(
        "plain",
        "canary-configmap-not-found",
        path,
        None,
        &annotations(&ann),
    )
    .await;
    let diff: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        before.lines().count(),
        after.lines().count(),
        "one line changed, none added"
    );
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(
        diff[0].0.contains("pricing-rules-v2") && diff[0].1.contains("pricing-rules"),
        "{diff:?}"
    );
}

/// What a Rollout's owner writes on it must not steer fixes into other teams' repositories.
#[tokio::test]
async fn rollout_owners_cannot_point_fixes_at_other_repositories() {
    let mut s = setup().await;
    s.cfg.repositories = vec!["platform/*".into()];
    seed(&s.gh, "plain");
    let ann = explicit("apps/checkout");
    let d = delivery("canary-image-tag-typo", &annotations(&ann));
    match s.sink(None).await.repair(&d).await.unwrap() {
        Outcome::Skipped(why) => assert!(
            why.contains("acme/deploy is not in pull_request.repositories"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    // An Application of another namespace, named through the instance label.
    let s = setup().await;
    seed(&s.gh, "plain");
    let app = json!({"spec": {"source": {"repoURL": "https://github.com/acme/deploy", "path": "apps/checkout"},
                              "destination": {"namespace": "payments"}}});
    let ann = [(
        TRACKING_ANNOTATION,
        "checkout-prod:argoproj.io/Rollout:shop/checkout",
    )];
    match s
        .sink(Some(app))
        .await
        .repair(&delivery("canary-image-tag-typo", &ann))
        .await
        .unwrap()
    {
        Outcome::Skipped(why) => assert!(why.contains("deploys to namespace payments"), "{why}"),
        other => panic!("{other:?}"),
    }
    // A credential in a repository URL never reaches the record.
    let s = setup().await;
    let ann = [(
        REPO_ANNOTATION,
        "https://x:ghp_leak@gitlab.example/acme/deploy",
    )];
    match s
        .sink(None)
        .await
        .repair(&delivery("canary-image-tag-typo", &ann))
        .await
        .unwrap()
    {
        Outcome::Skipped(why) => assert!(
            why.contains("gitlab.example") && !why.contains("ghp_leak"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(s.gh.calls().is_empty());
}

/// An Application pinned to a tag or commit has no branch a pull request could target:
/// nothing is created, not even the incident's branch.
#[tokio::test]
async fn a_revision_that_is_not_a_branch_gets_no_branch_of_ours() {
    let s = setup().await;
    seed(&s.gh, "plain");
    let mut ann = explicit("apps/checkout");
    ann.push((REVISION_ANNOTATION, "v2.41.0".into()));
    let d = delivery("canary-image-tag-typo", &annotations(&ann));
    match s.sink(None).await.repair(&d).await.unwrap() {
        Outcome::Skipped(why) => assert!(why.contains("v2.41.0 is not a branch"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(s.gh.calls().iter().all(|c| c.starts_with("GET ")));
    assert_eq!(s.gh.repo("acme", "deploy").branches.len(), 1);
}
