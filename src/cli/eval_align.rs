//! `bitext eval align`: score alignments against gold beads, or align and score.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Serialize;

use super::align::{
    encode_pair, format_bead, read_document, semantic_note, vectors_in_dir, with_threads,
    AlignerOptions,
};
use super::{output::Output, Global};
use bitext::align::{decode_text, AlignCheck, Alignment, Document};
use bitext::eval::align::{beads_of, count_doc, read_beads, AlignCounts, BeadIds};
use bitext::eval::calibration::{calibration, score_bins, scored_beads, CalibrationRow, ScoreBin};
use bitext::semantic::{self, SentenceEncoder};
use bitext::text::LangTag;

/// Arguments of `bitext eval align`.
///
/// Three ways to use it:
///   bitext eval align --gold G1 G2 --hyp H1 H2          # score bead files
///   bitext eval align --src S1 S2 --tgt T1 T2 --gold G1 G2   # align, then score
///   bitext eval align --sets bench/align_sets.tsv       # every set of a listing
/// Texts are one sentence a line. Documents given together are aligned as one batch
/// (the learned lexicon is pooled), unless --separately.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct EvalAlignArgs {
    /// Gold bead files (`[src ids]:[tgt ids]` lines).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub gold: Vec<PathBuf>,
    /// Hypothesis bead files, in the order of --gold.
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["src", "tgt", "sets"])]
    pub hyp: Vec<PathBuf>,
    /// Source texts to align, in the order of --gold.
    #[arg(long, num_args = 1.., value_name = "FILE", requires = "tgt")]
    pub src: Vec<PathBuf>,
    /// Target texts to align, in the order of --gold.
    #[arg(long, num_args = 1.., value_name = "FILE", requires = "src")]
    pub tgt: Vec<PathBuf>,
    /// A listing of evaluation sets, one document a line:
    /// `set<TAB>source<TAB>target<TAB>gold`, paths relative to the listing's folder.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["gold", "src", "tgt"])]
    pub sets: Option<PathBuf>,
    /// Only these sets of the listing.
    #[arg(long = "set", value_name = "NAME")]
    pub only: Vec<String>,
    /// Align each document on its own instead of as one batch per set.
    #[arg(long)]
    pub separately: bool,
    /// Also print each document's scores.
    #[arg(long)]
    pub per_doc: bool,
    /// Also print how precise the kept beads are when the lowest-scored ones are
    /// dropped (the calibration of --min-score).
    #[arg(long)]
    pub calibration: bool,
    /// With --calibration: count only the beads with sentences on both sides (the
    /// pairs that tsv, csv, tmx and --into write), not the 1-0 and 0-1 beads.
    #[arg(long, requires = "calibration")]
    pub pairs_only: bool,
    /// Write each hypothesis as a bead file into DIR.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Output format: a table, or the scores as one JSON document (with the
    /// self-check of every document aligned).
    #[arg(long, short = 'f', value_enum, default_value_t = super::eval::EvalFormat::Text)]
    pub format: super::eval::EvalFormat,
    /// Deprecated spelling of `-f json`.
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
    #[command(flatten)]
    pub aligner: AlignerOptions,
    /// Semantic evidence from sentence vectors in DIR, in Vecalign's layout and
    /// named after each text (`dev.de` -> DIR/dev.de.overlaps and DIR/dev.de.emb;
    /// `bench/semantic_vectors.py` makes them). Documents without them are aligned
    /// without (with a note).
    #[arg(long, value_name = "DIR", conflicts_with = "hyp")]
    pub embeddings_dir: Option<PathBuf>,
    /// Semantic evidence from the built-in sentence encoder (as `align --semantic`),
    /// for documents whose languages it covers (as their file extensions say:
    /// dev.de).
    #[arg(long, conflicts_with_all = ["hyp", "embeddings_dir"])]
    pub semantic: bool,
    /// The sentence encoder's model for --semantic (default: $BITEXT_MODEL, else
    /// ~/.cache/bitext).
    #[arg(long, value_name = "PATH", requires = "semantic")]
    pub model: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// One document to evaluate.
