//! The verdict endpoint over native TLS, started the way both commands start it
//! (`VerdictArgs::start`), with a self-signed certificate made at test time (rcgen on
//! aws-lc-rs, so no openssl is needed).

use super::*;
use rollout_doctor::llm::LlmConfig;
use rollout_doctor::verdict::args::VerdictArgs;
use std::path::{Path, PathBuf};

const HOST: &str = "verdict.test";

struct Identity {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    cert_pem: String,
}

fn identity() -> Identity {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(vec![HOST.to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let cert_pem = ck.cert.pem();
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    Identity {
        _dir: dir,
        cert,
        key,
        cert_pem,
    }
}

fn args(cert: &Path, key: &Path) -> VerdictArgs {
    VerdictArgs {
        tls_cert: Some(cert.to_owned()),
        tls_key: Some(key.to_owned()),
        insecure_no_auth: true,
        ..VerdictArgs::default()
    }
}

/// A client that trusts only `cert_pem` and sends `HOST` to `addr`.
fn client(addr: std::net::SocketAddr, cert_pem: Option<&str>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .resolve(HOST, addr)
        .timeout(Duration::from_secs(5));
    if let Some(pem) = cert_pem {
        b = b.tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()]);
    }
    b.build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_are_served_over_https_and_plain_http_is_refused() {
    let id = identity();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let endpoint = args(&id.cert, &id.key)
        .start(
            "127.0.0.1:0".parse().unwrap(),
            None,
            &LlmConfig::default(),
            async move {
                let _ = rx.await;
            },
        )
        .await
        .unwrap();
    assert!(endpoint.tls);
    let addr = endpoint.addr;
    let https = client(addr, Some(&id.cert_pem));
    let base = format!("https://{HOST}:{}", addr.port());
    assert_eq!(
        https
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let body = json!({"namespace": "shop", "rollout": "web", "canaryHash": "a", "stableHash": "b"});
    let resp = https
        .post(format!("{base}/v1/verdict"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["verdict"], "inconclusive", "{v}");

    // Plain HTTP on the same port gets no answer: the TLS handshake fails on it.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let r = plain.get(format!("http://{addr}/healthz")).send().await;
    assert!(
        r.as_ref().map_or(true, |r| !r.status().is_success()),
        "plain HTTP answered: {r:?}"
    );
    // A client that does not trust the certificate refuses the server.
    let untrusting = client(addr, None);
    assert!(
        untrusting
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err()
    );
    // The endpoint still serves after those failed handshakes, and stops on shutdown.
    assert!(
        https
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let _ = stop.send(());
    let stopped = tokio::time::timeout(Duration::from_secs(5), endpoint.task).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
}

#[tokio::test]
async fn a_certificate_that_does_not_load_is_a_clear_start_error() {
    let id = identity();
    let garbage = id.cert.with_file_name("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let missing = id.key.with_file_name("missing.key");
    let no_addr = "127.0.0.1:0".parse().unwrap();
    for (cert, key, want) in [
        (&garbage, &id.key, "no CERTIFICATE"),
        (&id.cert, &missing, "missing.key"),
        (&id.cert, &id.cert, "TLS key"),
    ] {
        let err = args(cert, key)
            .start(no_addr, None, &LlmConfig::default(), std::future::pending())
            .await
            .err();
        let msg = format!("{:#}", err.expect("must not start"));
        assert!(msg.contains(want), "{want:?} not in {msg:?}");
        assert!(!msg.contains("PRIVATE KEY"), "{msg}");
    }
    // Another key than the certificate's.
    let other = identity();
    let err = args(&id.cert, &other.key)
        .tls()
        .expect_err("mismatched key must not load");
    assert!(format!("{err:#}").contains("server identity"), "{err:#}");
}

#[test]
fn the_tls_flags_go_together_in_both_commands() {
    let parse = |argv: &[&str]| {
        <rollout_doctor::cli::Cli as clap::Parser>::try_parse_from(argv.iter().copied())
    };
    for cmd in [
        &["rollout-doctor", "serve"][..],
        &["rollout-doctor", "run", "--verdict-addr", "0.0.0.0:8443"],
    ] {
        let with = |extra: &[&'static str]| parse(&[cmd, extra].concat());
        assert!(
            with(&["--tls-cert", "c.pem"]).is_err(),
            "{cmd:?}: --tls-cert alone"
        );
        assert!(
            with(&["--tls-key", "k.pem"]).is_err(),
            "{cmd:?}: --tls-key alone"
        );
        assert!(
            with(&[
                "--tls-cert",
                "c.pem",
                "--tls-key",
                "k.pem",
                "--token-file",
                "t",
                "--pass-threshold",
                "90"
            ])
            .is_ok(),
            "{cmd:?}"
        );
    }
}

#[test]
fn the_tls_analysis_template_is_the_plain_one_over_verified_https() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
    let read = |f: &str| -> Value {
        serde_yaml_ng::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    let (plain, tls) = (
        read("analysistemplate-verdict.yaml"),
        read("analysistemplate-verdict-tls.yaml"),
    );
    let (pm, tm) = (&plain["spec"]["metrics"][0], &tls["spec"]["metrics"][0]);
    let (pw, tw) = (&pm["provider"]["web"], &tm["provider"]["web"]);
    assert_eq!(
        tw["url"],
        "https://rollout-doctor-verdict.rollout-doctor.svc:8443/v1/verdict"
    );
    assert_eq!(tw["insecure"], false, "the certificate must be verified");
    for k in ["method", "headers", "jsonPath", "body", "timeoutSeconds"] {
        assert_eq!(pw[k], tw[k], "{k}");
    }
    for k in [
        "successCondition",
        "failureCondition",
        "failureLimit",
        "inconclusiveLimit",
        "consecutiveErrorLimit",
    ] {
        assert_eq!(pm[k], tm[k], "{k}");
    }
    assert_eq!(plain["spec"]["args"], tls["spec"]["args"]);
    assert_ne!(plain["metadata"]["name"], tls["metadata"]["name"]);
}
