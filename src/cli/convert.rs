//! `bitext convert`: translation units from one exchange format to another.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use super::{output::Output, progress, Global};
use bitext::formats::{
    self, Column, Format, InlineMode, ReadReport, UnitWriteOptions, UnitWriter, WriteReport,
};
use bitext::text::{count, LangTag};
use bitext::unit::TranslationUnit;
use bitext::ErrorKind;

/// Convert translation units between TMX, CSV, TSV and JSON Lines; documents to XLIFF
/// and back.
///
/// Formats are told by the file extensions (.tmx, .csv, .tsv/.tab, .jsonl) or, for
/// input, by the content; name them with --from and -f/--format (or --to) otherwise
/// (and for `-`, which is standard input or output). A report (units read, written,
/// skipped with the line and reason of each) goes to stderr. The output is written to
/// a temporary file renamed over OUTPUT only when everything succeeded: an error
/// never leaves a partial file.
///
/// Delimited files have a header row naming the columns: language tags (en-US, ru…)
/// and optional metadata (id, tuid, note, created, changed, created_by, changed_by,
/// last_used, usage_count, score, origin, context_prev, context_next, prop:TYPE). A
/// file without a header, such as the aligner's `source<TAB>target<TAB>score`, is read
/// with --src-lang and --tgt-lang (or --langs).
///
/// A plain-text document (any other input) to XLIFF (.xlf, .xliff; .xlf2 or --to
/// xliff2 for 2.0) is split into sentences (-s gives its language; --srx its rules):
/// 1.2 has a <group> per paragraph and a <trans-unit> per sentence, 2.0 a <unit> per
/// paragraph and a <segment> per sentence; the white space between them is kept, so
/// the document can be rebuilt byte for byte. With --tm the targets are pre-translated
/// as `bitext pretranslate` does. XLIFF made so (translated or not) to a text (.txt,
/// --to txt) is the translated document: each sentence's target where it has one,
/// else its source. XLIFF made by other tools is refused by name (their document is
/// in their own skeleton).
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext convert memories/seed-en-ru.tmx seed.csv\n  bitext convert aligned.tsv aligned.tmx -s en -t ru\n  bitext convert samples/en.txt en.xlf -s en -t ru --tm memory.sqlite\n  bitext convert en.ru.xlf en.ru.txt\n  bitext convert memory.tmx - -f csv --columns tuid,note"
)]
pub struct ConvertArgs {
    /// The file to read (`-`: standard input).
    pub input: PathBuf,

    /// The file to write (`-`: standard output).
    pub output: PathBuf,

    #[command(flatten)]
    pub reading: super::InputArgs,

    /// Output format (tmx, csv, tsv, jsonl; xliff, xliff2, txt for documents); default:
    /// by the output's extension.
    #[arg(long, short = 'f', visible_alias = "to", value_name = "FORMAT", value_parser = parse_to)]
    pub format: Option<ToFormat>,

    /// Source language: TMX `srclang`, first column of CSV/TSV, and the first column
    /// of a headerless input.
    #[arg(long, short = 's', value_name = "LANG")]
    pub src_lang: Option<String>,

    /// Target language: second column of a headerless input. With --src-lang, only
    /// these two languages are written.
    #[arg(long, short = 't', value_name = "LANG")]
    pub tgt_lang: Option<String>,

    /// Languages to keep, in column order (comma-separated); also the columns of a
    /// headerless input. `en` keeps `en-US` too.
    #[arg(long, value_name = "LANG,…", value_delimiter = ',')]
    pub langs: Vec<String>,

    /// CSV/TSV output: metadata columns after the languages (comma-separated: id (the
    /// unit's id in the input, TMX `tuid`), note, created, changed, created_by, changed_by, last_used, usage_count, score,
    /// origin, context_prev, context_next, prop:TYPE).
    #[arg(long, value_name = "COLUMN,…", value_delimiter = ',')]
    pub columns: Vec<String>,

    /// JSON Lines output: simple records {"source","target","src_lang","tgt_lang"}.
    #[arg(long)]
    pub simple: bool,

    /// CSV/TSV output: start with a UTF-8 byte-order mark (helps spreadsheets).
    #[arg(long)]
    pub bom: bool,

    /// TMX output: inline markup made valid TMX 1.4b (`valid`), or written exactly as
    /// read (`verbatim`, may not validate).
    #[arg(long, value_enum, default_value_t = InlineArg::Valid)]
    pub inline: InlineArg,

    #[allow(missing_docs)]
    #[command(flatten)]
    pub srx: super::segment::SrxArgs,

    /// Text to XLIFF: pre-translate from this memory (as `bitext pretranslate`).
    #[arg(long, value_name = "PATH")]
    pub tm: Option<PathBuf>,

