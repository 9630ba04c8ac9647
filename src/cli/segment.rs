//! `bitext segment`: split text into sentences.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use super::{output::Output, progress, Global};
use bitext::segment::{Segmenter, SrxRules};
use bitext::text::{LangTag, Span};

/// Split text into sentences.
///
/// Reads raw text (files, or stdin when none is given or the file is `-`) and writes
/// one sentence a line with an empty line between paragraphs, or JSON Lines with each
/// sentence's byte span and paragraph. Blank lines always end a sentence.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext segment samples/en.txt --lang en\n  bitext segment article.txt --lang de -f jsonl -o sentences.jsonl\n  bitext segment --from jsonl records.jsonl"
)]
pub struct SegmentArgs {
    /// Text files to segment (`-` or none: standard input).
    pub files: Vec<PathBuf>,

    /// Language of the text (BCP 47: en, de-CH, zh-Hant, …). Unknown languages get
    /// generic rules. With `--from jsonl` it is the default for records that
    /// carry no "lang".
    #[arg(long, short = 'l')]
    pub lang: Option<String>,

    #[allow(missing_docs)]
    #[command(flatten)]
    pub encoding: super::EncodingArg,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = SegmentFormat::Lines)]
    pub format: SegmentFormat,

    /// Input format: raw text, or JSON Lines records {"id", "lang", "text"} answered by
    /// records {"id", "lang", "sentences", "spans"} in the same order.
    #[arg(long, value_enum, default_value_t = InputFormat::Text)]
    pub from: InputFormat,

    /// Deprecated spelling of --from.
    #[arg(long, value_enum, hide = true, conflicts_with = "from")]
    pub input_format: Option<InputFormat>,

    /// Extra abbreviations, one or more a line (`#` comments); they never end a sentence
    /// unless listed under a `[final]` section.
    #[arg(long, value_name = "FILE", conflicts_with = "srx")]
    pub abbreviations: Option<PathBuf>,

    #[command(flatten)]
    pub srx: SrxArgs,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// How sentences are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SegmentFormat {
    /// One sentence a line (line breaks inside a sentence become spaces), an empty
    /// line between paragraphs.
    Lines,
    /// One JSON object a sentence: {"text", "span": [start, end], "paragraph"}.
    Jsonl,
}

/// How input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Raw text.
    Text,
    /// JSON Lines records with "id", "lang" and "text".
    Jsonl,
}

#[derive(Serialize)]
struct SentenceRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    text: &'a str,
    span: Span,
    paragraph: usize,
}

#[derive(Deserialize)]
struct InputRecord {
    id: serde_json::Value,
    #[serde(default)]
    lang: Option<String>,
    text: String,
}

#[derive(Serialize)]
struct OutputRecord<'a> {
    id: &'a serde_json::Value,
    lang: &'a str,
    sentences: Vec<&'a str>,
    spans: Vec<Span>,
}

fn parse_lang(raw: &str) -> Result<LangTag> {
    LangTag::parse(raw).with_context(|| format!("--lang {raw:?}"))
}

/// The SRX options, shared by the commands that segment text.
#[derive(Debug, Args)]
pub struct SrxArgs {
    /// Segment with the rules of an SRX 2.0 file (LanguageTool, OmegaT, Okapi, Trados…)
    /// instead of the built-in rules. A file with a pattern that does not compile is
    /// refused, with every such rule listed.
    #[arg(long, value_name = "FILE")]
    pub srx: Option<PathBuf>,

    /// Load the SRX file even if some rules do not compile: leave them out and list
    /// them on stderr.
    #[arg(long, requires = "srx")]
    pub srx_skip_invalid: bool,
}

