//! `bitext pretranslate`: segment a document, fill in the best match for each
//! segment, and count the segments and words per match band (the analysis
//! translators quote from).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::tm::{self, TmArgs};
use super::{output::Output, progress, Global};
use bitext::memory::Analyzed;
use bitext::memory::{Hit, LookupOptions, Query};
use bitext::pretranslate::{Analysis, BANDS};
use bitext::text::Span;

/// Pre-translate a document from the memory and analyse it for a quote.
///
/// The document (plain text, UTF-8 or UTF-16 with BOM) is split into sentences; each
/// is looked up with its neighbours as context. The best match per segment is
/// written as TSV (segment, percent, source, target, matched source, unit) or JSON
/// Lines; the analysis goes to standard error: segments and words that are in-context
/// matches (101 %), repetitions within the document, exact (100 %) and fuzzy matches
/// (95-99, 85-94, 75-84, 50-74) and new text.
///
/// Languages: as in `bitext lookup` (the memory's only pair by default; other variants
/// of a language found one point lower per side; a pair the memory lacks is refused).
///
/// An XLIFF file (.xlf, .xliff, .sdlxliff, .mqxliff, or a root <xliff>) is written
/// back pre-translated (-o, else standard output): each empty or missing target whose
/// state is not translated or beyond gets the best match >= --min (default 100 for
/// XLIFF), its inline codes taken from the source; matches >= --candidate-min are
/// recorded (1.2 alt-trans, 2.x mtc:match). Every other byte stays as it was.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext pretranslate doc.txt -s en -t ru --tm memory.sqlite\n  bitext pretranslate project.xlf --tm memory.sqlite -o project.pre.xlf\n  bitext pretranslate doc.txt -s en -t ru --tm memory.sqlite --to txt -o doc.ru.txt"
)]
pub struct PretranslateArgs {
    /// The document ("-" for standard input).
    pub doc: PathBuf,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub langs: tm::LookupLangArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub encoding: super::EncodingArg,
    /// Lowest match percentage used (matches below are "no match"). Default: 50 for
    /// text; 100 for XLIFF (only exact matches fill targets).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=101))]
    pub min: Option<u32>,
    /// XLIFF: lowest percentage of the matches recorded as candidates (alt-trans,
    /// mtc:match).
    #[arg(long, default_value_t = 70, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=101))]
    pub candidate_min: u32,
    /// XLIFF: how many matches to record per segment (the one used first); 0: none.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub candidates: usize,
    /// What to write: the segments with their best matches (`tsv`, `jsonl`), or the
    /// document itself: `txt` the translated text (each sentence with a match >= --min,
    /// default 100, replaced by its translation, the others as they are, white space
    /// and paragraphs kept); `xliff`, `xliff2` the text as XLIFF 1.2 or 2.0 with those
    /// targets filled (as `convert --tm` makes it). An XLIFF document (made by bitext
    /// from a text) goes to `txt` too. An XLIFF input is written as XLIFF whatever this
    /// says.
    #[arg(long, short = 'f', visible_alias = "to", value_enum, default_value_t = PretranslateFormat::Tsv)]
    pub format: PretranslateFormat,
    /// With -f xliff or xliff2: sentences left without a translation get a target
    /// holding their source (1.2 state="new"), which OmegaT, and tools like it that
    /// translate the target's content, need.
    #[arg(long)]
    pub copy_source: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub srx: super::segment::SrxArgs,
    /// Write the segments to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the analysis as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,
    #[command(flatten)]
    pub tm: TmArgs,
}

/// What `pretranslate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PretranslateFormat {
    /// The segments, tab-separated, with a header row.
    Tsv,
    /// The segments, one JSON object each.
    Jsonl,
    /// The translated text.
    Txt,
    /// The document as XLIFF 1.2.
    Xliff,
    /// The document as XLIFF 2.0.
    Xliff2,
}

impl PretranslateFormat {
    /// The document format, if this writes the document rather than its segments.
    pub fn document(self) -> Option<DocumentFormat> {
        match self {
            PretranslateFormat::Tsv | PretranslateFormat::Jsonl => None,
            PretranslateFormat::Txt => Some(DocumentFormat::Txt),
            PretranslateFormat::Xliff => Some(DocumentFormat::Xliff),
            PretranslateFormat::Xliff2 => Some(DocumentFormat::Xliff2),
        }
    }
}

/// The documents `pretranslate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// The translated text.
    Txt,
    /// XLIFF 1.2.
    Xliff,
    /// XLIFF 2.0.
    Xliff2,
}

#[derive(Serialize)]
struct SegmentRecord<'a> {
    segment: usize,
    paragraph: usize,
    span: Span,
    source: &'a str,
    words: usize,
    band: &'static str,
    #[serde(rename = "match")]
    best: Option<&'a Hit>,
}