    /// Text to XLIFF: sentences without a translation get a target holding their source
    /// (1.2 state="new"), which OmegaT, and tools like it that translate the target's
    /// content, need.
    #[arg(long)]
    pub copy_source: bool,

    /// With --tm: lowest match percentage that fills a target (default 100).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=101), requires = "tm")]
    pub min: Option<u32>,

    /// XLIFF to text: the document's encoding (a WHATWG label; default: the original
    /// document's, as the XLIFF records it).
    #[arg(long, value_name = "LABEL", value_parser = encoding_label)]
    pub out_encoding: Option<&'static encoding_rs::Encoding>,
}

fn encoding_label(raw: &str) -> std::result::Result<&'static encoding_rs::Encoding, String> {
    bitext::text::encoding_for_label(raw).map_err(|e| e.to_string())
}

/// `--to`: a format of translation units, or a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToFormat {
    /// Translation units (XLIFF: a document as XLIFF 1.2).
    Units(Format),
    /// A document as XLIFF 2.0.
    Xliff2,
    /// A plain-text document.
    Text,
}

fn parse_to(raw: &str) -> std::result::Result<ToFormat, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "xliff2" | "xlf2" => Ok(ToFormat::Xliff2),
        "txt" | "text" => Ok(ToFormat::Text),
        other => other.parse::<Format>().map(ToFormat::Units).map_err(|_| {
            format!("unknown format {raw:?} (expected tmx, csv, tsv, jsonl, xliff, xliff2 or txt)")
        }),
    }
}

/// The output format by the output's extension: `.xlf2` is XLIFF 2.0, `.txt` (`.text`,
/// `.md`) a text document.
fn to_by_path(path: &Path) -> Option<ToFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "xlf2" => Some(ToFormat::Xliff2),
        "txt" | "text" | "md" => Some(ToFormat::Text),
        _ => Format::from_path(path).map(ToFormat::Units),
    }
}

/// `--inline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InlineArg {
    /// Valid TMX 1.4b.
    Valid,
    /// Exactly as read.
    Verbatim,
}