impl SrxArgs {
    /// Loads the SRX file, if one was given; warnings go to stderr unless `--quiet`.
    pub fn load(&self, global: &Global) -> Result<Option<SrxRules>> {
        let Some(path) = &self.srx else {
            return Ok(None);
        };
        if !self.srx_skip_invalid {
            return Ok(Some(SrxRules::load(path).context("--srx")?));
        }
        let (rules, problems) = SrxRules::load_skipping_invalid(path).context("--srx")?;
        if !global.quiet {
            for p in &problems {
                eprintln!("bitext: warning: rule left out: {p}");
            }
        }
        Ok(Some(rules))
    }
}

impl SrxArgs {
    /// The segmenter for `lang`: the SRX file's rules if one was given (with the
    /// warnings of [`SrxArgs::load`] and [`warn_if_no_srx_rules`]), else the built-in.
    pub fn segmenter(&self, lang: &LangTag, global: &Global) -> Result<Segmenter> {
        let srx = self.load(global)?;
        warn_if_no_srx_rules(srx.as_ref(), self.srx.as_deref(), lang, global);
        Ok(match srx {
            Some(rules) => Segmenter::builder(lang).srx(rules).build(),
            None => Segmenter::new(lang),
        })
    }
}

/// Warns (unless quiet) when no language map of the SRX file applies to `lang`.
pub fn warn_if_no_srx_rules(
    srx: Option<&SrxRules>,
    path: Option<&Path>,
    lang: &LangTag,
    global: &Global,
) {
    if let (Some(srx), Some(path)) = (srx, path) {
        if !global.quiet && srx.rules_for(lang).is_empty() {
            eprintln!(
                "bitext: warning: no languagemap in {} matches language {lang}: only blank lines will end sentences",
                path.display()
            );
        }
    }
}

fn build_segmenter(
    lang: &LangTag,
    abbreviations: Option<&Path>,
    srx: Option<&SrxRules>,
) -> Result<Segmenter> {
    let builder = Segmenter::builder(lang);
    let builder = match abbreviations {
        Some(path) => builder
            .abbreviations_file(path)
            .context("--abbreviations")?,
        None => builder,
    };
    let builder = match srx {
        Some(rules) => builder.srx(rules.clone()),
        None => builder,
    };
    Ok(builder.build())
}

pub fn run(args: SegmentArgs, global: &Global) -> Result<ExitCode> {
    let srx = args.srx.load(global)?;
    let mut out = Output::create(args.output.as_deref())?;
    let inputs: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let from = match args.input_format {
        Some(from) => {
            super::deprecated("--input-format", "--from", global);
            from
        }
        None => args.from,
    };
    match from {
        InputFormat::Text => {
            let raw = args
                .lang
                .as_deref()
                .context("--lang is required for text input (e.g. --lang en)")?;
            let lang = parse_lang(raw)?;
            warn_if_no_srx_rules(srx.as_ref(), args.srx.srx.as_deref(), &lang, global);
            let segmenter = build_segmenter(&lang, args.abbreviations.as_deref(), srx.as_ref())?;
            let bar = progress::bar(global, inputs.len() as u64, "segmenting");
            let name_files = inputs.len() > 1;
            for (n, path) in inputs.iter().enumerate() {
                if n > 0 && args.format == SegmentFormat::Lines {
                    out.write_all(b"\n").map_err(|e| out.context(e))?;
                }
                segment_text(
                    &segmenter,
                    path,
                    name_files,
                    args.format,
                    args.encoding,
                    &mut out,
                )?;
                bar.inc(1);
            }
            bar.finish_and_clear();
        }
        InputFormat::Jsonl => {
            let default_lang = args.lang.as_deref().map(parse_lang).transpose()?;
            for path in &inputs {
                segment_records(
                    default_lang.as_ref(),
                    args.abbreviations.as_deref(),
                    srx.as_ref(),
                    path,
                    args.encoding,
                    &mut out,
                )?;
            }
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn open(path: &Path, encoding: super::EncodingArg) -> Result<Box<dyn Read>> {
    if encoding.encoding.is_some() {
        let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(open_file(path)?)
        };
        return encoding
            .decode(raw)
            .map(|r| -> Box<dyn Read> { r })
            .map_err(|e| anyhow::Error::new(e.in_file(Path::new(&display_name(path)))));
    }
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    Ok(Box::new(open_file(path)?))
}

fn open_file(path: &Path) -> Result<std::fs::File> {
    if path.is_dir() {
        anyhow::bail!("{}: is a directory, not a text file", path.display());
    }
    std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))
}

