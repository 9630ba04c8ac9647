//! `bitext lookup`: fuzzy matches from the memory for one text or a file of queries.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::tm::{self, TextOrJson, TmArgs};
use super::{output::Output, Global};
use bitext::memory::diff_line;
use bitext::memory::{Hit, LookupOptions, LookupRequest, Memory, Query, QueryRecord};
use bitext::text::LangTag;

/// Find the closest stored translations of a text (fuzzy matches).
///
/// Every stored source scoring at least --min is considered; the best --max are
/// printed with their match percentage, source, translation and which words differ
/// ([-only in the stored source-]{+only in the query+}). The percentage is a
/// word-level edit distance: 100 = identical source, 101 = identical source and
/// context, 95-99 = same words with small differences (case, punctuation, numbers,
/// tags), below 95 = words differ.
///
/// Languages: -s/-t take BCP 47 tags. Without them, the memory's only language pair
/// is used. Units in another variant of a language are found too, one point lower per
/// side (en and en-US for -s en-GB; ru for -t ru-RU); --strict-lang turns that off.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext lookup \"Open the files.\" -s en -t ru --tm memory.sqlite\n  bitext lookup --queries segments.jsonl --from jsonl -s en -t ru --min 75 -f jsonl\n  cut -f1 doc.tsv | bitext lookup -s en -t ru"
)]
pub struct LookupArgs {
    /// The text to look up. "-", or none with standard input a pipe: the queries are
    /// read from standard input, as with --queries -.
    #[arg(conflicts_with = "queries")]
    pub text: Option<String>,
    /// A file of queries: one text a line, or JSON Lines {"text", "prev", "next",
    /// "markup", "id"} ("-" for standard input).
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// How to read the queries (default: JSON Lines if the first line starts with "{").
    #[arg(long, value_enum)]
    pub from: Option<QueriesFormat>,
    /// Deprecated spelling of --from.
    #[arg(long, value_enum, hide = true, conflicts_with = "from")]
    pub queries_format: Option<QueriesFormat>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub encoding: super::EncodingArg,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub langs: tm::LookupLangArgs,
    /// Lowest match percentage shown (1-101).
    #[arg(long, default_value_t = LookupRequest::DEFAULT_MIN_PERCENT, value_parser = tm::min_percent)]
    pub min: u32,
    /// Most matches shown per query.
    #[arg(long, default_value_t = LookupRequest::DEFAULT_MAX, value_parser = tm::at_least_one)]
    pub max: usize,
    /// The source segment before the text (for 101 % matches).
    #[arg(long, value_name = "TEXT", conflicts_with = "queries")]
    pub prev: Option<String>,
    /// The source segment after the text.
    #[arg(long, value_name = "TEXT", conflicts_with = "queries")]
    pub next: Option<String>,
    /// Compare with every stored text instead of using the index (slow; the ground
    /// truth for tests and benchmarks).
    #[arg(long)]
    pub exhaustive: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Add each lookup's time ("ms") to JSON output and print latency percentiles on
    /// standard error.
    #[arg(long)]
    pub timings: bool,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub tm: TmArgs,
}

/// How a queries file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueriesFormat {
    /// One query text a line.
    Lines,
    /// JSON Lines: {"text", "prev", "next", "markup", "id"}.
    Jsonl,
}

#[derive(Serialize)]
struct ResultRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    query: &'a str,
    matches: &'a [Hit],
    #[serde(skip_serializing_if = "Option::is_none")]
    ms: Option<f64>,
}

