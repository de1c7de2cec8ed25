//! `rollout-doctor serve`: the verdict endpoint for Argo Rollouts' web metric provider, on
//! its own. `rollout-doctor run --verdict-addr` serves the same endpoint beside the agent.

use crate::agent::config::LogFormat;
use crate::cli::diagnose::LlmArgs;
use crate::verdict::args::VerdictArgs;
use anyhow::Context as _;
use clap::Args;
use std::net::SocketAddr;
use std::process::ExitCode;

pub use crate::verdict::args::Undecided;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(
        long,
        env = "ROLLOUT_DOCTOR_VERDICT_ADDR",
        default_value = "0.0.0.0:8090"
    )]
    pub listen: SocketAddr,
    /// Do not talk to the Kubernetes API: no pod-health or log judges, hashes must be given.
    #[arg(long)]
    pub no_kube: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub verdict: VerdictArgs,
    /// With `--llm auto|always`, an LLM reviews each canary in the background and may
    /// downgrade (never upgrade) later verdicts of it.
    #[command(flatten)]
    pub llm: LlmArgs,
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    crate::telemetry::init(args.log_format, "info");
    // Checked before connecting anywhere: a bad token file or certificate fails at once.
    args.verdict.config()?;
    args.verdict.tls()?;
    let kube = if args.no_kube {
        None
    } else {
        Some(kube::Client::try_default().await.context(
            "cannot reach the Kubernetes API (in-cluster config or KUBECONFIG); or pass --no-kube",
        )?)
    };
    let mut stop = crate::agent::app::shutdown_on_signals();
    let endpoint = args
        .verdict
        .start(args.listen, kube, &args.llm.config(), async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await?;
    endpoint
        .task
        .await
        .context("the verdict endpoint task failed")?
        .with_context(|| format!("serving on {}", endpoint.addr))?;
    Ok(ExitCode::SUCCESS)
}
