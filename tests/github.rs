//! The GitHub client over real HTTP against the fake GitHub in `support_github`: the whole
//! fix sequence with a token, GitHub App auth (JWT only for the app endpoints, installation
//! tokens for the rest, refreshed before expiry), GHE's `/api/v3` prefix, and how each
//! failure maps to a `GitError` and whether it is retried.

#[path = "github/failures.rs"]
mod failures;
mod support_github;

use rollout_doctor::gitops::auth::GitHubConfig;
use rollout_doctor::gitops::github::{GitError, GitHost, GitHub, NewPull, RepoId};
use std::path::PathBuf;
use std::time::Duration;
use support_github::{FakeGitHub, Pull};

const TOKEN: &str = "ghp_test0123456789";
const VALUES: &str = "replicas: 3\nimage: orders:1.4.2\n";

fn acme() -> RepoId {
    RepoId {
        owner: "acme".into(),
        name: "deploy".into(),
    }
}

fn seed(gh: &FakeGitHub) -> String {
    gh.seed(
        "acme",
        "deploy",
        "main",
        &[
            ("README.md", "# deploy\n"),
            ("apps/billing/rollout.yaml", "kind: Rollout\n"),
            (
                "apps/orders/rollout.yaml",
                "kind: Rollout\nmetadata: {name: orders}\n",
            ),
            ("apps/orders/values.yaml", VALUES),
            ("apps/orders-canary/values.yaml", "x: 1\n"),
        ],
    )
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn token_config(gh: &FakeGitHub, dir: &tempfile::TempDir, token: &str) -> GitHubConfig {
    GitHubConfig {
        api_url: Some(gh.api_url()),
        token_file: Some(write(dir, "token", &format!("{token}\n"))),
        request_timeout_ms: 5_000,
        attempts: 3,
        ..Default::default()
    }
}

async fn token_client(gh: &FakeGitHub) -> GitHub {
    gh.accept_token(TOKEN);
    let dir = tempfile::tempdir().unwrap();
    GitHub::connect(&token_config(gh, &dir, TOKEN))
        .await
        .unwrap()
}

/// A throwaway RSA key in PKCS#1 (`-traditional`, what GitHub hands out) or PKCS#8 form.
fn rsa_key(dir: &tempfile::TempDir, pkcs1: bool) -> PathBuf {
    let path = dir.path().join("app-key.pem");
    let mut cmd = std::process::Command::new("openssl");
    cmd.arg("genrsa").arg("-out").arg(&path);
    if pkcs1 {
        cmd.arg("-traditional");
    }
    let ok = cmd
        .arg("2048")
        .output()
        .expect("the App auth tests need `openssl` on PATH")
        .status
        .success();
    assert!(ok, "openssl genrsa failed");
    path
}

fn app_config(gh: &FakeGitHub, key: PathBuf, installation_id: Option<u64>) -> GitHubConfig {
    GitHubConfig {
        api_url: Some(gh.api_url()),
        app_id: Some(4242),
        private_key_file: Some(key),
        installation_id,
        request_timeout_ms: 5_000,
        attempts: 3,
        ..Default::default()
    }
}

#[tokio::test]
async fn token_auth_runs_the_whole_fix_sequence() {
    let gh = FakeGitHub::start().await;
    let base = seed(&gh);
    let git = token_client(&gh).await;
    let (r, branch, path) = (
        acme(),
        "rollout-doctor/orders-replicas",
        "apps/orders/values.yaml",
    );

    assert_eq!(git.default_branch(&r).await.unwrap(), "main");
    let sha = git.resolve(&r, "main").await.unwrap();
    assert_eq!(sha, base);
    let files = git.list_files(&r, &sha, "./apps/orders/").await.unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["apps/orders/rollout.yaml", "apps/orders/values.yaml"]
    );
    assert_eq!(files[1].size, VALUES.len() as u64);
    let file = git.file(&r, &sha, path).await.unwrap();
    assert_eq!(
        (file.path.as_str(), file.text.as_str(), &file.sha),
        (path, VALUES, &files[1].sha)
    );
    git.create_branch(&r, branch, &sha).await.unwrap();
    let fixed = VALUES.replace("replicas: 3", "replicas: 2");
    let commit = git
        .update_file(&r, branch, path, &fixed, &file.sha, "orders: 2 replicas")
        .await
        .unwrap();
    assert_eq!(git.find_open_pull(&r, branch).await.unwrap(), None);
    let new = NewPull {
        title: "orders: 2 replicas".into(),
        head: branch.into(),
        base: "main".into(),
        body: "Why: …".into(),
        draft: true,
        labels: vec!["rollout-doctor".into(), "automated".into()],
    };
    let pr = git.create_pull(&r, &new).await.unwrap();
    assert_eq!(
        pr.url,
        format!("https://github.example/acme/deploy/pull/{}", pr.number)
    );
    assert_eq!(
        git.find_open_pull(&r, branch).await.unwrap(),
        Some(pr.clone())
    );
    git.comment(&r, pr.number, "Still failing after the fix.")
        .await
        .unwrap();

    let q = "head=acme:rollout-doctor%2Forders-replicas";
    assert_eq!(
        gh.calls(),
        [
            "GET /repos/acme/deploy".to_owned(),
            "GET /repos/acme/deploy/commits/main".into(),
            format!("GET /repos/acme/deploy/git/trees/{sha}?recursive=1"),
            format!("GET /repos/acme/deploy/contents/apps/orders/values.yaml?ref={sha}"),
            "POST /repos/acme/deploy/git/refs".into(),
            "PUT /repos/acme/deploy/contents/apps/orders/values.yaml".into(),
            format!("GET /repos/acme/deploy/pulls?state=open&{q}"),
            "POST /repos/acme/deploy/pulls".into(),
            format!("POST /repos/acme/deploy/issues/{}/labels", pr.number),
            format!("GET /repos/acme/deploy/pulls?state=open&{q}"),
            format!("POST /repos/acme/deploy/issues/{}/comments", pr.number),
        ]
    );
    let reqs = gh.requests();
    assert!(
        reqs.iter()
            .all(|q| q.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")))
    );
    assert_eq!(
        reqs[1].accept.as_deref(),
        Some("application/vnd.github.sha")
    );
    let put = reqs[5].body.clone().unwrap();
    assert_eq!(
        (put["sha"].as_str(), put["branch"].as_str()),
        (Some(file.sha.as_str()), Some(branch))
    );

    assert_eq!(
        gh.file_on("acme", "deploy", branch, path).as_deref(),
        Some(fixed.as_str())
    );
    let repo = gh.repo("acme", "deploy");
    assert_eq!(
        (&repo.branches["main"], &repo.branches[branch]),
        (&base, &commit)
    );
    assert_eq!(repo.file("main", path).as_deref(), Some(VALUES));
    assert_eq!(
        repo.pulls,
        [Pull {
            number: pr.number,
            title: new.title.clone(),
            head: branch.into(),
            base: "main".into(),
            body: new.body.clone(),
            draft: true,
            open: true,
            labels: new.labels.clone(),
        }]
    );
    assert_eq!(repo.comments[0].body, "Still failing after the fix.");
}

#[tokio::test]
async fn app_auth_finds_the_installation_and_uses_its_token() {
    let gh = FakeGitHub::start().await;
    seed(&gh);
    gh.enable_app(4242, Duration::from_secs(3600));
    gh.install("acme", 77);
    let dir = tempfile::tempdir().unwrap();
    let git = GitHub::connect(&app_config(&gh, rsa_key(&dir, true), None))
        .await
        .unwrap();
    assert!(gh.calls().is_empty(), "connect makes no request");

    let r = acme();
    assert_eq!(git.default_branch(&r).await.unwrap(), "main");
    assert_eq!(
        git.file(&r, "main", "README.md").await.unwrap().text,
        "# deploy\n"
    );
    let labels = ["rollout-doctor".to_owned()];
    let issue = git
        .create_issue(&r, "orders cannot be fixed automatically", "…", &labels)
        .await
        .unwrap();

    assert_eq!(
        gh.calls(),
        [
            "GET /repos/acme/deploy/installation",
            "POST /app/installations/77/access_tokens",
            "GET /repos/acme/deploy",
            "GET /repos/acme/deploy/contents/README.md?ref=main",
            "POST /repos/acme/deploy/issues",
        ]
    );
    let auth: Vec<String> = gh
        .requests()
        .into_iter()
        .map(|q| q.authorization.unwrap())
        .collect();
    assert!(
        auth[..2].iter().all(|a| a.starts_with("Bearer ey")),
        "JWT for the app endpoints: {auth:?}"
    );
    assert!(
        auth[2..].iter().all(|a| a == "Bearer ghs_fake_77_1"),
        "installation token elsewhere: {auth:?}"
    );
    let stored = &gh.repo("acme", "deploy").issues[0];
    assert_eq!(
        (stored.number, &stored.labels[..]),
        (issue.number, &labels[..])
    );

    // Not installed for another owner.
    gh.seed("other", "repo", "main", &[("a", "b")]);
    assert!(
        matches!(git.default_branch(&RepoId::parse("git@github.com:other/repo.git").unwrap()).await, Err(GitError::NotFound(m)) if m.contains("not installed"))
    );
}

#[tokio::test]
async fn app_installation_tokens_are_refreshed_before_they_expire() {
    let gh = FakeGitHub::start().await;
    seed(&gh);
    // Valid for 20 s: inside octocrab's 30 s margin, so every call mints a fresh one.
    gh.enable_app(4242, Duration::from_secs(20));
    gh.install("acme", 77);
    let dir = tempfile::tempdir().unwrap();
    let git = GitHub::connect(&app_config(&gh, rsa_key(&dir, false), Some(77)))
        .await
        .unwrap();
    for _ in 0..2 {
        git.default_branch(&acme()).await.unwrap();
    }
    assert_eq!(
        gh.calls(),
        [
            "POST /app/installations/77/access_tokens",
            "GET /repos/acme/deploy",
            "POST /app/installations/77/access_tokens",
            "GET /repos/acme/deploy",
        ]
    );
    let auth: Vec<String> = gh
        .requests()
        .into_iter()
        .map(|q| q.authorization.unwrap())
        .collect();
    assert_eq!(
        (auth[1].as_str(), auth[3].as_str()),
        ("Bearer ghs_fake_77_1", "Bearer ghs_fake_77_2")
    );
}

#[tokio::test]
async fn enterprise_server_api_prefix_is_kept_for_app_and_repo_calls() {
    let gh = FakeGitHub::start_with_prefix("/api/v3").await;
    let base = seed(&gh);
    gh.enable_app(4242, Duration::from_secs(3600));
    gh.install("acme", 9);
    let dir = tempfile::tempdir().unwrap();
    let git = GitHub::connect(&app_config(&gh, rsa_key(&dir, true), None))
        .await
        .unwrap();
    let r = RepoId::parse("https://ghe.example/acme/deploy").unwrap();
    assert_eq!(git.resolve(&r, &base[..10]).await.unwrap(), base);
    let paths: Vec<String> = gh.requests().into_iter().map(|q| q.path).collect();
    assert_eq!(
        paths,
        [
            "/api/v3/repos/acme/deploy/installation".to_owned(),
            "/api/v3/app/installations/9/access_tokens".into(),
            format!("/api/v3/repos/acme/deploy/commits/{}", &base[..10]),
        ]
    );
}