fn parse_lang(raw: &str, option: &str) -> Result<LangTag> {
    LangTag::parse(raw).with_context(|| format!("{option} {raw:?}"))
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Keeps only the variants in `keep` (a variant in `en-US` is kept for `en`).
fn filter_langs(unit: &mut TranslationUnit, keep: &[LangTag]) {
    if keep.is_empty() {
        return;
    }
    unit.variants
        .retain(|v| keep.iter().any(|k| v.lang == *k || v.lang.matches(k)));
}

pub fn run(args: ConvertArgs, global: &Global) -> Result<ExitCode> {
    let src = args
        .src_lang
        .as_deref()
        .map(|l| parse_lang(l, "--src-lang"))
        .transpose()?;
    let tgt = args
        .tgt_lang
        .as_deref()
        .map(|l| parse_lang(l, "--tgt-lang"))
        .transpose()?;
    let langs = args
        .langs
        .iter()
        .map(|l| parse_lang(l, "--langs"))
        .collect::<Result<Vec<_>>>()?;
    let columns = args
        .columns
        .iter()
        .map(|c| Column::parse(c).with_context(|| format!("--columns {c:?}")))
        .collect::<Result<Vec<_>>>()?;
    let keep: Vec<LangTag> = if !langs.is_empty() {
        langs.clone()
    } else {
        match (&src, &tgt) {
            (Some(s), Some(t)) => vec![s.clone(), t.clone()],
            _ => Vec::new(),
        }
    };
    let to = match args.format {
        Some(f) => f,
        None if is_stdio(&args.output) => {
            bail!("give the output format with -f/--format when writing to standard output")
        }
        None => to_by_path(&args.output).with_context(|| {
            format!(
                "cannot tell the output format from {:?}; give it with -f/--format (tmx, csv, \
                 tsv, jsonl, xliff, xliff2, txt)",
                args.output
            )
        })?,
    };
    let to = match to {
        ToFormat::Units(Format::Xliff) => {
            return super::convert_document::to_xliff(args, false, global)
        }
        ToFormat::Xliff2 => return super::convert_document::to_xliff(args, true, global),
        ToFormat::Text => return super::convert_document::to_text(args, global),
        ToFormat::Units(f) => f,
    };
    if args.tm.is_some() || args.srx.srx.is_some() || args.copy_source {
        bail!("--tm, --srx and --copy-source are for text documents converted to XLIFF");
    }

    let read_options = args
        .reading
        .read_options(src.clone(), tgt.clone(), langs.clone());
    let mut reader = formats::open(&args.input, &read_options)?;
    let input_name = if is_stdio(&args.input) {
        "standard input".to_string()
    } else {
        args.input.display().to_string()
    };

    let mut write_options = UnitWriteOptions::default();
    write_options.source_lang = src.clone();
    write_options.langs = keep.clone();
    write_options.columns = columns;
    write_options.bom = args.bom;
    write_options.jsonl_simple = args.simple;
    write_options.tmx_header = reader.tmx_header().cloned();
    write_options.inline = match args.inline {
        InlineArg::Valid => InlineMode::Valid,
        InlineArg::Verbatim => InlineMode::Verbatim,
    };
    let out = Output::create((!is_stdio(&args.output)).then_some(args.output.as_path()))?;
    let mut writer = UnitWriter::new(to, out, &write_options)?;

    let total = if is_stdio(&args.input) {
        0
    } else {
        std::fs::metadata(&args.input).map(|m| m.len()).unwrap_or(0)
    };
    let bar = progress::bar(global, total, "converting (bytes)");
    let mut filtered_out = 0u64;
    let mut write_skips: Vec<String> = Vec::new();
    let mut write_skipped = 0u64;
    let mut seen = 0u64;
    while let Some(item) = reader.next() {
        let mut unit = match item {
            Ok(unit) => unit,
            Err(e) if reader.stopped_at_invalid_unit() => {
                bail!("{e} (--skip-invalid skips such units)")
            }
            Err(e) => return Err(e.into()),
        };
        seen += 1;
        if seen.is_multiple_of(1024) {
            bar.set_position(reader.bytes_read());
        }
        filter_langs(&mut unit, &keep);
        if unit.variants.is_empty() {
            filtered_out += 1;
            continue;
        }
        match writer.write_unit(&unit) {
            Ok(_) => {}
            Err(e) if args.reading.skip_invalid && matches!(e.kind(), ErrorKind::Invalid(_)) => {
                formats::count_listed(&mut write_skipped, &mut write_skips, || e.to_string());
            }
            Err(e) if matches!(e.kind(), ErrorKind::Invalid(_)) => {
                bail!(
                    "cannot convert unit {} of {input_name} to {to}: {} (--skip-invalid skips such units)",
                    e.location()
                        .unit
                        .clone()
                        .unwrap_or_else(|| format!("#{seen}")),
                    formats::error_message(&e)
                );
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot write {}", output_name(&args.output))));
            }
        }
    }
    bar.finish_and_clear();
    let write_report = writer.report().clone();
    let out = writer
        .finish()
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    out.finish()?;

    if !global.quiet {
        eprint!(
            "{}",
            report(
                &input_name,
                reader.format(),
                reader.report(),
                &output_name(&args.output),
                to,
                &write_report,
                filtered_out,
                &keep,
                write_skipped,
                &write_skips,
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn output_name(path: &Path) -> String {
    if is_stdio(path) {
        "standard output".to_string()
    } else {
        path.display().to_string()
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    input: &str,
    from: Format,
    read: &ReadReport,
    output: &str,
    to: Format,
    written: &WriteReport,
    filtered_out: u64,
    keep: &[LangTag],
    write_skipped: u64,
    write_skips: &[String],
) -> String {
    let mut s = String::new();
    let skipped = read.skipped + written.skipped + write_skipped + filtered_out;
    let _ = writeln!(
        s,
        "convert: {input} ({from}) -> {output} ({to}): {} read, {} written, {} skipped",
        count(read.units, "unit"),
        written.units,
        skipped
    );
    bitext::formats::write_skips(&mut s, &read.skips, read.skipped);
    if filtered_out > 0 {
        let langs: Vec<&str> = keep.iter().map(LangTag::as_str).collect();
        let _ = writeln!(
            s,
            "  skipped {} with no variant in {}",
            count(filtered_out, "unit"),
            langs.join(", ")
        );
    }
    for notice in &written.skips {
        let _ = writeln!(s, "  not written {notice}");
    }
    for message in write_skips {
        let _ = writeln!(s, "  not written {message}");
    }
    for notice in &read.warnings {
        let _ = writeln!(s, "  warning {notice}");
    }
    if read.warned > read.warnings.len() as u64 {
        let _ = writeln!(
            s,
            "  … and {} more",
            count(read.warned - read.warnings.len() as u64, "warning")
        );
    }
    if written.variants_dropped > 0 {
        let _ = writeln!(
            s,
            "  {} left out (language not written, or repeated in a unit)",
            count(written.variants_dropped, "variant")
        );
    }
    if written.markup_dropped > 0 {
        let _ = writeln!(
            s,
            "  {} written as plain text without their inline markup ({to} has no place for it)",
            count(written.markup_dropped, "variant")
        );
    }
    for (change, count) in &written.markup_changes {
        let _ = writeln!(s, "  inline markup made valid TMX: {change} ×{count}");
    }
    if !read.not_kept.is_empty() {
        let list: Vec<String> = read
            .not_kept
            .iter()
            .map(|(what, n)| format!("{what} ×{n}"))
            .collect();
        let _ = writeln!(s, "  not kept (no place in a unit): {}", list.join(", "));
    }
    s
}
