//! `bitext eval`: score segmentation (and, later, alignment) against gold data.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::{output::Output, Global};
use bitext::eval::segment::{read_gold, score_case, GoldCase, Tally};
use bitext::segment::Segmenter;
use bitext::text::LangTag;

/// What to evaluate.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Segment gold JSON Lines files ({"id","lang","text","sentences"}) and score the
    /// result: exact-case accuracy and boundary precision/recall/F1, per group and
    /// overall (the definitions of shared/bench/segment_score.py).
    #[command(
        after_help = "Examples:\n  bitext eval segment ../shared/data/segment/golden_rules.jsonl\n  bitext eval segment ../shared/data/segment/ud/*.jsonl --by file --errors 5"
    )]
    Segment(EvalSegmentArgs),
    /// Score sentence alignments against gold beads (strict and lax precision, recall
    /// and F1 as shared/bench/align_score.py defines them, micro-averaged over
    /// documents), or run the aligner over text/gold triples or a listing of sets.
    #[command(
        after_help = "Examples:\n  bitext eval align --sets bench/align_sets.tsv --set textberg-dev\n  bitext eval align --gold gold.beads --hyp hyp.beads"
    )]
    Align(Box<super::eval_align::EvalAlignArgs>),
}

/// Arguments of `bitext eval segment`.
#[derive(Debug, Args)]
pub struct EvalSegmentArgs {
    /// Gold files.
    #[arg(required = true)]
    pub gold: Vec<PathBuf>,
    /// Group scores by language or by file.
    #[arg(long, value_enum, default_value_t = GroupBy::Lang)]
    pub by: GroupBy,
    /// Print up to N wrong cases (‖ right boundary, ∨ missed, ∧ spurious).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub errors: usize,
    /// Output format: a table, or the scores as one JSON document.
    #[arg(long, short = 'f', value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
    /// Deprecated spelling of `-f json`.
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
    /// Segment with SRX rules instead of the built-in ones.
    #[command(flatten)]
    pub srx: super::segment::SrxArgs,
}

/// How `eval` prints its scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// A table, for people.
    Text,
    /// One (pretty-printed) JSON document, for programs.
    Json,
}

impl EvalFormat {
    /// The format asked for: `format`, or JSON if the deprecated `--json` was given.
    pub fn or_json(self, json: bool, global: &Global) -> EvalFormat {
        if json {
            super::deprecated("--json", "-f json", global);
            EvalFormat::Json
        } else {
            self
        }
    }
}

/// How cases are grouped in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// By the case's language.
    Lang,
    /// By gold file.
    File,
}

#[derive(Serialize)]
struct GroupScore {
    group: String,
    cases: usize,
    exact: f64,
    precision: f64,
    recall: f64,
    f1: f64,
    tp: usize,
    fp: usize,
    #[serde(rename = "fn")]
    fn_: usize,
}

impl GroupScore {
    fn new(group: &str, t: &Tally) -> GroupScore {
        GroupScore {
            group: group.to_string(),
            cases: t.cases,
            exact: t.exact_rate(),
            precision: t.precision(),
            recall: t.recall(),
            f1: t.f1(),
            tp: t.tp,
            fp: t.fp,
            fn_: t.fn_,
        }
    }
}

#[derive(Serialize)]
struct Report {
    groups: Vec<GroupScore>,
    overall: GroupScore,
    macro_f1: f64,
}

pub fn run(command: EvalCommand, global: &Global) -> Result<ExitCode> {
    match command {
        EvalCommand::Segment(args) => eval_segment(args, global),
        EvalCommand::Align(args) => super::eval_align::run(*args, global),
    }
}

fn group_name(by: GroupBy, path: &Path, case: &GoldCase) -> String {
    match by {
        GroupBy::Lang => case.lang.clone(),
        GroupBy::File => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            name.trim_end_matches(".jsonl")
                .trim_end_matches(".dev")
                .to_string()
        }
    }
}

