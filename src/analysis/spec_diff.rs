//! Structured stable-vs-canary pod template diff. OWNED BY THE SPEC-DIFF WORK.

use crate::evidence::SpecDiff;
use crate::model::PodTemplateSpec;
use crate::redact::Redactor;

pub fn diff_templates(
    stable: Option<&PodTemplateSpec>,
    canary: Option<&PodTemplateSpec>,
    _redactor: &Redactor,
) -> SpecDiff {
    SpecDiff {
        compared: stable.is_some() && canary.is_some(),
        note: None,
        changes: Vec::new(),
    }
}