struct Case {
    set: String,
    name: String,
    gold: PathBuf,
    /// Source and target texts (absent when scoring given hypotheses).
    texts: Option<(PathBuf, PathBuf)>,
    hyp: Option<PathBuf>,
}

#[derive(Serialize)]
struct Scores {
    set: String,
    docs: usize,
    precision_strict: f64,
    recall_strict: f64,
    f1_strict: f64,
    precision_lax: f64,
    recall_lax: f64,
    f1_lax: f64,
    counts: AlignCounts,
    seconds: f64,
    /// Documents whose alignment the aligner's check found derailed stretches in.
    warned: usize,
    /// The aligner's check of each document it aligned (none when scoring given
    /// hypotheses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checks: Vec<DocCheck>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    per_doc: Vec<DocScores>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    calibration: Vec<CalibrationRow>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    score_bins: Vec<ScoreBin>,
}

#[derive(Serialize)]
struct DocCheck {
    doc: String,
    #[serde(flatten)]
    check: AlignCheck,
}

#[derive(Serialize)]
struct DocScores {
    doc: String,
    f1_strict: f64,
    f1_lax: f64,
    counts: AlignCounts,
}

fn scores(set: &str, docs: &[(String, AlignCounts)], seconds: f64) -> Scores {
    let mut total = AlignCounts::default();
    for (_, c) in docs {
        total.add(c);
    }
    Scores {
        set: set.to_string(),
        docs: docs.len(),
        precision_strict: total.precision_strict(),
        recall_strict: total.recall_strict(),
        f1_strict: total.f1_strict(),
        precision_lax: total.precision_lax(),
        recall_lax: total.recall_lax(),
        f1_lax: total.f1_lax(),
        counts: total,
        seconds,
        warned: 0,
        checks: Vec::new(),
        per_doc: Vec::new(),
        calibration: Vec::new(),
        score_bins: Vec::new(),
    }
}

fn read_listing(path: &Path) -> Result<Vec<Case>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = decode_text(bytes, path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 4 || f.iter().any(|x| x.is_empty()) {
            bail!(
                "{}:{}: expected `set<TAB>source<TAB>target<TAB>gold`",
                path.display(),
                n + 1
            );
        }
        let src = base.join(f[1]);
        cases.push(Case {
            set: f[0].to_string(),
            name: doc_name(&src),
            gold: base.join(f[3]),
            texts: Some((src, base.join(f[2]))),
            hyp: None,
        });
    }
    Ok(cases)
}

fn doc_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string())
}

