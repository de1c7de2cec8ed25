//! Probe fixes: scalar lines, whole blocks, added and removed probes.

use super::tests::{KUBECTL, MANIFEST, assert_edit, file, run};
use super::*;
use crate::diagnosis::Action;
use serde_json::{Value as Json, json};

fn probe(name: &str, stable: Option<Json>, canary: Option<Json>) -> Action {
    Action::FixProbe {
        container: "app".into(),
        probe: name.into(),
        stable,
        canary,
    }
}

/// A probe as a ReplicaSet template has it: API-server defaults filled in.
fn served(path: &str, failure: i64) -> Json {
    json!({"failureThreshold": failure, "httpGet": {"path": path, "port": "http", "scheme": "HTTP"},
           "periodSeconds": 5, "successThreshold": 1, "timeoutSeconds": 1})
}

const STARTUP: &str = "          startupProbe:
            httpGet:
              path: /health/ready
              port: http
            periodSeconds: 5
";

#[test]
fn probe_fixes() {
    let readiness = "          readinessProbe:\n";
    let with_startup = MANIFEST.replace(readiness, &format!("{STARTUP}{readiness}"));
    let explicit = with_startup.replace("            periodSeconds: 5\n          readinessProbe", "            periodSeconds: 5\n            failureThreshold: 3 # default\n          readinessProbe");
    let tcp = MANIFEST.replace(
        "          readinessProbe:\n            httpGet:\n              path: /health/ready\n              port: http\n",
        "          readinessProbe:   # TCP until /healthz lands\n            tcpSocket:\n              port: 8080\n",
    );
    let tcp_canary = json!({"tcpSocket": {"port": 8080}, "periodSeconds": 5, "timeoutSeconds": 1});
    // (action, text, old, new, field suffix)
    let cases = [
        (
            probe(
                "readinessProbe",
                Some(served("/healthz", 3)),
                Some(served("/health/ready", 3)),
            ),
            MANIFEST.to_owned(),
            "path: /health/ready",
            "path: /healthz",
            "readinessProbe.httpGet.path",
        ),
        (
            probe(
                "startupProbe",
                Some(served("/health/ready", 30)),
                Some(served("/health/ready", 3)),
            ),
            with_startup.clone(),
            "            periodSeconds: 5\n          readinessProbe",
            "            periodSeconds: 5\n            failureThreshold: 30\n          readinessProbe",
            "startupProbe.failureThreshold",
        ),
        (
            probe(
                "startupProbe",
                Some(served("/health/ready", 30)),
                Some(served("/health/ready", 3)),
            ),
            explicit,
            "failureThreshold: 3 # default",
            "failureThreshold: 30 # default",
            "startupProbe.failureThreshold",
        ),
        (
            probe(
                "readinessProbe",
                Some(served("/healthz", 3)),
                Some(tcp_canary),
            ),
            tcp,
            "            tcpSocket:\n              port: 8080\n",
            "            httpGet:\n              path: /healthz\n              port: http\n",
            "readinessProbe",
        ),
    ];
    for (action, text, old, new, field) in cases {
        let fix = run(&action, &[file("rollout.yaml", &text)]).unwrap();
        assert_edit(&fix, old, new);
        assert_eq!(
            fix.field,
            format!("spec.template.spec.containers[app].{field}")
        );
    }
}

#[test]
fn probe_added_or_removed() {
    let fix = run(
        &probe("readinessProbe", Some(served("/healthz", 3)), None),
        &[file("r.yaml", KUBECTL)],
    )
    .unwrap();
    let added = "            memory: 1Gi\n        readinessProbe:\n          httpGet:\n            path: /healthz\n            port: http\n          periodSeconds: 5\n";
    assert_edit(&fix, "            memory: 1Gi\n", added);

    let canary = json!({"httpGet": {"path": "/health/ready", "port": "http"}, "periodSeconds": 5});
    let fix = run(
        &probe("readinessProbe", None, Some(canary)),
        &[file("r.yaml", MANIFEST)],
    )
    .unwrap();
    let block = "          readinessProbe:\n            httpGet:\n              path: /health/ready\n              port: http\n            periodSeconds: 5\n";
    assert_edit(&fix, block, "");
}

#[test]
fn probe_refusals() {
    let files = [file("rollout.yaml", MANIFEST)];
    match run(
        &probe(
            "readinessProbe",
            Some(served("/healthz", 3)),
            Some(served("/ready", 3)),
        ),
        &files,
    ) {
        Err(FixError::NotFound { what }) => assert!(what.contains("unlike the canary's"), "{what}"),
        other => panic!("{other:?}"),
    }
    let same = probe(
        "readinessProbe",
        Some(served("/a", 3)),
        Some(served("/a", 3)),
    );
    assert!(matches!(
        run(&same, &files),
        Err(FixError::NotFixable { .. })
    ));
    let odd = probe("ports", Some(json!([])), Some(json!([1])));
    assert!(matches!(
        run(&odd, &files),
        Err(FixError::NotFixable { .. })
    ));
    let redacted = probe(
        "readinessProbe",
        Some(json!({"exec": {"command": ["check", "<redacted:token:0a1b2c3d>"]}})),
        Some(served("/health/ready", 3)),
    );
    assert!(matches!(
        run(&redacted, &files),
        Err(FixError::Unsafe { .. })
    ));
}
