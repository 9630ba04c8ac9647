//! `bitext pretranslate file.xlf`: fill the empty targets of an XLIFF file from the
//! memory and write the file back, changed only where targets and matches were
//! written (see `formats::xliff::patch`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use super::output::Output;
use super::pretranslate::PretranslateArgs;
use super::{progress, Global};
use bitext::formats::xliff::XliffStream;
use bitext::pretranslate::xliff::{FillOptions, XliffFiller};

/// An XLIFF file that is not `args.doc` as it is: one made from a text document
/// (`pretranslate doc.txt -f …`, `convert doc.txt doc.xlf --tm`), and what becomes of
/// the pre-translated XLIFF before it is written (the text document rebuilt).
pub(super) struct Made {
    /// The document's name, for the reports.
    pub name: String,
    /// The XLIFF (`None`: `args.doc` itself).
    pub xliff: Option<Vec<u8>>,
    /// Turns the pre-translated XLIFF into what is written.
    pub finish: Box<dyn FnOnce(Vec<u8>) -> Result<Vec<u8>>>,
}

pub fn run(args: PretranslateArgs, global: &Global) -> Result<ExitCode> {
    run_made(args, global, None)
}

/// Pre-translates `args.doc`, or the XLIFF `made` from it. A made XLIFF goes through
/// the same streaming path by way of a temporary file, and so does its output, which
/// `made.finish` then turns into what is written.
pub(super) fn run_made(
    args: PretranslateArgs,
    global: &Global,
    made: Option<Made>,
) -> Result<ExitCode> {
    let memory = args.tm.open_read()?;
    let tm_path = args.tm.path()?;
    let origin = format!(
        "bitext:{}",
        tm_path
            .file_stem()
            .map_or_else(|| "memory".into(), |s| s.to_string_lossy())
    );
    let (name, input, made) = match made {
        Some(m) => {
            let input = match &m.xliff {
                Some(xliff) => {
                    let mut input =
                        tempfile::NamedTempFile::new().context("cannot make a temporary file")?;
                    input
                        .write_all(xliff)
                        .context("cannot write a temporary file")?;
                    Some(input)
                }
                None => None,
            };
            let output = tempfile::NamedTempFile::new().context("cannot make a temporary file")?;
            (m.name, input, Some((m.finish, output)))
        }
        None => {
            if args.doc.is_dir() {
                bail!("{}: is a directory, not a document", args.doc.display());
            }
            (args.doc.display().to_string(), None, None)
        }
    };
    let input_path = input.as_ref().map_or(args.doc.as_path(), |t| t.path());
    // Units are read, looked up and written a batch at a time: a big file goes
    // through in bounded memory.
    let mut stream = XliffStream::open(input_path)?;
    let size = std::fs::metadata(input_path).map_or(0, |m| m.len());
    // Standard output gets the file once it is complete: an error late in the input
    // (a truncated end) must not leave half a document there.
    let mut out = Output::create_whole(match &made {
        Some((_, output)) => Some(output.path()),
        None => args.output.as_deref(),
    })?;
    let min = args.min.unwrap_or(100);
    let mut fill = FillOptions::default();
    fill.min = min;
    fill.candidate_min = args.candidate_min;
    fill.candidates = args.candidates;
    fill.strict_lang = args.langs.strict_lang;
    fill.origin = origin;
    let mut filler = XliffFiller::new(&memory, fill);
    // An empty memory fills nothing: the file is written back as it is (and analysed),
    // whatever its languages.
    let empty_memory = memory.languages()?.languages.is_empty();
    if empty_memory && !global.quiet {
        eprintln!(
            "bitext: warning: the memory {} holds no units: nothing can be filled",
            tm_path.display()
        );
    }
    let bar = progress::bar(global, size, "pre-translating (bytes)");
    let mut changed = false;
    while let Some(mut doc) = stream.next_batch()? {
        if !filler.has_languages() && !empty_memory {
            let (file_src, file_tgt) = XliffFiller::declared_languages(&doc);
            let (src, tgt) =
                args.langs
                    .pair_or(&memory, file_src.as_deref(), file_tgt.as_deref(), global)?;
            filler.look_up(src, tgt);
        }
        filler.fill(&mut doc)?;
        changed |= doc.is_changed();
        let bytes = doc.output()?;
        bar.inc(bytes.len() as u64);
        out.write_all(&bytes).map_err(|e| out.context(e))?;
    }
    if !filler.has_languages() && !empty_memory {
        // No units: the languages are still checked against the memory.
        args.langs.pair(&memory, global)?;
    }
    let mut rest = stream.finish()?;
    std::io::copy(&mut rest, &mut out).map_err(|e| out.context(e))?;
    bar.finish_and_clear();
    out.finish()?;
    if let Some((finish, output)) = made {
        let xliff = std::fs::read(output.path()).context("cannot read a temporary file")?;
        let bytes = finish(xliff)?;
        let mut out = Output::create(args.output.as_deref())?;
        out.write_all(&bytes).map_err(|e| out.context(e))?;
        out.finish()?;
    }
    let filled = filler.into_filled();
    let (total, exact, fuzzy) = (filled.segments, filled.exact, filled.fuzzy);
    let (analysis, left) = (&filled.analysis, &filled.left);
    if let Some(path) = &args.stats_json {
        let mut stats = Output::create(Some(path))?;
        let json = serde_json::json!({
            "document": name,
            "segments": total,
            "words": analysis.words(),
            "bands": analysis.bands(),
            "filled": {"exact": exact, "fuzzy": fuzzy},
            "left": left,
        });
        writeln!(stats, "{}", serde_json::to_string_pretty(&json)?)
            .map_err(|e| stats.context(e))?;
        stats.finish()?;
    }
    if !global.quiet {
        eprint!("{}", analysis.table(&name));
        eprintln!(
            "filled {} targets ({exact} exact, {fuzzy} fuzzy, --min {min}){}",
            exact + fuzzy,
            if changed {
                ""
            } else {
                "; the file is unchanged"
            }
        );
        for (why, n) in left {
            eprintln!("left as is: {n} segments: {why}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
