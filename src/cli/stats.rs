//! `bitext stats`, `bitext delete` and `bitext reindex`: looking after a memory.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use serde::Serialize;

use super::tm::{self, TextOrJson, TmArgs};
use super::{output::Output, Global};
use bitext::memory::{DeleteFilter, Stats};

/// Show what a memory holds: units per language pair, languages, dates, size.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
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

/// Delete units by id or by filter (all given conditions must hold).
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DeleteArgs {
    /// A unit id (repeatable).
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<i64>,
    /// Units with a variant in this language (or a more specific form: `en` covers
    /// `en-US`).
    #[arg(long, short = 'l', value_name = "LANG")]
    pub lang: Option<String>,
    /// Units from this origin file (as stored, see `bitext export`).
    #[arg(long, value_name = "NAME")]
    pub origin: Option<String>,
    /// Units created or last changed by this user.
    #[arg(long)]
    pub user: Option<String>,
    /// Units created before this date (2024-05-01 or 2024-05-01T12:00:00Z).
    #[arg(long, value_name = "DATE")]
    pub before: Option<String>,
    /// Units created on or after this date.
    #[arg(long, value_name = "DATE")]
    pub after: Option<String>,
    /// Only say which units would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format of the result.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    #[command(flatten)]
    pub tm: TmArgs,
}

pub fn run_delete(args: DeleteArgs, _global: &Global) -> Result<ExitCode> {
    let filter = DeleteFilter {
        ids: args.ids.clone(),
        lang: args
            .lang
            .as_deref()
            .map(|l| tm::lang(l, "--lang"))
            .transpose()?,
        origin: args.origin.clone(),
        user: args.user.clone(),
        created_before: args
            .before
            .as_deref()
            .map(|d| tm::timestamp(d, "--before"))
            .transpose()?,
        created_after: args
            .after
            .as_deref()
            .map(|d| tm::timestamp(d, "--after"))
            .transpose()?,
    };
    if filter.is_empty() {
        bail!("say which units to delete: --id, --lang, --origin, --user, --before or --after");
    }
    let ids = if args.dry_run {
        args.tm.open_read()?.select(&filter)?
    } else {
        args.tm.open_write(false)?.delete(&filter)?
    };
    let mut out = Output::create(None)?;
    let text = match args.format {
        TextOrJson::Jsonl => {
            let key = if args.dry_run {
                "would_delete"
            } else {
                "deleted"
            };
            format!("{}\n", serde_json::json!({ key: ids }))
        }
        TextOrJson::Text => {
            let verb = if args.dry_run {
                "would delete"
            } else {
                "deleted"
            };
            let list: Vec<String> = ids.iter().take(20).map(|i| i.to_string()).collect();
            let more = if ids.len() > 20 { ", …" } else { "" };
            format!(
                "{verb} {} unit{}{}{}\n",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                if ids.is_empty() {
                    String::new()
                } else {
                    format!(": {}", list.join(", "))
                },
                more
            )
        }
    };
    out.write_all(text.as_bytes()).map_err(|e| out.context(e))?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// Rebuild the fuzzy-match index of a memory from its texts.
///
/// Never needed in normal use (a memory from another version of bitext is re-indexed
/// when opened); useful if the index was damaged.
#[derive(Debug, Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub tm: TmArgs,
}

pub fn run_reindex(args: ReindexArgs, global: &Global) -> Result<ExitCode> {
    let mut memory = args.tm.open_write(false)?;
    memory.reindex()?;
    if !global.quiet {
        eprintln!("re-indexed {}", args.tm.path()?.display());
    }
    Ok(ExitCode::SUCCESS)
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
