//! `rollout-doctor diagnose` and `rollout-doctor evidence`: the offline pipeline on a snapshot.

use crate::analysis::rules;
use crate::diagnosis::render;
use crate::evidence::budget;
use crate::llm::{LlmClassifier, LlmConfig, LlmMode, StructuredMode};
use crate::pipeline::{DiagnoseOptions, run_snapshot, run_snapshot_all};
use crate::redact::Redactor;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Output {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Snapshot directory: objects.yaml plus logs/<pod>/<container>[.previous].log
    pub snapshot: PathBuf,
    /// Rollout to diagnose when the snapshot holds several (`name` or `namespace/name`).
    #[arg(long)]
    pub rollout: Option<String>,
    /// Evidence budget in tokens (rendered evidence, LLM prompts).
    #[arg(long, default_value_t = 4000, env = "ROLLOUT_DOCTOR_EVIDENCE_BUDGET")]
    pub budget: usize,
}

impl SnapshotArgs {
    pub(super) fn options(&self) -> DiagnoseOptions {
        let mut opts = DiagnoseOptions {
            rollout: self.rollout.clone(),
            ..Default::default()
        };
        opts.evidence.token_budget = self.budget;
        opts
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LlmModeArg {
    /// Rules only; nothing leaves the machine.
    Off,
    /// Ask the LLM only when the rules are not confident.
    Auto,
    /// Ask the LLM every time, as a second opinion.
    Always,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StructuredArg {
    /// `json_schema`, falling back to JSON mode when the server rejects it.
    Auto,
    JsonSchema,
    JsonObject,
}

/// The LLM: any OpenAI-compatible API. The key comes from `--llm-api-key-file`, else
/// `ROLLOUT_DOCTOR_LLM_API_KEY`, else `OPENAI_API_KEY`; it is never printed.
#[derive(Debug, Args)]
pub struct LlmArgs {
    /// When to consult an LLM.
    #[arg(
        long = "llm",
        value_enum,
        default_value = "off",
        env = "ROLLOUT_DOCTOR_LLM"
    )]
    pub mode: LlmModeArg,
    /// OpenAI-compatible base URL, including `/v1` (Ollama: http://localhost:11434/v1;
    /// Azure: https://RESOURCE.openai.azure.com/openai/v1, or the resource URL with
    /// `--llm-api-version`).
    #[arg(
        long,
        env = "ROLLOUT_DOCTOR_LLM_BASE_URL",
        default_value = "https://api.openai.com/v1"
    )]
    pub llm_base_url: String,
    /// Model name (the deployment name with `--llm-api-version`).
    #[arg(long, env = "ROLLOUT_DOCTOR_LLM_MODEL", default_value = "gpt-4o-mini")]
    pub llm_model: String,
    /// File holding the API key (a mounted Secret).
    #[arg(long, env = "ROLLOUT_DOCTOR_LLM_API_KEY_FILE")]
    pub llm_api_key_file: Option<PathBuf>,
    /// Azure OpenAI deployments API version (uses the `api-key` header and
    /// `/openai/deployments/<model>`).
    #[arg(long, env = "ROLLOUT_DOCTOR_LLM_API_VERSION")]
    pub llm_api_version: Option<String>,
    /// The model's context window in tokens; the prompt is fitted to it.
    #[arg(
        long,
        env = "ROLLOUT_DOCTOR_LLM_CONTEXT_WINDOW",
        default_value_t = 8192
    )]
    pub llm_context_window: usize,
    /// Tokens reserved for the answer.
    #[arg(long, default_value_t = 800)]
    pub llm_max_output_tokens: usize,
    /// Per-call timeout: `20s`, `1500ms`, `2m` or seconds.
    #[arg(long, env = "ROLLOUT_DOCTOR_LLM_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub llm_timeout: Duration,
    /// How the answer's JSON shape is requested.
    #[arg(long, value_enum, default_value = "auto")]
    pub llm_structured: StructuredArg,
    /// Directory overriding the embedded prompts (`system.md`, `user.md`).
    #[arg(long, env = "ROLLOUT_DOCTOR_PROMPTS_DIR")]
    pub prompts_dir: Option<PathBuf>,
}

impl LlmArgs {
    pub fn config(&self) -> LlmConfig {
        LlmConfig {
            mode: match self.mode {
                LlmModeArg::Off => LlmMode::Off,
                LlmModeArg::Auto => LlmMode::Auto,
                LlmModeArg::Always => LlmMode::Always,
            },
            base_url: self.llm_base_url.clone(),
            model: self.llm_model.clone(),
            api_key_file: self.llm_api_key_file.clone(),
            api_version: self.llm_api_version.clone(),
            context_window: self.llm_context_window,
            max_output_tokens: self.llm_max_output_tokens,
            timeout: self.llm_timeout,
            structured: match self.llm_structured {
                StructuredArg::Auto => StructuredMode::Auto,
                StructuredArg::JsonSchema => StructuredMode::JsonSchema,
                StructuredArg::JsonObject => StructuredMode::JsonObject,
            },
            prompts_dir: self.prompts_dir.clone(),
            ..LlmConfig::default()
        }
    }
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a duration: {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit in {s:?} (ms, s, m)")),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 3600.0 {
        return Err(format!("duration out of range: {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `all`: every Rollout in the snapshot; JSON output is then an array.
pub async fn diagnose(
    args: SnapshotArgs,
    output: Output,
    all: bool,
    llm: LlmArgs,
) -> anyhow::Result<ExitCode> {
    let redactor = Redactor::default();
    // Built before any work so that a bad key file or prompt directory fails fast.
    let classifier = LlmClassifier::new(llm.config(), redactor.clone())?;
    let reports = if all {
        run_snapshot_all(&args.snapshot, &args.options(), &redactor)?
    } else {
        vec![run_snapshot(&args.snapshot, &args.options(), &redactor)?]
    };
    if let Some(first) = reports.first() {
        for w in &first.warnings {
            eprintln!("warning: {}", crate::text::visible_line(w));
        }
    }
    let mut diagnoses = Vec::with_capacity(reports.len());
    for r in reports {
        let d = match classifier.config().mode {
            LlmMode::Off => r.diagnosis,
            _ => {
                classifier
                    .decide(&r.evidence, rules::classify(&r.evidence))
                    .await
            }
        };
        diagnoses.push(d);
    }
    match output {
        Output::Json if all => println!("{}", serde_json::to_string_pretty(&diagnoses)?),
        Output::Json => println!("{}", serde_json::to_string_pretty(&diagnoses[0])?),
        Output::Text => print!(
            "{}",
            diagnoses
                .iter()
                .map(render::text)
                .collect::<Vec<_>>()
                .join("\n")
        ),
        Output::Markdown => print!(
            "{}",
            diagnoses
                .iter()
                .map(render::markdown)
                .collect::<Vec<_>>()
                .join("\n---\n\n")
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the evidence as it would be handed to an LLM or a sink: within the budget, with
/// what was cut counted.
pub fn evidence(args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    let opts = args.options();
    let report = run_snapshot(&args.snapshot, &opts, &Redactor::default())?;
    for w in &report.warnings {
        eprintln!("warning: {}", crate::text::visible_line(w));
    }
    let keep: Vec<String> = report
        .diagnosis
        .evidence
        .iter()
        .map(|e| e.id.clone())
        .collect();
    let fitted = budget::fit(report.evidence, opts.evidence.token_budget, &keep);
    println!("{}", serde_json::to_string_pretty(&fitted)?);
    Ok(ExitCode::SUCCESS)
}