pub fn run(args: EvalAlignArgs, global: &Global) -> Result<ExitCode> {
    let encoder = if args.semantic {
        if !global.quiet {
            eprintln!("bitext: loading the sentence encoder");
        }
        Some(SentenceEncoder::load(args.model.as_deref()).context("--semantic")?)
    } else {
        None
    };
    let format = args.format.or_json(args.json, global);
    let cases: Vec<Case> = if let Some(listing) = &args.sets {
        let mut cases = read_listing(listing)?;
        if !args.only.is_empty() {
            cases.retain(|c| args.only.contains(&c.set));
            if cases.is_empty() {
                bail!(
                    "{}: no set named {}",
                    listing.display(),
                    args.only.join(", ")
                );
            }
        }
        // Generated sets (the listing's comments say how to make them) are checked
        // before any work is done.
        for c in &cases {
            let (src, tgt) = c.texts.as_ref().expect("listings give texts");
            for path in [src, tgt, &c.gold] {
                if !path.exists() {
                    bail!(
                        "{}: set {}: {} is missing (see the listing's comments for how to make \
                         generated sets)",
                        listing.display(),
                        c.set,
                        path.display()
                    );
                }
            }
        }
        cases
    } else if !args.hyp.is_empty() {
        if args.hyp.len() != args.gold.len() {
            bail!(
                "{} gold files but {} hypothesis files",
                args.gold.len(),
                args.hyp.len()
            );
        }
        args.gold
            .iter()
            .zip(&args.hyp)
            .map(|(g, h)| Case {
                set: "all".into(),
                name: doc_name(h),
                gold: g.clone(),
                texts: None,
                hyp: Some(h.clone()),
            })
            .collect()
    } else if !args.src.is_empty() {
        if args.src.len() != args.gold.len() || args.tgt.len() != args.gold.len() {
            bail!(
                "need as many --src, --tgt and --gold files (got {}, {}, {})",
                args.src.len(),
                args.tgt.len(),
                args.gold.len()
            );
        }
        args.src
            .iter()
            .zip(&args.tgt)
            .zip(&args.gold)
            .map(|((s, t), g)| Case {
                set: "all".into(),
                name: doc_name(s),
                gold: g.clone(),
                texts: Some((s.clone(), t.clone())),
                hyp: None,
            })
            .collect()
    } else {
        bail!("give --gold with --hyp, or --src/--tgt/--gold, or --sets");
    };
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let aligner = args.aligner.build(args.semantic)?;
    // Sets in order of first appearance.
    let mut set_names: Vec<String> = Vec::new();
    for c in &cases {
        if !set_names.contains(&c.set) {
            set_names.push(c.set.clone());
        }
    }
    let mut report: Vec<Scores> = Vec::new();
    let mut overall: Vec<(String, AlignCounts)> = Vec::new();
    let mut all_golds: Vec<Vec<BeadIds>> = Vec::new();
    let mut all_hyps: Vec<(Vec<BeadIds>, Vec<f64>)> = Vec::new();
    let mut overall_seconds = 0.0;
    for set in &set_names {
        let members: Vec<&Case> = cases.iter().filter(|c| &c.set == set).collect();
        let golds: Vec<Vec<BeadIds>> = members
            .iter()
            .map(|c| read_beads(&c.gold).map_err(anyhow::Error::new))
            .collect::<Result<_>>()?;
        let started = Instant::now();
        let mut checks: Vec<AlignCheck> = Vec::new();
        let hyps: Vec<(Vec<BeadIds>, Vec<f64>)> = if members[0].texts.is_some() {
            let docs: Vec<(Document, Document)> = members
                .iter()
                .map(|c| {
                    let (s, t) = c.texts.as_ref().context("missing texts")?;
                    Ok((read_document(s, None, None)?, read_document(t, None, None)?))
                })
                .collect::<Result<_>>()?;
            let inputs: Vec<_> = docs
                .iter()
                .map(|(s, t)| (s.sentences(), t.sentences()))
                .collect();
            let refs: Vec<(&[_], &[_])> = inputs
                .iter()
                .map(|(s, t)| (s.as_slice(), t.as_slice()))
                .collect();
            let vectors: Vec<Option<_>> = match &args.embeddings_dir {
                Some(dir) => members
                    .iter()
                    .zip(&docs)
                    .map(|(c, (s, t))| {
                        let (sp, tp) = c.texts.as_ref().context("missing texts")?;
                        let v = vectors_in_dir(
                            dir,
                            (sp, tp),
                            (s, t),
                            args.aligner.max_bead(args.semantic),
                        )?;
                        if v.is_none() && !global.quiet {
                            eprintln!(
                                "bitext: note: {set}: {}: no vectors in {}: aligned without \
                                 semantic evidence",
                                c.name,
                                dir.display()
                            );
                        }
                        Ok(v)
                    })
                    .collect::<Result<_>>()?,
                None => match &encoder {
                    Some(encoder) => members
                        .iter()
                        .zip(&docs)
                        .map(|(c, (s, t))| {
                            let (sp, tp) = c.texts.as_ref().context("missing texts")?;
                            // A file extension that is a language tag (dev.de) says the
                            // language; others are left to the evidence's own check.
                            let covered = [sp, tp].iter().all(|p| {
                                p.extension()
                                    .and_then(|e| e.to_str())
                                    .filter(|e| e.len() <= 3)
                                    .and_then(|e| LangTag::parse(e).ok())
                                    .is_none_or(|tag| semantic::covers(tag.primary()))
                            });
                            if !covered {
                                if !global.quiet {
                                    eprintln!(
                                        "bitext: note: {set}: {}: a language the sentence \
                                         encoder does not cover (by the file extensions): \
                                         aligned without semantic evidence",
                                        c.name
                                    );
                                }
                                return Ok(None);
                            }
                            Ok(Some(with_threads(args.threads, || {
                                encode_pair(encoder, (s, t), args.aligner.max_bead(args.semantic))
                            })?))
                        })
                        .collect::<Result<_>>()?,
                    None => Vec::new(),
                },
            };
            let vector_refs: Vec<_> = vectors
                .iter()
                .map(|v| v.as_ref().map(|(a, b)| (a, b)))
                .collect();
            let alignments: Vec<Alignment> = with_threads(args.threads, || {
                if args.separately {
                    refs.iter()
                        .enumerate()
                        .map(|(k, (s, t))| match vector_refs.get(k).copied().flatten() {
                            Some(v) => aligner.align_with_vectors(s, t, v),
                            None => aligner.align(s, t),
                        })
                        .collect()
                } else {
                    aligner.align_batch_with_vectors(&refs, &vector_refs, &|_| {})
                }
            })?;
            if !global.quiet {
                for (c, a) in members.iter().zip(&alignments) {
                    if let Some(note) = semantic_note(a) {
                        eprintln!("bitext: note: {set}: {}: {note}", c.name);
                    }
                }
            }
            checks = alignments.iter().map(|a| a.check.clone()).collect();
            alignments
                .iter()
                .map(|a| (beads_of(a), a.beads.iter().map(|b| b.score).collect()))
                .collect()
        } else {
            members
                .iter()
                .map(|c| {
                    let path = c.hyp.as_ref().context("missing hypothesis")?;
                    let beads = read_beads(path)?;
                    let scores = vec![1.0; beads.len()];
                    Ok((beads, scores))
                })
                .collect::<Result<_>>()?
        };
        let seconds = started.elapsed().as_secs_f64();
        overall_seconds += seconds;
        if let Some(dir) = &args.out_dir {
            for (c, (beads, sc)) in members.iter().zip(&hyps) {
                let path = dir.join(format!("{}.beads", c.name));
                let mut out = Output::create(Some(&path))?;
                for (b, s) in beads.iter().zip(sc) {
                    let range = |v: &[usize]| match (v.first(), v.last()) {
                        (Some(&a), Some(&z)) => a..z + 1,
                        _ => 0..0,
                    };
                    let line = format!("{}:{:.4}\n", format_bead(&range(&b.0), &range(&b.1)), s);
                    out.write_all(line.as_bytes()).map_err(|e| out.context(e))?;
                }
                out.finish()?;
            }
        }
        let docs: Vec<(String, AlignCounts)> = members
            .iter()
            .zip(&golds)
            .zip(&hyps)
            .map(|((c, g), (h, _))| (c.name.clone(), count_doc(g, &h[..])))
            .collect();
        let mut s = scores(set, &docs, seconds);
        s.warned = checks.iter().filter(|c| c.suspicious()).count();
        s.checks = members
            .iter()
            .zip(checks)
            .map(|(c, check)| DocCheck {
                doc: c.name.clone(),
                check,
            })
            .collect();
        if args.per_doc {
            s.per_doc = docs
                .iter()
                .map(|(name, c)| DocScores {
                    doc: name.clone(),
                    f1_strict: c.f1_strict(),
                    f1_lax: c.f1_lax(),
                    counts: *c,
                })
                .collect();
        }
        if args.calibration {
            let scored = scored_beads(&golds, &hyps, args.pairs_only);
            s.calibration = calibration(&scored);
            s.score_bins = score_bins(&scored);
        }
        overall.extend(docs);
        if args.calibration {
            all_golds.extend(golds);
            all_hyps.extend(hyps);
        }
        report.push(s);
    }
    if set_names.len() > 1 {
        let mut all = scores("ALL (micro)", &overall, overall_seconds);
        all.warned = report.iter().map(|s| s.warned).sum();
        if args.calibration {
            let scored = scored_beads(&all_golds, &all_hyps, args.pairs_only);
            all.calibration = calibration(&scored);
            all.score_bins = score_bins(&scored);
        }
        report.push(all);
    }
    let mut out = Output::create(None)?;
    if format == super::eval::EvalFormat::Json {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        out.write_all(text.as_bytes()).map_err(|e| out.context(e))?;
    } else {
        out.write_all(table(&report).as_bytes())
            .map_err(|e| out.context(e))?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn table(report: &[Scores]) -> String {
    let w = report
        .iter()
        .map(|s| s.set.chars().count())
        .max()
        .unwrap_or(0)
        .max(22);
    let mut t = format!(
        "{:<w$} {:>4} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>6}\n",
        "set",
        "docs",
        "beads",
        "P strict",
        "R strict",
        "F1strict",
        "P lax",
        "R lax",
        "F1 lax",
        "seconds",
        "warned"
    );
    for s in report {
        t.push_str(&format!(
            "{:<w$} {:>4} {:>6} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>7.2} {:>6}\n",
            s.set,
            s.docs,
            s.counts.hyp_beads,
            s.precision_strict,
            s.recall_strict,
            s.f1_strict,
            s.precision_lax,
            s.recall_lax,
            s.f1_lax,
            s.seconds,
            s.warned
        ));
        for d in &s.per_doc {
            t.push_str(&format!(
                "  {:<30} strict F1 {:.4}  lax F1 {:.4}\n",
                d.doc, d.f1_strict, d.f1_lax
            ));
        }
    }
    let with_bins: Vec<&Scores> = report.iter().filter(|s| !s.score_bins.is_empty()).collect();
    if !with_bins.is_empty() {
        t.push_str("\ncalibration: strict precision of the beads by score\n");
        t.push_str(&format!(
            "{:<22} {:>11} {:>6} {:>10} {:>9}\n",
            "set", "score", "beads", "mean score", "precision"
        ));
        for s in &with_bins {
            for b in &s.score_bins {
                t.push_str(&format!(
                    "{:<22} {:>4.2}–{:<4.2}  {:>6} {:>10.3} {:>9.3}\n",
                    s.set, b.low, b.high, b.beads, b.mean_score, b.precision
                ));
            }
        }
    }
    let with_cal: Vec<&Scores> = report
        .iter()
        .filter(|s| !s.calibration.is_empty())
        .collect();
    if !with_cal.is_empty() {
        t.push_str("\ncalibration: dropping the lowest-scored beads (strict precision)\n");
        t.push_str(&format!(
            "{:<22} {:>8} {:>9} {:>8} {:>9} {:>8} {:>8}\n",
            "set", "dropped", "threshold", "kept P", "dropped P", "oracle", "kept"
        ));
        for s in with_cal {
            for r in &s.calibration {
                t.push_str(&format!(
                    "{:<22} {:>7.0}% {:>9.4} {:>8.4} {:>9.4} {:>8.4} {:>8}\n",
                    s.set,
                    r.dropped_share * 100.0,
                    r.threshold,
                    r.kept_precision,
                    r.dropped_precision,
                    r.oracle_dropped_precision,
                    r.kept
                ));
            }
        }
    }
    t
}
