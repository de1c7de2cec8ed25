//! Tolerant, read-only views of the Kubernetes and Argo Rollouts objects a diagnosis reads.
//! They decode from `kubectl get -o yaml` output and from live API JSON alike.

pub mod analysis;
pub mod lenient;
pub mod meta;
pub mod phase;
pub mod pod_template;
pub mod rollout;
pub mod workload;

pub use analysis::{AnalysisRun, AnalysisTemplate};
pub use meta::{Condition, ObjectMeta};
pub use phase::{Phase, PhaseReport, rollout_phase};
pub use pod_template::{Container, PodTemplateSpec};
pub use rollout::{Rollout, StrategyKind};
pub use workload::{Event, Pod, ReplicaSet};
