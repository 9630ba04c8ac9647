//! `bitext export`: the memory's units to an exchange file.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::tm::{self, TmArgs};
use super::{output::Output, progress, Global};
use bitext::formats::{Column, Format, UnitWriteOptions, UnitWriter};
use bitext::text::{count, LangTag};

/// Export the memory's units to TSV, CSV, JSON Lines or TMX.
///
/// JSON Lines and TMX keep everything (metadata, properties, notes, inline markup);
/// CSV/TSV keep the texts of the chosen languages and the metadata --columns name.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext export memory.tmx --tm memory.sqlite\n  bitext export en-ru.tsv -s en -t ru\n  bitext export - -f csv --columns id,origin"
)]
pub struct ExportArgs {
    /// The file to write (`-`: standard output).
    pub output: PathBuf,
    /// Output format (tmx, csv, tsv, jsonl); default: by the output's extension.
    #[arg(long, short = 'f', visible_alias = "to", value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Source language: the first column of CSV/TSV, TMX `srclang`. With --tgt-lang,
    /// only units with both languages are exported, and only those two.
    #[arg(long, short = 's', value_name = "LANG")]
    pub src_lang: Option<String>,
    /// Target language.
    #[arg(long, short = 't', value_name = "LANG")]
    pub tgt_lang: Option<String>,
    /// CSV/TSV: metadata columns after the languages (comma-separated: id, tuid, note,
    /// created, changed, created_by, changed_by, last_used, usage_count, score, origin,
    /// context_prev, context_next, prop:TYPE). `id` is the unit's number in the memory
    /// (as `lookup` shows it), `tuid` the id it had in its TMX file.
    #[arg(long, value_name = "COLUMN,…", value_delimiter = ',')]
    pub columns: Vec<String>,
    /// JSON Lines: simple records {"source","target","src_lang","tgt_lang"}.
    #[arg(long)]
    pub simple: bool,
    #[command(flatten)]
    pub tm: TmArgs,
}

pub fn run_export(args: ExportArgs, global: &Global) -> Result<ExitCode> {
    let stdout = args.output.as_os_str() == "-";
    let to = match args.format {
        Some(f) => f,
        None if stdout => {
            bail!("give the output format with -f/--format when writing to standard output")
        }
        None => Format::from_path(&args.output).with_context(|| {
            format!(
                "cannot tell the output format from {:?}; give it with -f/--format (tmx, csv, tsv, jsonl)",
                args.output
            )
        })?,
    };
    let src = args
        .src_lang
        .as_deref()
        .map(|l| tm::lang(l, "--src-lang"))
        .transpose()?;
    let tgt = args
        .tgt_lang
        .as_deref()
        .map(|l| tm::lang(l, "--tgt-lang"))
        .transpose()?;
    let keep: Vec<LangTag> = match (&src, &tgt) {
        (Some(s), Some(t)) => vec![s.clone(), t.clone()],
        _ => Vec::new(),
    };
    let columns = args
        .columns
        .iter()
        .map(|c| Column::parse(c).with_context(|| format!("--columns {c:?}")))
        .collect::<Result<Vec<_>>>()?;
    let memory = args.tm.open_read()?;
    let stats = memory.stats()?;
    let total = stats.units;
    // CSV/TSV have one column per language, chosen before the first row: every
    // language of the memory, unless -s and -t choose a pair. (The columns of the
    // first unit alone would drop the units and variants of every other language.)
    let columns_langs = match (to, keep.is_empty()) {
        (Format::Csv | Format::Tsv, true) => stats.column_languages(src.as_ref())?,
        _ => keep.clone(),
    };
    let out = Output::create((!stdout).then_some(args.output.as_path()))?;
    let mut options = UnitWriteOptions::default();
    options.source_lang = src.clone();
    options.langs = columns_langs.clone();
    options.columns = columns;
    options.jsonl_simple = args.simple;
    let mut writer = UnitWriter::new(to, out, &options)?;
    let bar = progress::bar(global, total, "exporting units");
    let mut not_in_pair = 0u64;
    for (n, record) in memory.units().enumerate() {
        let record = record?;
        let (id, mut unit) = (record.id, record.unit);
        // The source language first, as the columns are.
        if !keep.is_empty() && !unit.keep_languages(&keep) {
            not_in_pair += 1;
            continue;
        }
        writer
            .write_stored_unit(&unit, id)
            .with_context(|| format!("cannot export unit {id}"))?;
        if n % 1024 == 0 {
            bar.set_position(n as u64);
        }
    }
    bar.finish_and_clear();
    let report = writer.report().clone();
    let out = writer
        .finish()
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    out.finish()?;
    if !global.quiet {
        let to_name = if stdout {
            "standard output".to_string()
        } else {
            args.output.display().to_string()
        };
        let mut s = format!(
            "export: {} written to {to_name}",
            count(report.units, "unit")
        );
        let mut details = String::new();
        if keep.is_empty() && columns_langs.len() > 2 {
            let names: Vec<&str> = columns_langs.iter().map(LangTag::as_str).collect();
            let _ = write!(
                s,
                " (one column per language: {}; -s and -t export one pair)",
                names.join(", ")
            );
        }
        if not_in_pair > 0 {
            let _ = write!(
                s,
                "; {} without both languages left out",
                count(not_in_pair, "unit")
            );
        }
        if report.skipped > 0 {
            // Units the format could not hold (no variant in the chosen languages).
            let _ = write!(s, "; {} skipped", count(report.skipped, "unit"));
            for notice in &report.skips {
                let _ = write!(details, "\n  skipped {notice}");
            }
            if report.skipped > report.skips.len() as u64 {
                let _ = write!(
                    details,
                    "\n  … and {} more skipped",
                    report.skipped - report.skips.len() as u64
                );
            }
        }
        if report.variants_dropped > 0 {
            let _ = write!(
                s,
                "; {} in other languages left out",
                count(report.variants_dropped, "variant")
            );
        }
        if report.markup_dropped > 0 {
            let _ = write!(
                s,
                "; inline markup of {} not kept ({to} has no place for it)",
                count(report.markup_dropped, "variant")
            );
        }
        eprintln!("{s}{details}");
    }
    Ok(ExitCode::SUCCESS)
}
