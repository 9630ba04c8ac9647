//! `bitext pretranslate file.xlf`: fill the empty targets of an XLIFF file from the
//! memory and write the file back, changed only where targets and matches were
//! written (see `formats::xliff::patch`).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use rustc_hash::FxHashSet;

use super::output::Output;
use super::pretranslate::{analysis_table, band_of, Band, PretranslateArgs, BANDS};
use super::tm;
use super::{progress, Global};
use crate::formats::xliff::{Content, Match, XliffDocument};
use crate::memory::tokens::{nfc, Analyzed};
use crate::memory::{Hit, LookupOptions, Query};

fn content(v: &crate::unit::Variant) -> Content {
    Content {
        text: v.text.clone(),
        markup: v.markup.clone(),
    }
}

/// An XLIFF file that is not `args.doc` as it is: one made from a text document
/// (`pretranslate doc.txt --to …`, `convert doc.txt doc.xlf --tm`), and what becomes of
/// the pre-translated XLIFF before it is written (the text document rebuilt).
pub(super) struct Made {
    /// The document's name, for the reports.
    pub name: String,
    /// The file whose errors name (`None`: made here).
    pub path: Option<std::path::PathBuf>,
    /// The XLIFF.
    pub xliff: Vec<u8>,
    /// Turns the pre-translated XLIFF into what is written.
    pub finish: Box<dyn FnOnce(Vec<u8>) -> Result<Vec<u8>>>,
}

pub fn run(args: PretranslateArgs, global: &Global) -> Result<ExitCode> {
    run_made(args, global, None)
}

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
    let (name, raw, path, finish) = match made {
        Some(m) => (m.name, m.xliff, m.path, Some(m.finish)),
        None => {
            if args.doc.is_dir() {
                bail!("{}: is a directory, not a document", args.doc.display());
            }
            let raw = std::fs::read(&args.doc)
                .with_context(|| format!("cannot read {}", args.doc.display()))?;
            (
                args.doc.display().to_string(),
                raw,
                Some(args.doc.clone()),
                None,
            )
        }
    };
    let mut doc = XliffDocument::parse(raw, path.as_deref())?;
    let file_src = doc.units().iter().find_map(|u| u.source_lang_raw.clone());
    let file_tgt = doc.units().iter().find_map(|u| u.target_lang_raw.clone());
    let (src, tgt) = tm::lookup_langs(
        &memory,
        args.src_lang.as_deref().or(file_src.as_deref()),
        args.tgt_lang.as_deref().or(file_tgt.as_deref()),
        global,
    )?;
    let min = args.min.unwrap_or(100);
    let options = LookupOptions {
        target: tgt,
        min_percent: min.min(args.candidate_min),
        max: args.candidates.max(1),
        strict_lang: args.strict_lang,
        exhaustive: false,
    };
    let mut bands: Vec<Band> = BANDS
        .iter()
        .map(|b| Band {
            band: b.to_string(),
            ..Band::default()
        })
        .collect();
    let mut left: BTreeMap<String, u64> = BTreeMap::new();
    let (mut exact, mut fuzzy) = (0u64, 0u64);
    let mut seen: FxHashSet<String> = FxHashSet::default();
    // Every segment's source with its unit's file, for the context of each lookup.
    let order: Vec<(usize, usize)> = doc
        .units()
        .iter()
        .enumerate()
        .flat_map(|(u, unit)| (0..unit.segments.len()).map(move |s| (u, s)))
        .collect();
    let bar = progress::bar(global, order.len() as u64, "pre-translating");
    let mut total = 0usize;
    for (k, &(u, s)) in order.iter().enumerate() {
        bar.inc(1);
        if let Err(skip) = doc.fillable(u, s) {
            *left.entry(skip.reason().to_string()).or_default() += 1;
            continue;
        }
        total += 1;
        let units = doc.units();
        let unit = &units[u];
        let segment = &unit.segments[s];
        let neighbour = |j: Option<usize>| {
            let &(nu, ns) = order.get(j?)?;
            (units[nu].file_index == unit.file_index)
                .then(|| units[nu].segments[ns].source.text.clone())
        };
        let text = segment.source.text.clone();
        let query = Query {
            text: text.clone(),
            lang: src.clone(),
            markup: segment.source.markup.clone(),
            prev: neighbour(k.checked_sub(1)),
            next: neighbour(Some(k + 1)),
        };
        let analyzed = Analyzed::new(&text);
        let hits: Vec<Hit> = if analyzed.is_empty() {
            Vec::new()
        } else {
            memory.lookup(&query, &options)?
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
        let repeated = !seen.insert(nfc(&text).into_owned());
        let band = band_of(best.map(|m| m.percent), repeated);
        bands[band].segments += 1;
        bands[band].words += analyzed.word_count() as u64;
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
    bar.finish_and_clear();
    let changed = doc.is_changed();
    let mut bytes = doc.output()?;
    if let Some(finish) = finish {
        bytes = finish(bytes)?;
    }
    let mut out = Output::create(args.output.as_deref())?;
    out.write_all(&bytes).map_err(|e| out.context(e))?;
    out.finish()?;
    if let Some(path) = &args.stats_json {
        let mut stats = Output::create(Some(path))?;
        let json = serde_json::json!({
            "document": name,
            "segments": total,
            "words": bands.iter().map(|b| b.words).sum::<u64>(),
            "bands": bands,
            "filled": {"exact": exact, "fuzzy": fuzzy},
            "left": left,
        });
        writeln!(stats, "{}", serde_json::to_string_pretty(&json)?)
            .map_err(|e| stats.context(e))?;
        stats.finish()?;
    }
    if !global.quiet {
        eprint!("{}", analysis_table(&name, &bands));
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
