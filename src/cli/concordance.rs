//! `bitext concordance`: stored units whose text contains a word or phrase.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::tm::{self, TextOrJson, TmArgs};
use super::{output::Output, progress, Global};
use bitext::memory::{ConcordanceHit, ConcordanceOptions, Memory};
use bitext::text::Span;
use bitext::unit::Variant;
use bitext::ErrorKind;

/// Find stored units whose source or target contains a word or phrase.
///
/// Case-insensitive substring search in any script (a trigram index); the hits are
/// highlighted (**like this**, or in reverse video on a terminal), newest units first.
/// The first search after an import brings the index up to date, which takes a while
/// on a large import.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext concordance Biysk --max 2 --tm memory.sqlite\n  bitext concordance \"cruel treatment\" -s en"
)]
pub struct ConcordanceArgs {
    /// The word or phrase.
    pub term: String,
    /// Search only texts in this language (default: every language); other variants of
    /// it too (en and en-US for en-GB) unless --strict-lang.
    #[arg(long, short = 's', value_name = "LANG")]
    pub src_lang: Option<String>,
    /// Show the translation in this language (default: every other language).
    #[arg(long, short = 't', value_name = "LANG")]
    pub tgt_lang: Option<String>,
    /// Most units shown.
    #[arg(long, default_value_t = 20)]
    pub max: usize,
    /// Match language tags exactly: `en` then does not find `en-US`, nor `en-GB` `en`.
    #[arg(long)]
    pub strict_lang: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub tm: TmArgs,
}

#[derive(Serialize)]
struct HitRecord<'a> {
    unit: i64,
    matched: &'a Variant,
    highlights: &'a [Span],
    others: &'a [Variant],
}

pub fn run(args: ConcordanceArgs, global: &Global) -> Result<ExitCode> {
    let memory = open_updated(&args.tm, global)?;
    let lang = |raw: &Option<String>, what| {
        raw.as_deref()
            .map(|l| tm::held_lang(&memory, l, what))
            .transpose()
    };
    let mut options = ConcordanceOptions::default();
    options.lang = lang(&args.src_lang, "--src-lang")?;
    options.target = lang(&args.tgt_lang, "--tgt-lang")?;
    options.max = args.max;
    options.strict_lang = args.strict_lang;
    let hits = memory.concordance(&args.term, &options)?;
    let mut out = Output::create(args.output.as_deref())?;
    let color = args.output.is_none() && std::io::stdout().is_terminal();
    for hit in &hits {
        let text = match args.format {
            TextOrJson::Jsonl => {
                let mut s = serde_json::to_string(&HitRecord {
                    unit: hit.unit,
                    matched: &hit.matched,
                    highlights: &hit.highlights,
                    others: &hit.others,
                })?;
                s.push('\n');
                s
            }
            TextOrJson::Text => format_hit(hit, color),
        };
        out.write_all(text.as_bytes()).map_err(|e| out.context(e))?;
    }
    if hits.is_empty() && args.format == TextOrJson::Text && !global.quiet {
        eprintln!("no unit contains {:?}", args.term);
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// Opens the memory and brings its concordance index up to date if it can write to
/// it; otherwise (read-only file, another writer busy) the search scans what the
/// index lacks. A search is a read: it does not wait for another process's write
/// (an import holds the memory for minutes) to update the index.
fn open_updated(tm_args: &TmArgs, global: &Global) -> Result<Memory> {
    let Ok(mut memory) = tm_args.open_write(false) else {
        return tm_args.open_read();
    };
    let pending = memory.concordance_pending()?;
    if pending > 0 {
        memory.set_busy_timeout(std::time::Duration::ZERO)?;
        let bar = progress::bar(global, pending as u64, "indexing for concordance");
        if let Err(err) = memory.update_concordance(|done| bar.set_position(done)) {
            if matches!(err.kind(), ErrorKind::Damaged(_)) {
                return Err(err.into());
            }
            if matches!(err.kind(), ErrorKind::Busy) {
                // Not a problem: the search is complete without the index, only slower;
                // the next search after the other write updates the index.
                if !global.quiet {
                    eprintln!(
                        "bitext: note: another process is writing to the memory; searching \
                         without updating the concordance index"
                    );
                }
            } else if !global.quiet {
                eprintln!("bitext: warning: the concordance index was not updated ({err}); searching without it");
            }
        }
        bar.finish_and_clear();
        memory.set_busy_timeout(tm_args.busy_timeout())?;
    }
    Ok(memory)
}

fn format_hit(hit: &ConcordanceHit, color: bool) -> String {
    let mut s = format!("unit {}\n  {}: ", hit.unit, hit.matched.lang);
    let text = &hit.matched.text;
    let mut at = 0;
    for span in &hit.highlights {
        s.push_str(&text[at..span.start]);
        let (open, close) = if color {
            ("\x1b[7m", "\x1b[0m")
        } else {
            ("**", "**")
        };
        s.push_str(open);
        s.push_str(span.slice(text));
        s.push_str(close);
        at = span.end;
    }
    s.push_str(&text[at..]);
    s.push('\n');
    for v in &hit.others {
        s.push_str(&format!("  {}: {}\n", v.lang, v.text));
    }
    s
}
