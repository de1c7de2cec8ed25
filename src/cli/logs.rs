//! `rollout-doctor logs templates|diff`.

use crate::analysis::logs::{
    Limits, LineReader, LogConfig, LogMiner, MinerConfig, StreamMeta, TemplateMiner, cut, mineable,
    stream_name,
};
use crate::evidence::{LogEvidence, Role};
use crate::redact::Redactor;
use crate::redact::pem::PemLines;
use crate::text::visible_line;
use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Mines templates from one log file.
    Templates {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
        /// Overrides one miner constant (evaluation only), e.g. `similarity=0.7`.
        #[arg(long, hide = true, value_name = "KEY=VALUE")]
        tune: Vec<String>,
    },
    /// Compares a stable and a canary log: what is new or more frequent in canary.
    Diff {
        #[arg(long)]
        stable: PathBuf,
        #[arg(long)]
        canary: PathBuf,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
        /// Findings shown in text output.
        #[arg(long, default_value_t = 20)]
        top: usize,
    },
}

pub fn run(cmd: LogsCommand) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match cmd {
        LogsCommand::Templates { file, output, tune } => {
            let mut cfg = MinerConfig::default();
            for t in &tune {
                cfg.set(t).map_err(anyhow::Error::msg)?;
            }
            templates(&file, output, cfg, &mut out)?
        }
        LogsCommand::Diff {
            stable,
            canary,
            output,
            top,
        } => {
            let ev = diff(&stable, &canary)?;
            match output {
                Output::Json => serde_json::to_writer_pretty(&mut out, &ev)?,
                Output::Text => write_diff_text(&ev, top, &mut out)?,
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct TemplateOut<'a> {
    id: u32,
    template: &'a str,
    count: u64,
}

#[derive(Serialize)]
struct TemplatesDoc<'a> {
    templates: Vec<TemplateOut<'a>>,
    lines: &'a [u32],
}

/// Every input line gets exactly one id; only the id vector grows with the input.
fn templates(
    path: &Path,
    output: Output,
    cfg: MinerConfig,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = LineReader::new(file, Limits::unbounded(LogConfig::default().max_line_bytes));
    let mut miner = TemplateMiner::with_config(cfg);
    let mut ids: Vec<u32> = Vec::new();
    let mut keys = PemLines::default();
    while let Some(line) = reader
        .next_line()
        .with_context(|| format!("cannot read {}", path.display()))?
    {
        // The same form the evidence mines (see LogMiner::add_stream).
        miner.feed(&mineable(line, &mut keys), &mut |_, m| ids.push(m.template));
    }
    miner.end_stream(&mut |_, m| ids.push(m.template));
    // Unbounded: never cut today, but if a bound is ever set the output must say so.
    if let Some(cut) = reader.stats().cut_note() {
        eprintln!("note: {}: {cut}", path.display());
    }
    // Renumber densely in order of first appearance, folding converged templates together.
    let canon = miner.drain_mut().canonical_ids();
    let mut dense: Vec<Option<u32>> = vec![None; canon.len()];
    let mut first_raw: Vec<u32> = Vec::new();
    let mut counts: Vec<u64> = Vec::new();
    for id in &mut ids {
        let c = canon.get(*id as usize).copied().unwrap_or(*id) as usize;
        if dense.len() <= c {
            dense.resize(c + 1, None);
        }
        let d = *dense[c].get_or_insert_with(|| {
            first_raw.push(c as u32);
            counts.push(0);
            (counts.len() - 1) as u32
        });
        counts[d as usize] += 1;
        *id = d;
    }
    // A template keeps any constant part of its lines: a token every line carries is redacted
    // like every other output.
    let redactor = Redactor::default();
    let names: Vec<String> = first_raw
        .iter()
        .map(|&raw| redactor.line(&miner.drain().template(raw)).into_owned())
        .collect();
    let templates: Vec<TemplateOut<'_>> = names
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, (t, &count))| TemplateOut {
            id: i as u32,
            template: t,
            count,
        })
        .collect();
    match output {
        Output::Json => {
            serde_json::to_writer(
                &mut *out,
                &TemplatesDoc {
                    templates,
                    lines: &ids,
                },
            )?;
            writeln!(out)?;
        }
        Output::Text => {
            let mut rows = templates;
            rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
            writeln!(out, "{} lines, {} templates", ids.len(), rows.len())?;
            writeln!(out, "{:>9}  {:>5}  TEMPLATE", "COUNT", "ID")?;
            for r in rows {
                writeln!(
                    out,
                    "{:>9}  {:>5}  {}",
                    r.count,
                    r.id,
                    visible_line(r.template)
                )?;
            }
        }
    }
    Ok(())
}

