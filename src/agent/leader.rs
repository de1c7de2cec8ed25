//! Leader election on a `coordination.k8s.io/v1` Lease, so that of several replicas exactly
//! one acts. The holder renews well inside the lease duration; anyone may take an expired
//! lease; every write carries the resourceVersion it read, so two candidates can never both
//! win (the loser gets 409 Conflict).

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, ObjectMeta, PostParams};
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct LeaseConfig {
    pub namespace: String,
    pub name: String,
    pub identity: String,
    pub duration: Duration,
}

/// Outcome of one attempt to hold the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Leading,
    Following,
}

pub struct LeaderElector {
    api: Api<Lease>,
    cfg: LeaseConfig,
}

impl LeaderElector {
    pub fn new(client: kube::Client, cfg: LeaseConfig) -> Self {
        LeaderElector {
            api: Api::namespaced(client, &cfg.namespace),
            cfg,
        }
    }

    /// Runs until `shutdown` fires, publishing leadership on the returned channel. On
    /// shutdown a held lease is released so the other replica takes over at once.
    pub fn spawn(
        self,
        mut shutdown: watch::Receiver<bool>,
    ) -> (watch::Receiver<bool>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = watch::channel(false);
        let handle = tokio::spawn(async move {
            let mut last_renewal = std::time::Instant::now();
            loop {
                let leading = match self.try_acquire_or_renew().await {
                    Ok(Attempt::Leading) => {
                        last_renewal = std::time::Instant::now();
                        true
                    }
                    Ok(Attempt::Following) => false,
                    Err(e) => {
                        tracing::warn!(error = %e, lease = %self.cfg.name, "lease update failed");
                        // Keep leading only while the lease we hold cannot have expired.
                        *tx.borrow() && last_renewal.elapsed() < self.cfg.duration * 2 / 3
                    }
                };
                if *tx.borrow() != leading {
                    tracing::info!(identity = %self.cfg.identity, leading, "leadership changed");
                    let _ = tx.send(leading);
                }
                let pause = if leading {
                    self.cfg.duration / 3
                } else {
                    self.cfg.duration / 5
                };
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => break,
                }
                if *shutdown.borrow() {
                    break;
                }
            }
            if *tx.borrow() {
                let _ = tx.send(false);
                if let Err(e) = self.release().await {
                    tracing::warn!(error = %e, "could not release the lease");
                }
            }
        });
        (rx, handle)
    }

    pub async fn try_acquire_or_renew(&self) -> Result<Attempt, kube::Error> {
        let now = Timestamp::now();
        let secs = self.cfg.duration.as_secs().max(1) as i32;
        let Some(mut lease) = self.api.get_opt(&self.cfg.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.cfg.name.clone()),
                    namespace: Some(self.cfg.namespace.clone()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.cfg.identity.clone()),
                    lease_duration_seconds: Some(secs),
                    acquire_time: Some(MicroTime(now)),
                    renew_time: Some(MicroTime(now)),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(Attempt::Leading),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(Attempt::Following),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.get_or_insert_with(Default::default);
        let ours = spec.holder_identity.as_deref() == Some(self.cfg.identity.as_str());
        if !ours && !expired(spec, now) {
            return Ok(Attempt::Following);
        }
        if !ours {
            spec.holder_identity = Some(self.cfg.identity.clone());
            spec.acquire_time = Some(MicroTime(now));
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        spec.renew_time = Some(MicroTime(now));
        spec.lease_duration_seconds = Some(secs);
        // replace() sends the resourceVersion we read: a concurrent taker makes this a 409.
        match self
            .api
            .replace(&self.cfg.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(Attempt::Leading),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(Attempt::Following),
            Err(e) => Err(e),
        }
    }

    async fn release(&self) -> Result<(), kube::Error> {
        let Some(mut lease) = self.api.get_opt(&self.cfg.name).await? else {
            return Ok(());
        };
        let spec = lease.spec.get_or_insert_with(Default::default);
        if spec.holder_identity.as_deref() != Some(self.cfg.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.renew_time = Some(MicroTime(
            Timestamp::now() - SignedDuration::from_secs(3600),
        ));
        self.api
            .replace(&self.cfg.name, &PostParams::default(), &lease)
            .await
            .map(|_| ())
    }
}

/// A lease with no holder, or one not renewed within its duration, is free to take.
fn expired(spec: &LeaseSpec, now: Timestamp) -> bool {
    if spec.holder_identity.as_deref().is_none_or(str::is_empty) {
        return true;
    }
    let Some(MicroTime(renewed)) = spec.renew_time else {
        return true;
    };
    let duration = SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(15)));
    renewed + duration < now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry() {
        let now = Timestamp::now();
        let spec = |holder: Option<&str>, ago: i64| LeaseSpec {
            holder_identity: holder.map(str::to_owned),
            renew_time: Some(MicroTime(now - SignedDuration::from_secs(ago))),
            lease_duration_seconds: Some(15),
            ..Default::default()
        };
        assert!(!expired(&spec(Some("a"), 5), now));
        assert!(expired(&spec(Some("a"), 16), now));
        assert!(expired(&spec(None, 1), now));
        assert!(expired(&spec(Some(""), 1), now));
    }
}
