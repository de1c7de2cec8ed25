//! `rollout-doctor fix`: the fix a pull request would carry, computed offline from a
//! snapshot and a local checkout of the GitOps repository. Prints the patch; changes the
//! checkout only with `--write`.

use super::diagnose::SnapshotArgs;
use crate::fix::{self, FixLimits, FixTarget, RepoFile};
use crate::repair::fixable;
use anyhow::Context as _;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    /// Local checkout of the repository that defines the Rollout.
    #[arg(long, value_name = "DIR")]
    pub repo: PathBuf,
    /// Directory inside the checkout to search (the Argo CD Application's `path`).
    #[arg(long, default_value = "")]
    pub path: String,
    /// Apply the change to the checkout instead of only printing it.
    #[arg(long)]
    pub write: bool,
    /// Highest memory limit a fix may set.
    #[arg(long, default_value_t = FixLimits::default().memory_cap)]
    pub memory_cap: String,
    #[arg(long, default_value_t = FixLimits::default().max_diff_lines)]
    pub max_diff_lines: usize,
    /// A Helm value file of the release, relative to the checkout; repeat it in precedence
    /// order, lowest first (the chart's values.yaml, then the Application's valueFiles).
    /// Read even when outside --path.
    #[arg(long = "helm-values", value_name = "PATH")]
    pub helm_values: Vec<String>,
}

/// Files larger than this are not manifests anyone edits by hand.
const MAX_FILE_BYTES: u64 = 1 << 20;
const MAX_FILES: usize = 2_000;

/// Exit 0 with a patch; 3 when the diagnosis has no fix or the repository has no place for it.
pub fn run(args: FixArgs) -> anyhow::Result<ExitCode> {
    let d = crate::pipeline::diagnose_snapshot(&args.snapshot.snapshot, &args.snapshot.options())?;
    eprintln!(
        "diagnosis: {} ({:.2}) — {}",
        d.category, d.confidence, d.summary
    );
    if !fixable(d.category, &d.remediation.action) {
        eprintln!(
            "no fix: {} ({}) has no mechanical fix",
            d.category,
            d.remediation.action.name()
        );
        return Ok(ExitCode::from(3));
    }
    let root = args
        .repo
        .join(crate::repair::source::clean_path(&args.path));
    let mut files = read_tree(&args.repo, &root)?;
    // Value files may live outside the chart's directory (an environments folder).
    for f in &args.helm_values {
        let rel = crate::repair::source::clean_path(f);
        if files.iter().any(|r| r.path == rel) {
            continue;
        }
        let text = std::fs::read_to_string(args.repo.join(&rel)).with_context(|| format!("cannot read --helm-values {rel}"))?;
        files.push(RepoFile { path: rel, text });
    }
    let limits = FixLimits {
        memory_cap: args.memory_cap,
        max_diff_lines: args.max_diff_lines,
        ..FixLimits::default()
    };
    let target = FixTarget {
        rollout: d.rollout.name.clone(),
        namespace: Some(d.rollout.namespace.clone()),
        helm_values: args.helm_values.clone(),
    };
    match fix::plan(&d.remediation.action, &target, &files, &limits) {
        Ok(f) => {
            print!("{}", f.diff);
            eprintln!("{} — {} in {}", f.summary, f.field, f.path);
            if args.write {
                std::fs::write(args.repo.join(&f.path), &f.after)
                    .with_context(|| format!("cannot write {}", f.path))?;
                eprintln!("wrote {}", f.path);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("no fix: {e}");
            Ok(ExitCode::from(3))
        }
    }
}

/// Candidate files under `dir`, with paths relative to the repository root as on GitHub.
fn read_tree(repo: &Path, dir: &Path) -> anyhow::Result<Vec<RepoFile>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(path);
                }
                continue;
            }
            let Ok(rel) = path.strip_prefix(repo) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let small = entry
                .metadata()
                .map(|m| m.len() <= MAX_FILE_BYTES)
                .unwrap_or(false);
            if !kind.is_file() || !small || !fix::is_candidate(&rel) {
                continue;
            }
            // Not UTF-8 is not a manifest.
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push(RepoFile { path: rel, text });
            }
            if out.len() >= MAX_FILES {
                anyhow::bail!(
                    "more than {MAX_FILES} manifest files under {}; narrow it with --path",
                    dir.display()
                );
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