pub fn run(args: LookupArgs, global: &Global) -> Result<ExitCode> {
    let memory = args.tm.open_read()?;
    let (src, tgt) = args.langs.pair(&memory, global)?;
    let mut request = LookupRequest::new();
    request.min_percent = Some(args.min);
    request.max = Some(args.max);
    request.strict_lang = args.langs.strict_lang;
    request.exhaustive = args.exhaustive;
    let options = request.options(tgt)?;
    let mut out = Output::create(args.output.as_deref())?;
    let mut times = Vec::new();
    // `lookup -` and `… | lookup` read their queries from standard input.
    let queries = match (&args.queries, args.text.as_deref()) {
        (Some(path), _) => Some(path.clone()),
        (None, Some("-")) => Some(PathBuf::from("-")),
        (None, Some(_)) => None,
        (None, None) if !std::io::stdin().is_terminal() => Some(PathBuf::from("-")),
        (None, None) => {
            bail!("nothing to look up: give the TEXT, --queries FILE, or queries on standard input")
        }
    };
    match &queries {
        None => {
            let text = args.text.clone().unwrap_or_default();
            let query = request.query(&src, text, args.prev.clone(), args.next.clone(), None)?;
            answer(
                &memory, &query, None, None, &options, &args, &mut out, &mut times,
            )?;
        }
        Some(path) => {
            let mut reader = open(path, args.encoding)?;
            let name = path.display().to_string();
            let mut format = match args.queries_format {
                Some(from) => {
                    super::deprecated("--queries-format", "--from", global);
                    Some(from)
                }
                None => args.from,
            };
            let mut n = 0usize;
            let mut buf = Vec::new();
            for i in 0.. {
                let line = match read_query_line(&mut reader, &mut buf, &name, i + 1, path)? {
                    Some(line) => line,
                    None => break,
                };
                if line.trim().is_empty() {
                    continue;
                }
                let format = *format.get_or_insert(if line.trim_start().starts_with('{') {
                    QueriesFormat::Jsonl
                } else {
                    QueriesFormat::Lines
                });
                let at = || format!("{name}:{}", i + 1);
                let (query, id) = match format {
                    QueriesFormat::Lines => (
                        request
                            .query(&src, line, None, None, None)
                            .with_context(at)?,
                        None,
                    ),
                    QueriesFormat::Jsonl => {
                        let r: QueryRecord = serde_json::from_str(&line).with_context(|| {
                            format!(
                                "{name}:{}: expected a JSON object {{\"text\", \"prev\", \"next\", \
                                 \"markup\", \"id\"}}",
                                i + 1
                            )
                        })?;
                        request.record_query(&src, r).with_context(at)?
                    }
                };
                n += 1;
                answer(
                    &memory,
                    &query,
                    id.as_ref(),
                    Some((n, i + 1, &name)),
                    &options,
                    &args,
                    &mut out,
                    &mut times,
                )?;
            }
        }
    }
    out.finish()?;
    if args.timings && !global.quiet && !times.is_empty() {
        report_timings(&mut times);
    }
    Ok(ExitCode::SUCCESS)
}

/// The longest query: the memory's limit for a stored text (a longer one cannot
/// match anything stored, and would be slow to compare and to echo).
const QUERY_LIMIT: usize = bitext::memory::MAX_TEXT_BYTES;

/// The next line of a queries file (without its line ending), reading no more than a
/// query may hold (JSON Lines get room for their escapes and context): a longer line
/// is an error, found before it is read whole. `None` at the end.
fn read_query_line(
    reader: &mut Box<dyn BufRead>,
    buf: &mut Vec<u8>,
    name: &str,
    line: usize,
    path: &Path,
) -> Result<Option<String>> {
    use std::io::Read;
    let limit = 4 * QUERY_LIMIT;
    buf.clear();
    let n = reader
        .by_ref()
        .take(limit as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(
            |e| match bitext::text::input::located_input_error(&e, Some(path)) {
                Some(located) => anyhow::Error::new(located),
                None => anyhow::Error::new(e).context(format!("{name}:{line}: cannot read")),
            },
        )?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > limit && buf.last() != Some(&b'\n') {
        bail!(
            "{name}:{line}: a line of more than {} bytes: a query may be at most {} (the \
             memory's limit for a text); is this a document rather than one segment a line?",
            limit,
            bitext::text::count(QUERY_LIMIT as u64, "byte")
        );
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    // The decoder checked the text; a line is whole characters.
    let text = std::str::from_utf8(buf).with_context(|| format!("{name}:{line}: cannot read"))?;
    Ok(Some(text.to_string()))
}

/// The queries, decoded and checked as any text input (a byte-order mark, else
/// `--encoding`, else UTF-8; no NUL bytes).
fn open(path: &Path, encoding: super::EncodingArg) -> Result<Box<dyn BufRead>> {
    let raw: Box<dyn std::io::Read + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        if path.is_dir() {
            bail!("{}: is a directory, not a file of queries", path.display());
        }
        Box::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        )
    };
    let text =
        bitext::text::input::open_text(raw, encoding.encoding).map_err(|e| e.in_file(path))?;
    Ok(Box::new(text))
}

