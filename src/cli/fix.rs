//! `rollout-doctor fix`: the fix a pull request would carry, computed offline from a
//! snapshot and a local checkout of the GitOps repository. Prints the patch; changes the
//! checkout only with `--write`.

use super::diagnose::SnapshotArgs;
use crate::fix::{self, FixLimits, FixTarget, RepoFile};
use crate::repair::fixable;
use crate::source::guard::{self, Refused, Root, lexical_inside};
use crate::text::{visible, visible_line};
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
        d.category,
        d.confidence,
        visible_line(&d.summary)
    );
    if !fixable(d.category, &d.remediation.action) {
        eprintln!(
            "no fix: {} ({}) has no mechanical fix",
            d.category,
            d.remediation.action.name()
        );
        return Ok(ExitCode::from(3));
    }
    // Every path is confined to the checkout: by name first (`..`), then through its links.
    let repo = Root::new(&args.repo, "the repository")
        .with_context(|| format!("cannot read --repo {}", args.repo.display()))?;
    let inside = |flag: &str, p: &str| {
        lexical_inside(p).with_context(|| format!("{flag} {p} is outside the repository"))
    };
    let search = inside("--path", &args.path)?;
    let dir = repo.resolve(Path::new(&search), &format!("--path {}", args.path))?;
    let mut files = read_tree(&repo, &dir)?;
    // Value files may live outside the chart's directory (an environments folder).
    let mut helm_values = Vec::new();
    for f in &args.helm_values {
        let rel = inside("--helm-values", f)?;
        helm_values.push(rel.clone());
        if files.iter().any(|r| r.path == rel) {
            continue;
        }
        let file = repo.resolve_file(Path::new(&rel), &format!("--helm-values {f}"))?;
        let text = read_text(&file, &rel)?.with_context(|| {
            format!("--helm-values {rel} is larger than {MAX_FILE_BYTES} bytes or not UTF-8")
        })?;
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
        helm_values,
    };
    match fix::plan(&d.remediation.action, &target, &files, &limits) {
        Ok(f) => {
            // The diff quotes the checkout's files: shown, never executed by the terminal.
            print!("{}", visible(&f.diff));
            eprintln!(
                "{} — {} in {}",
                visible_line(&f.summary),
                visible_line(&f.field),
                visible_line(&f.path)
            );
            if args.write {
                // Resolved again: what is written is the file that was read, inside the checkout.
                let target = repo.resolve_file(Path::new(&f.path), &f.path)?;
                std::fs::write(&target, &f.after)
                    .with_context(|| format!("cannot write {}", f.path))?;
                eprintln!("wrote {}", visible_line(&f.path));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("no fix: {}", visible_line(&e.to_string()));
            Ok(ExitCode::from(3))
        }
    }
}

/// Candidate files under `dir` (resolved, inside the checkout), with paths relative to the
/// repository root as on GitHub. Links are followed while they stay inside the checkout;
/// one leading out is skipped with a note on stderr.
fn read_tree(repo: &Root, dir: &Path) -> anyhow::Result<Vec<RepoFile>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(d) = stack.pop() {
        // A link back up the tree would otherwise be walked forever.
        if !seen.insert(d.clone()) {
            continue;
        }
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?;
        for entry in entries.flatten() {
            let Some(rel) = repo
                .relative(&entry.path())
                .map(|r| r.to_string_lossy().replace('\\', "/"))
            else {
                continue;
            };
            let Ok(mut kind) = entry.file_type() else {
                continue;
            };
            let mut path = entry.path();
            if kind.is_symlink() {
                match repo.resolve(Path::new(&rel), &rel) {
                    Ok(target) => match std::fs::metadata(&target) {
                        Ok(m) => (path, kind) = (target, m.file_type()),
                        Err(_) => continue,
                    },
                    Err(e) => {
                        eprintln!("note: skipped {}", visible_line(&e.to_string()));
                        continue;
                    }
                }
            }
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(path);
                }
                continue;
            }
            if !kind.is_file() || !fix::is_candidate(&rel) {
                continue;
            }
            // Too large or not UTF-8 is not a manifest anyone edits by hand.
            match read_text(&path, &rel) {
                Ok(Some(text)) => out.push(RepoFile { path: rel, text }),
                Ok(None) => {}
                Err(e) => eprintln!("note: skipped {}", visible_line(&e.to_string())),
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

/// The text of a resolved file, `None` when it is over [`MAX_FILE_BYTES`] or not UTF-8.
fn read_text(path: &Path, rel: &str) -> Result<Option<String>, Refused> {
    match guard::read_bounded(path, rel, MAX_FILE_BYTES) {
        Ok(bytes) => Ok(String::from_utf8(bytes).ok()),
        Err(Refused::TooLarge { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
