//! How each failure maps to a `GitError` and whether it is retried: misconfiguration at
//! connect, 4xx (never retried), 5xx and short rate limits (retried), an unreachable server.

use super::*;
use std::time::Instant;
use support_github::{Reply, now};

#[tokio::test]
async fn misconfiguration_fails_at_connect_without_echoing_secrets() {
    let gh = FakeGitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token = token_config(&gh, &dir, TOKEN);
    let key = write(
        &dir,
        "bad.pem",
        "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n",
    );
    let cases = [
        (
            GitHubConfig {
                app_id: Some(1),
                ..token.clone()
            },
            "not both",
        ),
        (
            GitHubConfig {
                api_url: Some(gh.api_url()),
                ..Default::default()
            },
            "no credentials",
        ),
        (
            GitHubConfig {
                app_id: Some(1),
                ..Default::default()
            },
            "private_key_file",
        ),
        (
            app_config(&gh, dir.path().join("missing.pem"), None),
            "cannot read",
        ),
        (app_config(&gh, key, None), "not an RSA private key"),
        (
            GitHubConfig {
                token_file: Some(write(&dir, "empty", "\n")),
                ..token.clone()
            },
            "empty",
        ),
        (
            GitHubConfig {
                token_file: Some(write(&dir, "sp", "ghp_se cret")),
                ..token.clone()
            },
            "not allowed",
        ),
        (
            GitHubConfig {
                api_url: Some("ghe.example".into()),
                ..token.clone()
            },
            "api_url",
        ),
    ];
    for (cfg, want) in cases {
        match GitHub::connect(&cfg).await {
            Err(GitError::Invalid(m)) => {
                assert!(m.contains(want), "{m:?} should say {want:?}");
                assert!(!m.contains("se cret") && !m.contains(TOKEN), "{m:?}");
            }
            Err(e) => panic!("{want}: {e}"),
            Ok(_) => panic!("{want}: connected"),
        }
    }
}

#[tokio::test]
async fn client_errors_map_precisely_and_are_not_retried() {
    let gh = FakeGitHub::start().await;
    let base = seed(&gh);
    let git = token_client(&gh).await;
    let r = acme();
    let dir = tempfile::tempdir().unwrap();
    let wrong = GitHub::connect(&token_config(&gh, &dir, "ghp_wrong"))
        .await
        .unwrap();
    assert!(
        matches!(wrong.default_branch(&r).await, Err(GitError::Unauthorized(m)) if m.contains("Bad credentials"))
    );
    gh.fail(
        "POST",
        "/repos/acme/deploy/pulls",
        9,
        Reply::error(403, "Resource not accessible by integration"),
    );
    let pull = NewPull {
        title: "t".into(),
        head: "main".into(),
        base: "main".into(),
        body: String::new(),
        draft: false,
        labels: vec![],
    };
    assert!(
        matches!(git.create_pull(&r, &pull).await, Err(GitError::Forbidden(m)) if m.contains("not accessible"))
    );
    assert!(
        matches!(git.create_branch(&r, "main", &base).await, Err(GitError::AlreadyExists(m)) if m.contains("Reference already exists"))
    );
    assert!(matches!(
        git.file(&r, "main", "apps/nope.yaml").await,
        Err(GitError::NotFound(_))
    ));
    assert!(
        matches!(git.resolve(&r, "no-such-branch").await, Err(GitError::NotFound(m)) if m.contains("No commit found"))
    );
    let missing = RepoId {
        owner: "acme".into(),
        name: "missing".into(),
    };
    assert!(matches!(
        git.default_branch(&missing).await,
        Err(GitError::NotFound(_))
    ));
    let stale = git
        .update_file(
            &r,
            "main",
            "apps/orders/values.yaml",
            "x",
            &"0".repeat(40),
            "m",
        )
        .await;
    assert!(
        matches!(stale, Err(GitError::Api { status: 409, .. })),
        "{stale:?}"
    );
    assert!(
        matches!(git.file(&r, "main", "apps").await, Err(GitError::Invalid(m)) if m.contains("directory"))
    );
    gh.fail(
        "GET",
        "/repos/acme/deploy/git/trees/",
        1,
        Reply::json(200, serde_json::json!({"tree": [], "truncated": true})),
    );
    assert!(
        matches!(git.list_files(&r, &base, "").await, Err(GitError::Invalid(m)) if m.contains("truncated"))
    );
    assert_eq!(gh.calls().len(), 9, "one request each: {:?}", gh.calls());
    assert_eq!(
        gh.file_on("acme", "deploy", "main", "apps/orders/values.yaml")
            .as_deref(),
        Some(VALUES)
    );
}

#[tokio::test]
async fn server_errors_and_short_rate_limits_are_retried() {
    let gh = FakeGitHub::start().await;
    seed(&gh);
    let git = token_client(&gh).await;
    let r = acme();
    gh.fail(
        "GET",
        "/repos/acme/deploy",
        2,
        Reply::error(500, "Server Error"),
    );
    assert_eq!(git.default_branch(&r).await.unwrap(), "main");
    assert_eq!(gh.calls().len(), 3);

    gh.clear_requests();
    let limited = Reply::error(403, "API rate limit exceeded for installation.")
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", &(now() + 1).to_string());
    gh.fail("GET", "/repos/acme/deploy/contents/", 1, limited);
    let started = Instant::now();
    assert_eq!(
        git.file(&r, "main", "README.md").await.unwrap().text,
        "# deploy\n"
    );
    assert_eq!(gh.calls().len(), 2);
    assert!(started.elapsed() < Duration::from_secs(4));

    gh.clear_requests();
    let secondary =
        Reply::error(403, "You have exceeded a secondary rate limit.").header("retry-after", "1");
    gh.fail("POST", "/repos/acme/deploy/issues", 1, secondary);
    git.create_issue(&r, "t", "b", &[]).await.unwrap();
    assert_eq!(gh.calls().len(), 2);

    // A reset an hour away is not waited for; 5xx forever stops after `attempts`.
    gh.clear_requests();
    let hour = Reply::error(403, "API rate limit exceeded")
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", &(now() + 3600).to_string());
    gh.fail("GET", "/repos/acme/deploy", 1, hour);
    let started = Instant::now();
    assert!(
        matches!(git.default_branch(&r).await, Err(GitError::Forbidden(m)) if m.contains("rate limit"))
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    gh.fail(
        "GET",
        "/repos/acme/deploy",
        9,
        Reply::error(502, "Bad Gateway"),
    );
    assert!(matches!(
        git.default_branch(&r).await,
        Err(GitError::Api { status: 502, .. })
    ));
    assert_eq!(gh.calls().len(), 1 + 3);
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error_after_the_tries() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let dir = tempfile::tempdir().unwrap();
    let cfg = GitHubConfig {
        api_url: Some(format!("http://{addr}")),
        token_file: Some(write(&dir, "t", TOKEN)),
        attempts: 2,
        ..Default::default()
    };
    let git = GitHub::connect(&cfg).await.unwrap();
    match git.default_branch(&acme()).await {
        Err(GitError::Transport(m)) => assert!(!m.contains(TOKEN), "{m}"),
        other => panic!("{other:?}"),
    }
}
