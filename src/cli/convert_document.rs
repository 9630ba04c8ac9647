//! `bitext convert` between text documents and XLIFF: `doc.txt doc.xlf` makes the
//! XLIFF a CAT tool opens (pre-translated with `--tm`), `doc.xlf doc.txt` writes the
//! translated document (see `formats::xliff::document`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use super::convert::ConvertArgs;
use super::output::Output;
use super::pretranslate::{PretranslateArgs, PretranslateFormat};
use super::pretranslate_document::{open, original};
use super::Global;
use bitext::formats::xliff::{write_text, write_xliff, Targets, TextToXliff, Version};
use bitext::formats::Format;
use bitext::text::{count, LangTag};

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn name(path: &Path, stdio: &str) -> String {
    if is_stdio(path) {
        stdio.to_string()
    } else {
        path.display().to_string()
    }
}

/// A text document to XLIFF 1.2 (or 2.0 with `v2`).
pub fn to_xliff(args: ConvertArgs, v2: bool, global: &Global) -> Result<ExitCode> {
    let format = args.reading.from.or_else(|| Format::from_path(&args.input));
    if let Some(format) = format {
        bail!(
            "XLIFF is made from text documents: {} is {format}, whose units are not a document \
             (convert them to TMX, CSV, TSV or JSON Lines; `bitext pretranslate` fills XLIFF files)",
            name(&args.input, "standard input")
        );
    }
    if let Some(tm) = args.tm.clone() {
        return pretranslated(args, tm, v2, global);
    }
    let raw = args.src_lang.as_deref().context(
        "give the document's language with -s/--src-lang (it decides where sentences end)",
    )?;
    let src = LangTag::parse(raw).with_context(|| format!("--src-lang {raw:?}"))?;
    let tgt = args
        .tgt_lang
        .as_deref()
        .map(|t| LangTag::parse(t).with_context(|| format!("--tgt-lang {t:?}")))
        .transpose()?;
    let segmenter = args.srx.segmenter(&src, global)?;
    let options = TextToXliff {
        version: if v2 { Version::V2 } else { Version::V1 },
        source_lang: src,
        target_lang: tgt,
        original: original(&args.input),
        encoding: args.reading.encoding.encoding,
        targets: if args.copy_source {
            Targets::CopySource
        } else {
            Targets::None
        },
    };
    let path: Option<PathBuf> = (!is_stdio(&args.input)).then(|| args.input.clone());
    let mut out = Output::create_whole((!is_stdio(&args.output)).then_some(args.output.as_path()))?;
    let made = write_xliff(
        open(&args.input)?,
        path.as_deref(),
        &segmenter,
        &options,
        &mut out,
    )?;
    out.finish()?;
    if !global.quiet {
        eprintln!(
            "convert: {} (text, {}{}) -> {} (XLIFF {}): {}, {}",
            name(&args.input, "standard input"),
            made.encoding,
            if made.bom { " with BOM" } else { "" },
            name(&args.output, "standard output"),
            if v2 { "2.0" } else { "1.2" },
            count(made.paragraphs, "paragraph"),
            count(made.segments, "segment"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `convert doc.txt doc.xlf --tm M`: what `pretranslate doc.txt --to xliff` does.
fn pretranslated(args: ConvertArgs, tm: PathBuf, v2: bool, global: &Global) -> Result<ExitCode> {
    let pretranslate = PretranslateArgs {
        doc: args.input,
        langs: super::tm::LookupLangArgs {
            src_lang: args.src_lang,
            tgt_lang: args.tgt_lang,
            strict_lang: false,
        },
        encoding: args.reading.encoding,
        min: args.min,
        candidate_min: 70,
        candidates: 3,
        format: if v2 {
            PretranslateFormat::Xliff2
        } else {
            PretranslateFormat::Xliff
        },
        srx: args.srx,
        copy_source: args.copy_source,
        output: (!is_stdio(&args.output)).then_some(args.output),
        stats_json: None,
        tm: super::tm::TmArgs {
            tm: Some(tm),
            wait: 10.0,
        },
    };
    super::pretranslate::run(pretranslate, global)
}

/// XLIFF (made by bitext from a text) to the text document, translated.
pub fn to_text(args: ConvertArgs, global: &Global) -> Result<ExitCode> {
    let input = name(&args.input, "standard input");
    if args.tm.is_some() || args.srx.srx.is_some() || args.copy_source {
        bail!("--tm, --srx and --copy-source are for text documents converted to XLIFF");
    }
    let format = match args.reading.from {
        Some(f) => Some(f),
        None if is_stdio(&args.input) => None,
        None => Format::from_path(&args.input).or_else(|| {
            let mut prefix = Vec::new();
            std::fs::File::open(&args.input)
                .and_then(|f| {
                    std::io::Read::read_to_end(&mut std::io::Read::take(f, 8192), &mut prefix)
                })
                .ok()
                .and_then(|_| Format::sniff(&prefix))
        }),
    };
    if format.is_some_and(|f| f != Format::Xliff) {
        bail!(
            "a text document is written from XLIFF: {input} is {} (give --to for another format)",
            format.map_or("not XLIFF".into(), |f| f.to_string())
        );
    }
    let path: Option<PathBuf> = (!is_stdio(&args.input)).then(|| args.input.clone());
    let mut out = Output::create_whole((!is_stdio(&args.output)).then_some(args.output.as_path()))?;
    let report = write_text(
        open(&args.input)?,
        path.as_deref(),
        args.out_encoding,
        &mut out,
    )?;
    out.finish()?;
    if !global.quiet {
        eprintln!(
            "convert: {input} (XLIFF) -> {} (text, {}): {}",
            name(&args.output, "standard output"),
            report.encoding,
            report
        );
        if report.untranslated > 0 {
            eprintln!(
                "  warning: {} without a translation kept in the source language",
                count(report.untranslated, "segment")
            );
        }
        if !report.unconfirmed.is_empty() {
            let states: Vec<String> = report
                .unconfirmed
                .iter()
                .map(|(s, n)| {
                    let s = if s.is_empty() { "(none)" } else { s.as_str() };
                    format!("{s} ×{n}")
                })
                .collect();
            eprintln!(
                "  warning: {} written from targets not confirmed as translated: {}",
                count(report.unconfirmed.values().sum::<u64>(), "segment"),
                states.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