fn diff(stable: &Path, canary: &Path) -> anyhow::Result<LogEvidence> {
    let mut miner = LogMiner::new(LogConfig::default());
    for (path, role, name) in [
        (stable, Role::Stable, "stable"),
        (canary, Role::Canary, "canary"),
    ] {
        let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let meta = StreamMeta {
            pod: path.display().to_string(),
            container: name.to_owned(),
            role,
            previous: false,
        };
        miner
            .add_stream(meta, &mut f)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(miner.finish(&Redactor::default()))
}

fn write_diff_text(ev: &LogEvidence, top: usize, out: &mut dyn Write) -> anyhow::Result<()> {
    for s in &ev.streams {
        let mut notes = Vec::new();
        if s.binary {
            notes.push("binary, not mined".to_owned());
        }
        if let Some(cut) = s.cut_note() {
            notes.push(cut);
        }
        if s.truncated_lines > 0 {
            notes.push(format!("{} long lines cut", s.truncated_lines));
        }
        if s.invalid_utf8_lines > 0 {
            notes.push(format!("{} lines not UTF-8", s.invalid_utf8_lines));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join(", "))
        };
        writeln!(
            out,
            "{:<7} {} lines  {}{}",
            role_name(s.role),
            s.lines,
            visible_line(&stream_name(s)),
            notes
        )?;
    }
    let shown: Vec<_> = ev.findings.iter().take(top).collect();
    if shown.is_empty() {
        writeln!(out, "\nno log templates found")?;
        return Ok(());
    }
    writeln!(
        out,
        "\n{:<7} {:<23} {:<7} {:>7} {:>7}  TEMPLATE",
        "ID", "CLASS", "LEVEL", "CANARY", "STABLE"
    )?;
    for f in shown {
        let class = serde_json::to_value(f.class)?;
        let level = serde_json::to_value(f.level)?;
        writeln!(
            out,
            "{:<7} {:<23} {:<7} {:>7} {:>7}  {}",
            f.id,
            class.as_str().unwrap_or("?"),
            level.as_str().unwrap_or("?"),
            f.canary_count,
            f.stable_count,
            visible_line(cut(&f.template, 160))
        )?;
        if !f.example.is_empty() && f.example != f.template {
            let example = visible_line(cut(&f.example, 160));
            writeln!(out, "{:55}  e.g. {example}", "")?;
        }
    }
    if ev.findings.len() > top {
        writeln!(
            out,
            "... {} more (--top N, or --output json)",
            ev.findings.len() - top
        )?;
    }
    Ok(())
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Canary => "canary",
        Role::Stable => "stable",
        Role::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_stream_says_what_was_kept() {
        let stream = crate::evidence::LogStream {
            lines: 1_010_000,
            tail_lines: 10_000,
            skipped_lines: 250_000,
            capped: true,
            ..crate::evidence::testing::stable_logs()
        };
        let ev = LogEvidence {
            streams: vec![stream],
            ..Default::default()
        };
        let mut out = Vec::new();
        write_diff_text(&ev, 5, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "log cut: kept the first 1000000 lines, skipped 250000, kept the last 10000"
            ),
            "{text}"
        );
    }
}