#[allow(clippy::too_many_arguments)]
fn answer(
    memory: &Memory,
    query: &Query,
    id: Option<&serde_json::Value>,
    numbered: Option<(usize, usize, &str)>,
    options: &LookupOptions,
    args: &LookupArgs,
    out: &mut Output,
    times: &mut Vec<f64>,
) -> Result<()> {
    let start = Instant::now();
    let hits = memory.lookup(query, options).map_err(|e| match numbered {
        Some((_, line, name)) => anyhow::Error::new(e).context(format!("{name}:{line}")),
        None => anyhow::Error::new(e),
    })?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    times.push(ms);
    let mut text = String::new();
    match args.format {
        TextOrJson::Jsonl => {
            let record = ResultRecord {
                id,
                query: &query.text,
                matches: &hits,
                ms: args.timings.then_some((ms * 1000.0).round() / 1000.0),
            };
            text = serde_json::to_string(&record)?;
            text.push('\n');
        }
        TextOrJson::Text => {
            if let Some((n, _, _)) = numbered {
                if n > 1 {
                    text.push('\n');
                }
                text.push_str(&format!("query {n}: {}\n", query.text));
            }
            if hits.is_empty() {
                text.push_str(&format!("  no match of {}% or more\n", options.min_percent));
            }
            for hit in &hits {
                text.push_str(&format_hit(hit, &options.target));
            }
        }
    }
    out.write_all(text.as_bytes()).map_err(|e| out.context(e))
}

/// A match for people: percentage, unit, source, target and word diff.
pub(crate) fn format_hit(hit: &Hit, _target: &LangTag) -> String {
    let mut s = format!(
        "{:>4}%  unit {}\n  {}: {}\n  {}: {}\n  diff: {}\n",
        hit.score.percent,
        hit.unit,
        hit.source.lang,
        hit.source.text,
        hit.target.lang,
        hit.target.text,
        diff_line(&hit.diff)
    );
    // The word diff compares plain text: where only inline tags differ it shows
    // nothing, so the stored source is shown with its tags.
    if let Some(penalty) = hit.score.penalty.filter(|p| p.tags > 0) {
        let stored = hit.source.markup.as_deref().unwrap_or("(no tags)");
        let _ = writeln!(
            s,
            "  tags: {} point{} off for inline tags; stored: {stored}",
            penalty.tags,
            if penalty.tags == 1 { "" } else { "s" }
        );
    }
    s
}

fn report_timings(times: &mut [f64]) {
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let k = (times.len() - 1) as f64 * p / 100.0;
        let (lo, hi) = (k.floor() as usize, k.ceil() as usize);
        times[lo] + (times[hi] - times[lo]) * (k - lo as f64)
    };
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    eprintln!(
        "lookups: {}  p50 {:.3} ms  p95 {:.3} ms  p99 {:.3} ms  mean {:.3} ms  max {:.3} ms",
        times.len(),
        pct(50.0),
        pct(95.0),
        pct(99.0),
        mean,
        times[times.len() - 1]
    );
}
