//! Against a real cluster; ignored by default because none runs here.
//!
//! To run: a cluster with Argo Rollouts installed, `kubectl apply -f deploy/crd.yaml`, a
//! Rollout that has failed (for example apply a canary whose image tag does not exist and
//! wait for the progress deadline), then
//!
//! ```sh
//! ROLLOUT_DOCTOR_IT_ROLLOUT=<namespace>/<name> cargo test --release --test real_cluster -- --ignored
//! ```
//!
//! It collects a support bundle with the same code `rollout-doctor collect` uses, diagnoses
//! it offline, and checks the live agent records the same category.

use rollout_doctor::agent::collect::{CollectConfig, Collector};
use rollout_doctor::agent::incident;
use rollout_doctor::agent::record::RolloutDiagnosis;
use rollout_doctor::agent::recorder::Recorder;
use rollout_doctor::pipeline::{DiagnoseOptions, diagnose, diagnose_snapshot};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a real cluster with Argo Rollouts and a failed Rollout; see the module docs"]
async fn collect_diagnose_and_record_on_a_real_cluster() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let target = std::env::var("ROLLOUT_DOCTOR_IT_ROLLOUT")
        .expect("set ROLLOUT_DOCTOR_IT_ROLLOUT=<ns>/<name>");
    let (ns, name) = target.split_once('/').expect("<ns>/<name>");
    let client = kube::Client::try_default().await.expect("kubeconfig");
    let collector = Collector::new(client.clone(), CollectConfig::default(), Default::default());
    let c = collector.collect(ns, name).await.expect("collect");
    let key = incident::from_rollout(&c.rollout)
        .expect("the Rollout must be aborted or degraded")
        .key;

    let dir = tempfile::tempdir().unwrap();
    let logs = c
        .logs
        .logs
        .iter()
        .map(|((p, ct, prev), b)| (p.as_str(), ct.as_str(), *prev, b.as_slice()));
    rollout_doctor::source::write_snapshot(dir.path(), &c.raw, logs).unwrap();
    let offline = diagnose_snapshot(
        dir.path(),
        &DiagnoseOptions {
            rollout: Some(target.clone()),
            ..Default::default()
        },
    )
    .unwrap();

    let evidence = rollout_doctor::evidence::build_evidence(
        &c.rollout,
        &c.objects,
        &c.logs,
        &Default::default(),
        &Default::default(),
    );
    let live = diagnose(&evidence);
    assert_eq!(offline.category, live.category);

    let (_, record) = Recorder::new(client.clone())
        .create(&key, &live)
        .await
        .expect("record (is deploy/crd.yaml applied?)");
    let api: kube::Api<RolloutDiagnosis> = kube::Api::namespaced(client, ns);
    let read = api
        .get(&record.metadata.name.clone().unwrap())
        .await
        .unwrap();
    assert_eq!(read.spec.category, live.category.to_string());
    eprintln!("{}: {} — {}", target, live.category, live.summary);
}
