//! `bitext stats`: what a memory holds.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::tm::{TextOrJson, TmArgs};
use super::{output::Output, Global};
use bitext::memory::Stats;

/// Show what a memory holds: units per language pair, languages, dates, size.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext stats --tm memory.sqlite\n  bitext stats -f jsonl"
)]
pub struct StatsArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    #[command(flatten)]
    pub tm: TmArgs,
}

pub fn run_stats(args: StatsArgs, _global: &Global) -> Result<ExitCode> {
    let memory = args.tm.open_read()?;
    let stats = memory.stats()?;
    let path = args.tm.path()?;
    let mut out = Output::create(None)?;
    let text = match args.format {
        TextOrJson::Jsonl => {
            #[derive(Serialize)]
            struct Record<'a> {
                path: String,
                #[serde(flatten)]
                stats: &'a Stats,
            }
            let mut s = serde_json::to_string(&Record {
                path: path.display().to_string(),
                stats: &stats,
            })?;
            s.push('\n');
            s
        }
        TextOrJson::Text => stats_table(&path.display().to_string(), &stats),
    };
    out.write_all(text.as_bytes()).map_err(|e| out.context(e))?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// A size in bytes, KiB or MiB, whichever shows it best.
fn mib(bytes: u64) -> String {
    match bytes {
        0..1024 => bitext::text::count(bytes, "byte"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0)),
    }
}

/// The size line: the file, its write-ahead log if any, and how the file (without
/// the log, which holds a write in progress or pages not yet copied) compares with
/// the text it stores; no ratio while there is no text.
fn size_line(s: &Stats) -> String {
    let file = s.file_bytes - s.wal_bytes.min(s.file_bytes);
    let mut line = format!("size        {}", mib(s.file_bytes));
    let mut parts = Vec::new();
    if s.wal_bytes > 0 {
        parts.push(format!(
            "{} in the write-ahead log: a write in progress, or not yet checkpointed",
            mib(s.wal_bytes)
        ));
    }
    if s.text_bytes == 0 {
        parts.push("no text yet".to_string());
    } else {
        parts.push(format!(
            "{} of text, {:.2}x",
            mib(s.text_bytes),
            file as f64 / s.text_bytes as f64
        ));
    }
    line.push_str(&format!(" ({})\n", parts.join("; ")));
    line
}

fn stats_table(path: &str, s: &Stats) -> String {
    let mut t = format!("memory      {path}\n");
    t.push_str(&format!("units       {}\n", s.units));
    t.push_str(&format!("variants    {}\n", s.variants));
    t.push_str(&size_line(s));
    if let Some((lo, hi)) = s.created {
        t.push_str(&format!(
            "created     {} .. {}\n",
            lo.strftime("%Y-%m-%d"),
            hi.strftime("%Y-%m-%d")
        ));
    }
    if let Some((lo, hi)) = s.changed {
        t.push_str(&format!(
            "changed     {} .. {}\n",
            lo.strftime("%Y-%m-%d"),
            hi.strftime("%Y-%m-%d")
        ));
    }
    t.push_str(&format!(
        "index       {}",
        bitext::text::count(s.terms, "term")
    ));
    if s.concordance_pending > 0 {
        t.push_str(&format!(
            "; {} not yet in the concordance index (the next concordance search adds them)",
            bitext::text::count(s.concordance_pending, "variant")
        ));
    }
    t.push('\n');
    if !s.pairs.is_empty() {
        t.push_str("language pairs (source -> target: units)\n");
        for p in &s.pairs {
            t.push_str(&format!("  {} -> {}: {}\n", p.source, p.target, p.units));
        }
    }
    if !s.languages.is_empty() {
        t.push_str("languages (variants)\n");
        for (lang, n) in &s.languages {
            t.push_str(&format!("  {lang}: {n}\n"));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(file_bytes: u64, wal_bytes: u64, text_bytes: u64) -> Stats {
        Stats {
            units: 1,
            variants: 2,
            languages: Vec::new(),
            pairs: Vec::new(),
            created: None,
            changed: None,
            terms: 1,
            concordance_pending: 0,
            file_bytes,
            wal_bytes,
            text_bytes,
            schema_version: 1,
        }
    }

    /// Issue 18, item 12: during an import the write-ahead log holds the work in
    /// progress; it is not counted against the text ("0.0 MiB of text, 2878592.59x").
    #[test]
    fn the_size_ratio_leaves_out_the_log_and_wants_text() {
        assert_eq!(
            size_line(&stats(600 << 20, 590 << 20, 5 << 20)),
            "size        600.0 MiB (590.0 MiB in the write-ahead log: a write in progress, \
             or not yet checkpointed; 5.0 MiB of text, 2.00x)\n"
        );
        assert_eq!(
            size_line(&stats(4096, 0, 0)),
            "size        4.0 KiB (no text yet)\n"
        );
        assert_eq!(
            size_line(&stats(8192, 0, 20)),
            "size        8.0 KiB (20 bytes of text, 409.60x)\n"
        );
        assert_eq!(mib(1), "1 byte");
    }
}
