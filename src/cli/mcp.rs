//! `rollout-doctor mcp`: serves the MCP tools over stdio (the default) or streamable HTTP.

use crate::mcp::{Doctor, Source, verdict_service};
use anyhow::Context;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct McpArgs {
    /// Read a snapshot directory instead of the cluster (kubeconfig or in-cluster).
    #[arg(long, value_name = "DIR")]
    pub snapshot: Option<PathBuf>,
    /// Serve streamable HTTP at /mcp on this address instead of stdio.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// File holding the bearer token HTTP clients must send (required off loopback).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Host header values accepted over HTTP besides loopback (DNS-rebinding guard).
    #[arg(long, value_name = "HOST")]
    pub allowed_host: Vec<String>,
    /// Prometheus for the canary_verdict tool.
    #[arg(long, env = "ROLLOUT_DOCTOR_PROMETHEUS_URL")]
    pub prometheus_url: Option<String>,
}

fn token(args: &McpArgs) -> anyhow::Result<Option<String>> {
    let from_file = match &args.token_file {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
        }
        None => std::env::var("ROLLOUT_DOCTOR_MCP_TOKEN").ok(),
    };
    let t = from_file.map(|t| t.trim().to_owned());
    anyhow::ensure!(t.as_deref() != Some(""), "the MCP token is empty");
    Ok(t)
}

pub async fn run(args: McpArgs) -> anyhow::Result<ExitCode> {
    let (source, kube) = match &args.snapshot {
        Some(dir) => (Source::Snapshot(dir.clone()), None),
        None => {
            let client = kube::Client::try_default()
                .await
                .context("connecting to the cluster (or give --snapshot DIR)")?;
            (Source::Cluster(client.clone()), Some(client))
        }
    };
    let doctor = Doctor::new(
        source,
        verdict_service(args.prometheus_url.as_deref(), kube)?,
    );
    match args.http {
        None => {
            let running = doctor
                .serve(rmcp::transport::stdio())
                .await
                .context("starting the MCP server on stdio")?;
            running.waiting().await.context("serving MCP on stdio")?;
        }
        Some(addr) => serve_http(addr, doctor, token(&args)?, &args.allowed_host).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve_http(
    addr: SocketAddr,
    doctor: Doctor,
    token: Option<String>,
    hosts: &[String],
) -> anyhow::Result<()> {
    anyhow::ensure!(
        token.is_some() || addr.ip().is_loopback(),
        "serving MCP on {addr} (not loopback) needs a token: --token-file FILE or ROLLOUT_DOCTOR_MCP_TOKEN"
    );
    let mut allowed: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    allowed.extend(hosts.iter().cloned());
    let config = StreamableHttpServerConfig::default().with_allowed_hosts(allowed);
    let service: StreamableHttpService<Doctor, LocalSessionManager> =
        StreamableHttpService::new(move || Ok(doctor.clone()), Default::default(), config);
    let token = Arc::new(token);
    let app = axum::Router::new()
        .nest_service("/mcp", service)
        .layer(middleware::from_fn(move |req, next| {
            bearer(token.clone(), req, next)
        }));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!(addr = %listener.local_addr()?, "MCP server listening at /mcp");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

async fn bearer(token: Arc<Option<String>>, req: Request, next: Next) -> Response {
    if let Some(want) = token.as_deref() {
        let got = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !crate::verdict::service::token_matches(got, want) {
            return (StatusCode::UNAUTHORIZED, "missing or wrong bearer token").into_response();
        }
    }
    next.run(req).await
}