fn display_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

fn segment_text(
    segmenter: &Segmenter,
    path: &Path,
    name_file: bool,
    format: SegmentFormat,
    encoding: super::EncodingArg,
    out: &mut Output,
) -> Result<()> {
    let name = display_name(path);
    let reader = open(path, encoding)?;
    let mut last_paragraph = None;
    for sentence in segmenter.stream(reader) {
        let sentence = sentence.map_err(|e| anyhow::Error::new(e.in_file(Path::new(&name))))?;
        let written = match format {
            SegmentFormat::Lines => {
                let mut line = String::with_capacity(sentence.text.len() + 2);
                if last_paragraph.is_some_and(|p| p != sentence.paragraph) {
                    line.push('\n');
                }
                if memchr::memchr2(b'\n', b'\r', sentence.text.as_bytes()).is_some() {
                    line.extend(sentence.text.chars().map(|c| {
                        if c == '\n' || c == '\r' {
                            ' '
                        } else {
                            c
                        }
                    }));
                } else {
                    line.push_str(&sentence.text);
                }
                line.push('\n');
                out.write_all(line.as_bytes())
            }
            SegmentFormat::Jsonl => {
                let record = SentenceRecord {
                    file: name_file.then_some(name.as_str()),
                    text: &sentence.text,
                    span: sentence.span,
                    paragraph: sentence.paragraph,
                };
                let mut line = serde_json::to_vec(&record)?;
                line.push(b'\n');
                out.write_all(&line)
            }
        };
        written.map_err(|e| out.context(e))?;
        last_paragraph = Some(sentence.paragraph);
    }
    Ok(())
}

fn segment_records(
    default_lang: Option<&LangTag>,
    abbreviations: Option<&Path>,
    srx: Option<&SrxRules>,
    path: &Path,
    encoding: super::EncodingArg,
    out: &mut Output,
) -> Result<()> {
    let name = display_name(path);
    let reader = std::io::BufReader::new(open(path, encoding)?);
    let mut cache: Vec<(String, Segmenter)> = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line_no = n + 1;
        let line = line.with_context(|| format!("{name}:{line_no}: cannot read"))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: InputRecord = serde_json::from_str(&line).with_context(|| {
            format!("{name}:{line_no}: expected a JSON object with \"id\" and \"text\"")
        })?;
        let lang = match (&record.lang, default_lang) {
            (Some(raw), _) => {
                LangTag::parse(raw).with_context(|| format!("{name}:{line_no}: \"lang\""))?
            }
            (None, Some(lang)) => lang.clone(),
            (None, None) => anyhow::bail!(
                "{name}:{line_no}: the record has no \"lang\" and no --lang was given"
            ),
        };
        let segmenter = match cache.iter().find(|(code, _)| *code == lang.as_str()) {
            Some((_, s)) => s.clone(),
            None => {
                let s = build_segmenter(&lang, abbreviations, srx)?;
                cache.push((lang.as_str().to_string(), s.clone()));
                s
            }
        };
        let sentences = segmenter.segment(&record.text);
        let result = OutputRecord {
            id: &record.id,
            lang: lang.as_str(),
            sentences: sentences
                .iter()
                .map(|s| s.span.slice(&record.text))
                .collect(),
            spans: sentences.iter().map(|s| s.span).collect(),
        };
        let mut bytes = serde_json::to_vec(&result)?;
        bytes.push(b'\n');
        out.write_all(&bytes).map_err(|e| out.context(e))?;
    }
    Ok(())
}