/// Whether the document is XLIFF: by its extension, else by its root element.
fn is_xliff(path: &std::path::Path) -> bool {
    if bitext::formats::Format::from_path(path) == Some(bitext::formats::Format::Xliff) {
        return true;
    }
    if path.as_os_str() == "-" || path.is_dir() {
        return false;
    }
    let mut prefix = Vec::new();
    let ok = std::fs::File::open(path)
        .and_then(|f| f.take(8192).read_to_end(&mut prefix))
        .is_ok();
    ok && bitext::formats::Format::sniff(&prefix) == Some(bitext::formats::Format::Xliff)
}

pub fn run(args: PretranslateArgs, global: &Global) -> Result<ExitCode> {
    if let Some(to) = args.format.document() {
        let xliff = is_xliff(&args.doc);
        return super::pretranslate_document::run(args, to, xliff, global);
    }
    if args.copy_source {
        bail!(
            "--copy-source needs -f xliff or -f xliff2 (it fills the targets of an XLIFF document)"
        );
    }
    if is_xliff(&args.doc) {
        return super::pretranslate_xliff::run(args, global);
    }
    let memory = args.tm.open_read()?;
    let (src, tgt) = args.langs.pair(&memory, global)?;
    let mut raw = Vec::new();
    let name = if args.doc.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut raw)
            .context("cannot read standard input")?;
        "<stdin>".to_string()
    } else {
        if args.doc.is_dir() {
            bail!("{}: is a directory, not a document", args.doc.display());
        }
        raw = std::fs::read(&args.doc)
            .with_context(|| format!("cannot read {}", args.doc.display()))?;
        args.doc.display().to_string()
    };
    if let Some(encoding) = args.encoding.encoding {
        raw = bitext::text::input::decode_all(
            raw,
            Some(encoding),
            Some(std::path::Path::new(&name)),
        )?
        .into_bytes();
    }
    let segmenter = args.srx.segmenter(&src, global)?;
    let sentences: Vec<bitext::segment::OwnedSentence> = segmenter
        .stream(raw.as_slice())
        .collect::<bitext::Result<_>>()
        .map_err(|e| anyhow::Error::new(e.in_file(std::path::Path::new(&name))))?;
    let mut options = LookupOptions::new(tgt);
    options.min_percent = args.min.unwrap_or(50);
    options.max = 1;
    options.strict_lang = args.langs.strict_lang;
    let mut out = Output::create(args.output.as_deref())?;
    if args.format == PretranslateFormat::Tsv {
        out.write_all(b"segment\tpercent\tsource\ttarget\tmatched_source\tunit\n")
            .map_err(|e| out.context(e))?;
    }
    let mut analysis = Analysis::new();
    let bar = progress::bar(global, sentences.len() as u64, "pre-translating");
    for (i, sentence) in sentences.iter().enumerate() {
        let text = sentence
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let analyzed = Analyzed::new(&text);
        let words = analyzed.word_count();
        let mut query = Query::new(text.clone(), src.clone());
        query.prev = i.checked_sub(1).map(|p| flatten(&sentences[p].text));
        query.next = sentences.get(i + 1).map(|s| flatten(&s.text));
        let best = if analyzed.is_empty() {
            None
        } else {
            memory.lookup(&query, &options)?.into_iter().next()
        };
        let band = analysis.add(&text, words, best.as_ref().map(|h| h.score.percent));
        let line = match args.format {
            PretranslateFormat::Jsonl => {
                let mut line = serde_json::to_string(&SegmentRecord {
                    segment: i + 1,
                    paragraph: sentence.paragraph,
                    span: sentence.span,
                    source: &text,
                    words,
                    band: BANDS[band],
                    best: best.as_ref(),
                })?;
                line.push('\n');
                line
            }
            _ => {
                let cells = [
                    (i + 1).to_string(),
                    best.as_ref()
                        .map_or(String::new(), |h| h.score.percent.to_string()),
                    text.clone(),
                    best.as_ref()
                        .map_or(String::new(), |h| h.target.text.clone()),
                    best.as_ref()
                        .map_or(String::new(), |h| h.source.text.clone()),
                    best.as_ref().map_or(String::new(), |h| h.unit.to_string()),
                ];
                let mut line = cells.map(|c| tsv_cell(&c)).join("\t");
                line.push('\n');
                line
            }
        };
        out.write_all(line.as_bytes()).map_err(|e| out.context(e))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    out.finish()?;
    if let Some(path) = &args.stats_json {
        let mut stats = Output::create(Some(path))?;
        let json = serde_json::json!({
            "document": name,
            "segments": sentences.len(),
            "words": analysis.words(),
            "bands": analysis.bands(),
        });
        writeln!(stats, "{}", serde_json::to_string_pretty(&json)?)
            .map_err(|e| stats.context(e))?;
        stats.finish()?;
    }
    if !global.quiet {
        eprint!("{}", analysis.table(&name));
    }
    Ok(ExitCode::SUCCESS)
}

/// A sentence on one line (line breaks inside it become spaces).
fn flatten(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A TSV cell: tabs and line breaks would break the row, so they become spaces.
fn tsv_cell(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}