fn eval_segment(args: EvalSegmentArgs, global: &Global) -> Result<ExitCode> {
    let format = args.format.or_json(args.json, global);
    let srx = args.srx.load(global)?;
    let mut groups: Vec<(String, Tally)> = Vec::new();
    let mut wrong: Vec<String> = Vec::new();
    let mut segmenters: Vec<(String, Segmenter)> = Vec::new();
    for path in &args.gold {
        let cases = read_gold(path)?;
        for case in &cases {
            let lang = LangTag::parse(&case.lang)
                .with_context(|| format!("{}: case {}: \"lang\"", path.display(), case.id))?;
            let segmenter = match segmenters.iter().find(|(l, _)| *l == lang.as_str()) {
                Some((_, s)) => s.clone(),
                None => {
                    let s = match &srx {
                        Some(rules) => {
                            super::segment::warn_if_no_srx_rules(
                                Some(rules),
                                args.srx.srx.as_deref(),
                                &lang,
                                global,
                            );
                            Segmenter::builder(&lang).srx(rules.clone()).build()
                        }
                        None => Segmenter::new(&lang),
                    };
                    segmenters.push((lang.as_str().to_string(), s.clone()));
                    s
                }
            };
            let hyp: Vec<&str> = segmenter
                .segment(&case.text)
                .iter()
                .map(|s| s.span.slice(&case.text))
                .collect();
            let tally = score_case(&case.sentences, &hyp);
            if tally.exact == 0 && wrong.len() < args.errors {
                wrong.push(show_error(case, &hyp));
            }
            let name = group_name(args.by, path, case);
            match groups.iter_mut().find(|(g, _)| *g == name) {
                Some((_, t)) => t.add(&tally),
                None => groups.push((name, tally)),
            }
        }
    }
    let mut overall = Tally::default();
    for (_, t) in &groups {
        overall.add(t);
    }
    let macro_f1 = if groups.is_empty() {
        0.0
    } else {
        groups.iter().map(|(_, t)| t.f1()).sum::<f64>() / groups.len() as f64
    };
    let mut out = Output::create(None)?;
    if format == EvalFormat::Json {
        let report = Report {
            groups: groups.iter().map(|(g, t)| GroupScore::new(g, t)).collect(),
            overall: GroupScore::new("ALL (micro)", &overall),
            macro_f1,
        };
        let mut line = serde_json::to_vec_pretty(&report)?;
        line.push(b'\n');
        out.write_all(&line).map_err(|e| out.context(e))?;
    } else {
        let mut text = format!(
            "{:<22} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5} {:>5}\n",
            "group", "cases", "exact", "P", "R", "F1", "tp", "fp", "fn"
        );
        let row = |name: &str, t: &Tally| {
            format!(
                "{:<22} {:>6} {:>6.1} {:>6.1} {:>6.1} {:>6.1} {:>6} {:>5} {:>5}\n",
                name,
                t.cases,
                t.exact_rate() * 100.0,
                t.precision() * 100.0,
                t.recall() * 100.0,
                t.f1() * 100.0,
                t.tp,
                t.fp,
                t.fn_
            )
        };
        for (g, t) in &groups {
            text.push_str(&row(g, t));
        }
        text.push_str(&row("ALL (micro)", &overall));
        text.push_str(&format!("{:<22} {:>34.1}\n", "macro F1", macro_f1 * 100.0));
        if !wrong.is_empty() {
            text.push_str(
                "
wrong cases (‖ right boundary, ∨ missed, ∧ spurious):
",
            );
            for w in &wrong {
                text.push_str(w);
                text.push('\n');
            }
        }
        out.write_all(text.as_bytes()).map_err(|e| out.context(e))?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// The case's text with its gold and predicted boundaries marked.
fn show_error(case: &GoldCase, hyp: &[&str]) -> String {
    use bitext::eval::segment::boundaries;
    let gold = boundaries(&case.sentences);
    let pred = boundaries(hyp);
    let mut out = format!("[{}] {}: ", case.lang, case.id);
    let mut k = 0;
    for c in case.text.chars() {
        if !c.is_whitespace() {
            let mark = match (gold.contains(&k), pred.contains(&k)) {
                (true, true) => Some('‖'),
                (true, false) => Some('∨'),
                (false, true) => Some('∧'),
                _ => None,
            };
            if let Some(m) = mark {
                out.push(m);
            }
            k += 1;
        }
        out.push(if c == '\n' { '⏎' } else { c });
    }
    out
}
