//! Process-wide tracing subscriber: text for people, JSON for log pipelines.

use tracing_subscriber::EnvFilter;

pub use crate::agent::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG` wins over `default_filter` (which itself falls
/// back to "info" when empty or malformed). Safe to call more than once: later calls, and
/// calls after a test harness installed its own subscriber, are no-ops.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| fallback(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // stdout is for command output (diagnoses, evidence JSON); logs must not mix into it.
        .with_writer(std::io::stderr);
    // Already initialised is the expected case on a second call; nothing else can fail here.
    let _already_set = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}

fn fallback(default_filter: &str) -> EnvFilter {
    let filter = if default_filter.trim().is_empty() {
        "info"
    } else {
        default_filter
    };
    EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_twice_is_harmless() {
        init(LogFormat::Json, "debug");
        init(LogFormat::Text, "not a [valid filter");
        tracing::info!("still logging");
    }

    #[test]
    fn bad_default_filter_falls_back_to_info() {
        assert_eq!(fallback("[[").to_string(), "info");
        assert_eq!(fallback("").to_string(), "info");
        assert_eq!(
            fallback("rollout_doctor=debug").to_string(),
            "rollout_doctor=debug"
        );
    }
}
