//! `bitext pretranslate file.xlf`: fill the empty targets of an XLIFF file from the
//! memory and write the file back, changed only where targets and matches were
//! written (see `formats::xliff::patch`).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use super::output::Output;
use super::pretranslate::PretranslateArgs;
use super::tm;
use super::{progress, Global};
use bitext::formats::xliff::{Content, Match, XliffStream};
use bitext::memory::Analyzed;
use bitext::memory::{Hit, LookupOptions, Query};
use bitext::pretranslate::Analysis;

fn content(v: &bitext::unit::Variant) -> Content {
    Content {
        text: v.text.clone(),
        markup: v.markup.clone(),
    }
}

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
    let mut langs = None;
    // An empty memory fills nothing: the file is written back as it is (and analysed),
    // whatever its languages.
    let empty_memory = memory.languages()?.languages.is_empty();
    if empty_memory && !global.quiet {
        eprintln!(
            "bitext: warning: the memory {} holds no units: nothing can be filled",
            tm_path.display()
        );
    }
    let mut analysis = Analysis::new();
    let mut left: BTreeMap<String, u64> = BTreeMap::new();
    let (mut exact, mut fuzzy) = (0u64, 0u64);
    // The last segment of the batch before: its file and source (context).
    let mut before: Option<(usize, String)> = None;
    let bar = progress::bar(global, size, "pre-translating (bytes)");
    let mut total = 0usize;
    let mut changed = false;
    while let Some(mut doc) = stream.next_batch()? {
        if langs.is_none() && !empty_memory {
            let file_src = doc.units().iter().find_map(|u| u.source_lang_raw.clone());
            let file_tgt = doc.units().iter().find_map(|u| u.target_lang_raw.clone());
            let (src, tgt) = tm::lookup_langs(
                &memory,
                args.src_lang.as_deref().or(file_src.as_deref()),
                args.tgt_lang.as_deref().or(file_tgt.as_deref()),
                global,
            )?;
            let mut options = LookupOptions::new(tgt);
            options.min_percent = min.min(args.candidate_min);
            options.max = args.candidates.max(1);
            options.strict_lang = args.strict_lang;
            langs = Some((src, options));
        }
        // Every segment of the batch with its unit's file, for the context of lookups.
        let order: Vec<(usize, usize)> = doc
            .units()
            .iter()
            .enumerate()
            .flat_map(|(u, unit)| (0..unit.segments.len()).map(move |s| (u, s)))
            .collect();
        for (k, &(u, s)) in order.iter().enumerate() {
            let fillable = doc.fillable(u, s);
            let units = doc.units();
            let unit = &units[u];
            let segment = &unit.segments[s];
            let file = unit.file_index;
            let text = segment.source.text.clone();
            let prev = match k.checked_sub(1) {
                Some(j) => {
                    let (pu, ps) = order[j];
                    Some((
                        units[pu].file_index,
                        units[pu].segments[ps].source.text.clone(),
                    ))
                }
                None => before.take(),
            };
            let next = match order.get(k + 1) {
                Some(&(nu, ns)) => Some((
                    units[nu].file_index,
                    units[nu].segments[ns].source.text.clone(),
                )),
                None => doc.next_source().map(|(f, t)| (f, t.to_string())),
            };
            let same_file =
                |n: Option<(usize, String)>| n.filter(|(f, _)| *f == file).map(|(_, t)| t);
            if k + 1 == order.len() {
                before = Some((file, text.clone()));
            }
            if let Err(skip) = fillable {
                *left.entry(skip.reason().to_string()).or_default() += 1;
                continue;
            }
            total += 1;
            let analyzed = Analyzed::new(&text);
            let hits: Vec<Hit> = match &langs {
                Some((src, options)) if !analyzed.is_empty() => {
                    let mut query = Query::new(text.clone(), src.clone());
                    query.markup = segment.source.markup.clone();
                    query.prev = same_file(prev);
                    query.next = same_file(next);
                    memory.lookup(&query, options)?
                }
                // An empty memory, or nothing a memory can match.
                _ => Vec::new(),
            };
            let matches: Vec<Match> = hits
                .iter()
                .map(|h| Match {
                    percent: h.score.percent,
                    source: content(&h.source),
                    target: content(&h.target),
                    origin: origin.clone(),
                })
                .collect();
            let best = matches.first().filter(|m| m.percent >= min);
            analysis.add(&text, analyzed.word_count(), best.map(|m| m.percent));
            let rest: Vec<Match> = if args.candidates == 0 {
                Vec::new()
            } else {
                let skip = usize::from(best.is_some());
                matches
                    .iter()
                    .skip(skip)
                    .filter(|m| m.percent >= args.candidate_min)
                    .take(args.candidates - skip.min(args.candidates))
                    .cloned()
                    .collect()
            };
            match doc.fill(u, s, best, &rest)? {
                Ok(()) => match best {
                    Some(m) if m.percent >= 100 => exact += 1,
                    Some(_) => fuzzy += 1,
                    None => {}
                },
                Err(why) => *left.entry(why.to_string()).or_default() += 1,
            }
        }
        changed |= doc.is_changed();
        let bytes = doc.output()?;
        bar.inc(bytes.len() as u64);
        out.write_all(&bytes).map_err(|e| out.context(e))?;
    }
    if langs.is_none() && !empty_memory {
        // No units: the languages are still checked against the memory.
        tm::lookup_langs(
            &memory,
            args.src_lang.as_deref(),
            args.tgt_lang.as_deref(),
            global,
        )?;
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
        for (why, n) in &left {
            eprintln!("left as is: {n} segments: {why}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
