//! Sentence alignment: which sentences of a text and of its translation correspond.
//!
//! An [`Aligner`] takes two lists of sentences and returns an [`Alignment`]: a
//! monotone sequence of [`Bead`]s that covers both sides completely. A bead pairs
//! 0–4 source sentences with 0–4 target sentences (1-1, 2-1, 1-2, 2-2, 3-1, …; 1-0
//! and 0-1 beads are sentences without a counterpart). Every bead has a score: the
//! probability, under the model, that the bead is part of the alignment, which is
//! what `--min-score` filters on.
//!
//! ```
//! use bitext::align::{Aligner, Sentence};
//!
//! let en = ["The castle had a gate.", "It also had windows!", "The Baron was powerful."];
//! let fr = ["Le château avait une porte.", "Il avait aussi des fenêtres !",
//!           "Le baron était puissant."];
//! let src: Vec<Sentence> = en.iter().map(|s| Sentence::new(s)).collect();
//! let tgt: Vec<Sentence> = fr.iter().map(|s| Sentence::new(s)).collect();
//! let alignment = Aligner::new().align(&src, &tgt);
//! let pairs: Vec<(usize, usize)> = alignment.beads.iter()
//!     .map(|b| (b.src.start, b.tgt.start)).collect();
//! assert_eq!(pairs, [(0, 0), (1, 1), (2, 2)]);
//! ```
//!
//! How it works (see `docs/align.md` for measurements):
//!
//! 1. `length.rs`: a Gale–Church-style length model whose expected length ratio and
//!    variance are estimated from the document pair;
//! 2. `lexical.rs`, `tokens.rs`, `translit.rs`: evidence from identical tokens
//!    (numbers, names, URLs, `?`, `!`, quotes…), cognates across scripts (romanised
//!    skeletons compared by edit distance, or equal consonant skeletons) and an
//!    optional [`Dictionary`];
//! 3. `dp.rs`, `units.rs`: dynamic programming over beads in a band found coarse to
//!    fine over blocks of equal length, so time and memory are linear in the length
//!    of the texts, and runs of sentences without counterpart are priced as runs;
//! 4. `model1.rs`: a translation lexicon (IBM Model 1) trained on the first pass's
//!    confident beads — pooled over all documents of a batch — then a second pass
//!    with it (Moore 2002), searching the whole document again where the first
//!    pass's path fails the self-check. Paragraph boundaries, when both sides have
//!    them, are soft anchors;
//! 5. `check.rs`: the self-check of the result ([`AlignCheck`]): stretches that look
//!    derailed, and the figures a user can see.
//! 6. `spans.rs`, `similarity.rs` (optional): semantic evidence from sentence
//!    vectors of both sides ([`SpanVectors`], from Vecalign's files or an encoder),
//!    a log-likelihood ratio of a bead's normalised cosine cost, through
//!    [`Aligner::align_batch_with_vectors`].

mod anchored;
mod check;
mod document;
mod dp;
mod length;
mod lexical;
mod model1;
mod pairs;
mod similarity;
mod spans;
mod tokens;
mod translit;
mod units;

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

pub use anchored::align_anchored;
pub use check::{AlignCheck, Stretch};
pub use document::{decode_text, Document};
pub use lexical::Dictionary;
pub use pairs::{bead_units, UnitInfo};
pub use similarity::SemanticStats;
pub use spans::SpanVectors;

use dp::{Band, BeadScorer, PairTable, PathBead};
use length::LengthModel;
use lexical::{Evidence, Lexicon, LinkKind, Side, Vocab, LINK_KINDS};
use similarity::Similarity;
use tokens::TokenKind;
use units::Units;

/// One sentence to align: its text and, if known, the index of its paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence<'a> {
    /// The sentence.
    pub text: &'a str,
    /// Its paragraph (any increasing numbering); paragraphs are used as soft anchors
    /// when both sides have them.
    pub paragraph: Option<usize>,
}

impl<'a> Sentence<'a> {
    /// A sentence without paragraph information.
    pub fn new(text: &'a str) -> Sentence<'a> {
        Sentence {
            text,
            paragraph: None,
        }
    }

    /// A sentence of the given paragraph.
    pub fn with_paragraph(text: &'a str, paragraph: usize) -> Sentence<'a> {
        Sentence {
            text,
            paragraph: Some(paragraph),
        }
    }
}

/// Source sentences `src` correspond to target sentences `tgt` (either may be empty).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bead {
    /// Source sentence indices.
    pub src: Range<usize>,
    /// Target sentence indices.
    pub tgt: Range<usize>,
    /// Probability that this bead is right (0–1), under the model.
    pub score: f64,
}

/// The result of aligning one document pair.
#[derive(Debug, Clone, Default)]
pub struct Alignment {
    /// Monotone beads covering every source and target sentence exactly once.
    pub beads: Vec<Bead>,
    /// What the aligner estimated and how long it took.
    pub stats: AlignStats,
    /// The aligner's check of the result: figures and stretches that look derailed.
    pub check: AlignCheck,
}

/// Estimates and timings of one alignment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AlignStats {
    /// Target characters per source character (from the document pair).
    pub length_ratio: f64,
    /// Links of the learned lexicon (source→target and target→source) used in the
    /// second pass; with a batch, the batch's lexicon.
    pub learned_links: usize,
    /// Grid points visited by the final dynamic programming.
    pub dp_cells: usize,
    /// Alignment passes over the document: 1 without a learned lexicon, else 2 for
    /// a long text and 3 otherwise.
    pub passes: usize,
    /// Time spent tokenising and building surface links (shared in a batch: the
    /// batch's time divided evenly).
    pub lexicon_time: Duration,
    /// Time spent in the first pass (evidence, band search, dynamic programming).
    pub first_pass_time: Duration,
    /// Time spent training the lexicon (shared in a batch, divided evenly).
    pub model1_time: Duration,
    /// Time spent in the passes after the first (with the learned lexicon).
    pub second_pass_time: Duration,
    /// The semantic evidence's estimates, when the document had vectors
    /// ([`Aligner::align_batch_with_vectors`]); `used` says whether they counted.
    pub semantic: Option<SemanticStats>,
}

/// Builds an [`Aligner`].
#[derive(Debug, Clone)]
pub struct AlignerBuilder {
    max_bead: usize,
    band: usize,
    dictionary: Option<Arc<Dictionary>>,
    learn: bool,
}

impl Default for AlignerBuilder {
    fn default() -> Self {
        AlignerBuilder {
            max_bead: 4,
            band: 6,
            dictionary: None,
            learn: true,
        }
    }
}

impl AlignerBuilder {
    /// Largest number of sentences on one side of a bead (1–4, default 4). Beads have
    /// at most `max + 1` sentences in all (so 4 allows 1-4, 2-3, 3-2 and 4-1).
    pub fn max_bead(mut self, max: usize) -> AlignerBuilder {
        self.max_bead = max.clamp(1, 4);
        self
    }

    /// Half-width, in sentences, of the band searched around the coarse path and
    /// around the first pass's path (default 6). The band widens by itself where
    /// the path runs along its edge.
    pub fn band(mut self, width: usize) -> AlignerBuilder {
        self.band = width.clamp(2, 10_000);
        self
    }

    /// A bilingual dictionary whose pairs count as evidence.
    pub fn dictionary(mut self, dictionary: Dictionary) -> AlignerBuilder {
        self.dictionary = Some(Arc::new(dictionary));
        self
    }

    /// Whether to learn a lexicon from the first pass and align again (default true).
    pub fn learn_lexicon(mut self, yes: bool) -> AlignerBuilder {
        self.learn = yes;
        self
    }

    /// The aligner.
    pub fn build(self) -> Aligner {
        let mut types = vec![(1, 1), (1, 0), (0, 1)];
        for total in 3..=self.max_bead + 1 {
            for a in 1..total {
                let b = total - a;
                if a <= self.max_bead && b <= self.max_bead {
                    types.push((a, b));
                }
            }
        }
        // The coarse levels only place bands: beads of at most 2 blocks a side do
        // there.
        let small_types = types
            .iter()
            .copied()
            .filter(|&(a, b)| a <= 2 && b <= 2)
            .collect();
        Aligner {
            config: Arc::new(Config {
                types,
                small_types,
                max_bead: self.max_bead,
                band: self.band,
                dictionary: self.dictionary,
                learn: self.learn,
            }),
        }
    }
}

#[derive(Debug)]
struct Config {
    /// Bead types (source, target sentences) of the last pass.
    types: Vec<(usize, usize)>,
    /// Bead types of the coarse levels.
    small_types: Vec<(usize, usize)>,
    max_bead: usize,
    band: usize,
    dictionary: Option<Arc<Dictionary>>,
    learn: bool,
}

/// Aligns sentences of documents and their translations. Cheap to clone, safe to
/// share between threads.
#[derive(Debug, Clone)]
pub struct Aligner {
    config: Arc<Config>,
}

impl Default for Aligner {
    fn default() -> Self {
        Aligner::new()
    }
}

/// Grids up to this many points are searched whole at the finest level.
const FULL_CELLS: usize = 1_500_000;
/// Texts with more sentences (both sides) than this are long: they get one round of
/// lexicon learning (the time budget).
const LONG_TEXT: usize = 20_000;
/// Coarse levels group this many units of the level below.
const COARSE_FACTOR: usize = 4;
/// The coarsest level is searched whole; it has at most this many points.
const TOP_CELLS: usize = 150_000;
/// Margin, in units, around a coarse path projected onto the next level.
const COARSE_MARGIN: usize = 6;
/// Rounds of lexicon learning and re-alignment for documents that are not long
/// (long ones get one: the time budget).
const LEARNING_ROUNDS: usize = 2;
/// EM iterations of the lexicon.
const MODEL1_ITERATIONS: usize = 5;
/// Weight of lexical evidence relative to length evidence.
const LEX_SCALE: f64 = 0.75;
/// Weight of semantic evidence relative to length evidence. Its ratio keeps rising
/// below the translations' mean cost (see `similarity.rs`), so it spans more than
/// when it was held flat there (weight 0.5 then); 0.35 is best on the covered dev
/// sets together (`eval align --semantic`, strict F1, 0.25 / 0.35 / 0.5 / 0.7:
/// mac-dev 0.892 / 0.894 / 0.893 / 0.889, textberg-dev 0.869 / 0.871 / 0.868 /
/// 0.862, Emma en–fr 0.714 / 0.721 / 0.717 / 0.690).
const SEM_SCALE: f64 = 0.35;
/// The band found coarse to fine and the one around the previous pass's path are
/// searched as one if that grows the larger by at most this factor.
const UNION_GROWTH: f64 = 1.3;
/// Half-width of the band around the best path in which posteriors are computed.
const POSTERIOR_MARGIN: usize = 4;
/// Scores are multiplied by this before computing the final posteriors: the naive
/// independence of the evidence makes the model overconfident; at 0.6, beads scored
/// p are right with frequency ≈ p on the dev sets, and each dev set left out picks
/// 0.55–0.6 by log loss on the other three (docs/align-calibration.md).
const TEMPERATURE: f64 = 0.6;
/// The temperature when semantic evidence counts: a third evidence that is not
/// independent of the other two makes the posteriors more overconfident still. On
/// mac-dev, textberg-dev and transread-dev together (5,645 beads, `eval align
/// --semantic --calibration`), beads scored 0.80–0.90 were right 82 % of the time at
/// 0.6, 87 % at 0.4; 0.99+ 97.8 % and 98.7 %; 0.3 made every bin underconfident.
const SEMANTIC_TEMPERATURE: f64 = 0.4;

/// The other reading of a document's lengths (whole or partial translation) is kept
/// only if its first pass scores this much higher (or 2 % of the score, if more):
/// the looser reading fits noise too.
const HYPOTHESIS_MARGIN: f64 = 20.0;
/// P(a first 1-0) and P(1-0 | 1-0) at the free ends of the longer side of a
/// partial translation (likewise 0-1).
const END_OPEN: f64 = 0.05;
const END_EXTEND: f64 = 0.98;
/// A run of this many 1-0 (or 0-1) beads in a pass makes runs of them cheap in the
/// next: P(1-0 | 1-0) = RUN_EXTEND.
const LONG_RUN: usize = 8;
const RUN_EXTEND: f64 = 0.8;

/// A document pair being aligned.
struct Doc<'v> {
    src: Side,
    tgt: Side,
    length: LengthModel,
    /// How this document prices sentences without counterpart.
    gaps: Gaps,
    /// The other reading of the document's lengths (a whole translation or a
    /// partial one, see [`LengthModel::hypotheses`]), tried in the first pass.
    alternative: Option<(LengthModel, Gaps)>,
    /// Sentence pairs sharing a number or name found once on each side (see
    /// [`check`]).
    anchors: Vec<(usize, usize)>,
    /// Semantic evidence, when the document has sentence vectors.
    sim: Option<Similarity<'v>>,
}

impl Doc<'_> {
    /// The lexical evidence of both sides (source types against the target, and
    /// back), for units of `blocks` (target, source) sentences.
    fn evidence(
        &self,
        lexicon: &Lexicon,
        params: &Params,
        blocks: (usize, usize),
    ) -> (Evidence, Evidence) {
        (
            Evidence::build(&self.src, &self.tgt, &lexicon.fwd, &params.kind_p, blocks.0),
            Evidence::build(&self.tgt, &self.src, &lexicon.bwd, &params.kind_p, blocks.1),
        )
    }

    /// The document's current reading of its lengths and gaps.
    fn model(&self) -> Model<'_> {
        Model {
            length: &self.length,
            gaps: self.gaps,
        }
    }
}

/// A reading of a document pair: its length model and how it prices sentences
/// without counterpart.
#[derive(Clone, Copy)]
struct Model<'a> {
    length: &'a LengthModel,
    gaps: Gaps,
}

/// How a document prices sentences without counterpart (1-0 and 0-1 beads, index 0
/// and 1). By default a run of them costs as much as its beads one by one. A
/// partial translation (one side much shorter than the other) leaves one end or
/// both ends of the longer side without counterpart: there a run is cheap, so the
/// missing part is one run rather than beads scattered where the lengths happen to
/// fit. A long run in a pass (a missing page) makes runs cheap anywhere.
#[derive(Debug, Clone, Copy, Default)]
struct Gaps {
    /// The side whose ends may lack a counterpart (0: the source, 1: the target).
    free_ends: Option<usize>,
    /// ln P of a 1-0 / 0-1 bead right after another of its kind, where not the
    /// same as a first one.
    extend: [Option<f64>; 2],
}

impl Gaps {
    /// Before the first pass: the longer side of a partial translation has free ends.
    fn initial(short_side: Option<bool>) -> Gaps {
        Gaps {
            // The target falls short: the source's ends lack a counterpart.
            free_ends: short_side.map(|target_short| usize::from(!target_short)),
            extend: [None; 2],
        }
    }

    /// After a pass: runs of at least `LONG_RUN` beads of a kind make its runs cheap.
    fn after_pass(mut self, path: &[PathBead]) -> Gaps {
        let mut run = [0usize; 2];
        let mut longest = [0usize; 2];
        for p in path {
            for (k, r) in run.iter_mut().enumerate() {
                let gap = if k == 0 { p.b == 0 } else { p.a == 0 };
                *r = if gap { *r + 1 } else { 0 };
                longest[k] = longest[k].max(*r);
            }
        }
        for (extend, longest) in self.extend.iter_mut().zip(longest) {
            if longest >= LONG_RUN && extend.is_none() {
                *extend = Some(RUN_EXTEND.ln());
            }
        }
        self
    }
}

/// Parameters shared by the documents of a batch.
#[derive(Debug, Clone)]
struct Params {
    /// ln P(bead type), indexed [a][b].
    log_prior: Vec<Vec<f64>>,
    kind_p: [f64; LINK_KINDS],
}

impl Params {
    fn initial(config: &Config) -> Params {
        let k = config.max_bead + 1;
        let mut prob = vec![vec![0.0; k]; k];
        let base = |a: usize, b: usize| -> f64 {
            match (a, b) {
                (1, 1) => 0.82,
                (1, 0) | (0, 1) => 0.013,
                (1, 2) | (2, 1) => 0.045,
                (2, 2) => 0.01,
                (1, 3) | (3, 1) => 0.01,
                (2, 3) | (3, 2) => 0.003,
                (1, 4) | (4, 1) => 0.002,
                _ => 0.0005,
            }
        };
        for &(a, b) in &config.types {
            prob[a][b] = base(a, b);
        }
        let total: f64 = prob.iter().flatten().sum();
        let log_prior = prob
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&p| {
                        if p > 0.0 {
                            (p / total).ln()
                        } else {
                            f64::NEG_INFINITY
                        }
                    })
                    .collect()
            })
            .collect();
        let mut kind_p = [0.0; LINK_KINDS];
        for k in LinkKind::ALL {
            kind_p[k as usize] = k.prior_p();
        }
        Params { log_prior, kind_p }
    }
}

/// The result of one pass over one document.
struct PassResult {
    path: Vec<PathBead>,
    /// The path's score (see [`dp::path_score`]).
    score: f64,
    posterior: Vec<f64>,
    cells: usize,
    ev_src: Evidence,
    ev_tgt: Evidence,
}

impl PassResult {
    /// The pass's path as beads scored by their posteriors.
    fn beads(&self) -> Vec<Bead> {
        self.path
            .iter()
            .zip(&self.posterior)
            .map(|(p, &score)| Bead {
                src: p.i0..p.i0 + p.a,
                tgt: p.j0..p.j0 + p.b,
                score,
            })
            .collect()
    }
}

impl Aligner {
    /// An aligner with the default settings.
    pub fn new() -> Aligner {
        AlignerBuilder::default().build()
    }

    /// A builder for an aligner with other settings.
    pub fn builder() -> AlignerBuilder {
        AlignerBuilder::default()
    }

    /// Aligns one document pair.
    pub fn align(&self, src: &[Sentence<'_>], tgt: &[Sentence<'_>]) -> Alignment {
        self.align_batch(&[(src, tgt)]).pop().unwrap_or_default()
    }

    /// Aligns many document pairs of one language pair. The learned lexicon is
    /// trained on all of them together; documents are aligned in parallel on the
    /// current rayon thread pool.
    pub fn align_batch(&self, docs: &[(&[Sentence<'_>], &[Sentence<'_>])]) -> Vec<Alignment> {
        self.align_batch_with_progress(docs, &|_| {})
    }

    /// Like [`Aligner::align_batch`], calling `done(k)` (from any thread) when
    /// document `k` is aligned.
    pub fn align_batch_with_progress(
        &self,
        docs: &[(&[Sentence<'_>], &[Sentence<'_>])],
        done: &(dyn Fn(usize) + Sync),
    ) -> Vec<Alignment> {
        self.align_batch_with_vectors(docs, &[], done)
    }

    /// Aligns one document pair with semantic evidence from sentence vectors of
    /// both sides (see [`Aligner::align_batch_with_vectors`]).
    pub fn align_with_vectors(
        &self,
        src: &[Sentence<'_>],
        tgt: &[Sentence<'_>],
        vectors: (&SpanVectors, &SpanVectors),
    ) -> Alignment {
        self.align_batch_with_vectors(&[(src, tgt)], &[Some(vectors)], &|_| {})
            .pop()
            .unwrap_or_default()
    }

    /// Like [`Aligner::align_batch_with_progress`], with semantic evidence for the
    /// documents that have vectors: `vectors[k]` (absent or `None`: none) holds
    /// the span vectors of document k's source and target, with spans of at least
    /// the largest bead side (`max_bead`). The evidence is weighed per document
    /// and left out where the vectors do not tell translations from unrelated
    /// sentences (`AlignStats::semantic` says which).
    ///
    /// # Panics
    /// If a document's vectors are not for as many sentences as its sides, or
    /// have shorter spans than the aligner's largest bead side.
    pub fn align_batch_with_vectors(
        &self,
        docs: &[(&[Sentence<'_>], &[Sentence<'_>])],
        vectors: &[Option<(&SpanVectors, &SpanVectors)>],
        done: &(dyn Fn(usize) + Sync),
    ) -> Vec<Alignment> {
        let config = &*self.config;
        let started = Instant::now();
        let mut src_vocab = Vocab::default();
        let mut tgt_vocab = Vocab::default();
        let mut prepared: Vec<Doc> = Vec::with_capacity(docs.len());
        let mut params = Params::initial(config);
        for (k, (src, tgt)) in docs.iter().enumerate() {
            let sim = vectors.get(k).copied().flatten().map(|(vs, vt)| {
                assert!(
                    vs.len() == src.len() && vt.len() == tgt.len(),
                    "document {k}: vectors for {} × {} sentences, sides of {} × {}",
                    vs.len(),
                    vt.len(),
                    src.len(),
                    tgt.len()
                );
                assert!(
                    vs.max_span().min(vt.max_span()) >= config.max_bead,
                    "document {k}: vectors of spans up to {} sentences, beads up to {}",
                    vs.max_span().min(vt.max_span()),
                    config.max_bead
                );
                Similarity::new(vs, vt, config.max_bead)
            });
            let s = Side::new(src.iter().map(|x| (x.text, x.paragraph)), &mut src_vocab);
            let t = Side::new(tgt.iter().map(|x| (x.text, x.paragraph)), &mut tgt_vocab);
            let expected = match (s.char_density(), t.char_density()) {
                (Some(ds), Some(dt)) => Some(dt / ds),
                _ => None,
            };
            let (length, alternative) = LengthModel::hypotheses(&s.len, &t.len, expected);
            let gaps = Gaps::initial(length.short_side);
            let alternative = alternative.map(|l| {
                let gaps = Gaps::initial(l.short_side);
                (l, gaps)
            });
            prepared.push(Doc {
                src: s,
                tgt: t,
                length,
                gaps,
                alternative,
                anchors: Vec::new(),
                sim,
            });
        }
        let lexicon = Lexicon::surface(&src_vocab, &tgt_vocab, config.dictionary.as_deref());
        for doc in &mut prepared {
            doc.anchors = check::chain(lexical::unique_matches(&doc.src, &doc.tgt, &lexicon.fwd));
        }

        let lexicon_time = started.elapsed();

        let t1 = Instant::now();
        let first: Vec<PassResult> = prepared
            .par_iter_mut()
            .enumerate()
            .map(|(k, doc)| {
                let mut r = self.pass(doc, doc.model(), &lexicon, &params, None, !config.learn);
                // A document read two ways (whole or partial translation) keeps the
                // reading whose best path scores higher.
                if let Some((length, gaps)) = doc.alternative.take() {
                    let model = Model {
                        length: &length,
                        gaps,
                    };
                    let other = self.pass(doc, model, &lexicon, &params, None, !config.learn);
                    if other.score > r.score + HYPOTHESIS_MARGIN.max(0.02 * r.score.abs()) {
                        r = other;
                        doc.length = length;
                        doc.gaps = gaps;
                    }
                }
                if !config.learn {
                    done(k);
                }
                r
            })
            .collect();
        let first_pass_time = t1.elapsed();

        let mut results = first;
        let mut model1_time = Duration::ZERO;
        let mut second_pass_time = Duration::ZERO;
        let mut learned_links = 0;
        let mut passes = vec![1; prepared.len()];
        if config.learn {
            // Rounds of (re-estimate, learn the lexicon, align again): one for every
            // document, a second for documents that are not long, trained on the
            // first round's better alignment (Moore's bootstrap, iterated once more).
            let rounds_of = |doc: &Doc| {
                if doc.src.n() + doc.tgt.n() <= LONG_TEXT {
                    LEARNING_ROUNDS
                } else {
                    1
                }
            };
            let max_rounds = prepared.iter().map(rounds_of).max().unwrap_or(1);
            for round in 0..max_rounds {
                let t2 = Instant::now();
                reestimate(&mut params, &mut prepared, &results, config);
                let mut lexicon2 = lexicon.clone();
                let pairs = training_pairs(&prepared, &results, &src_vocab, &tgt_vocab);
                let learned = model1::train(&pairs, MODEL1_ITERATIONS);
                learned_links = learned.fwd.len() + learned.bwd.len();
                for (links, side) in [
                    (&learned.fwd, &mut lexicon2.fwd),
                    (&learned.bwd, &mut lexicon2.bwd),
                ] {
                    for l in links {
                        side[l.from as usize].push(lexical::Link {
                            other: l.to,
                            kind: LinkKind::Learned,
                            strength: l.p,
                        });
                    }
                }
                model1_time += t2.elapsed();
                let t3 = Instant::now();
                results = prepared
                    .par_iter()
                    .zip(results.into_par_iter())
                    .zip(passes.par_iter_mut())
                    .enumerate()
                    .map(|(k, ((doc, prev), passes))| {
                        let rounds = rounds_of(doc);
                        if round >= rounds {
                            return prev;
                        }
                        let last = round + 1 == rounds;
                        // A previous path that passes the self-check places this
                        // pass's band; one that does not is searched for anew.
                        let trusted =
                            !check::assess(&prev.beads(), doc.src.n(), doc.tgt.n(), &doc.anchors)
                                .suspicious();
                        let r = self.pass(
                            doc,
                            doc.model(),
                            &lexicon2,
                            &params,
                            Some((&prev.path, trusted)),
                            last,
                        );
                        *passes += 1;
                        if last {
                            done(k);
                        }
                        r
                    })
                    .collect();
                second_pass_time += t3.elapsed();
            }
        }

        let share = |d: Duration| d / (docs.len().max(1) as u32);
        prepared
            .iter()
            .zip(results)
            .zip(passes)
            .map(|((doc, r), passes)| {
                let beads = r.beads();
                let check = check::assess(&beads, doc.src.n(), doc.tgt.n(), &doc.anchors);
                Alignment {
                    beads,
                    check,
                    stats: AlignStats {
                        length_ratio: doc.length.ratio * doc.length.bias.exp(),
                        learned_links,
                        dp_cells: r.cells,
                        passes,
                        lexicon_time: share(lexicon_time),
                        first_pass_time: share(first_pass_time),
                        model1_time: share(model1_time),
                        second_pass_time: share(second_pass_time),
                        semantic: doc.sim.as_ref().map(Similarity::stats),
                    },
                }
            })
            .collect()
    }

    /// One alignment pass over a document: evidence, band, dynamic programming,
    /// posteriors. `model`: the reading of the document's lengths and gaps to align
    /// with; `previous`: the previous pass's path, and whether it passed the
    /// self-check; `last_pass`: whether this pass gives the result (tempered
    /// posteriors, band widened where the path touches its edge).
    #[allow(clippy::too_many_arguments)]
    fn pass(
        &self,
        doc: &Doc,
        model: Model<'_>,
        lexicon: &Lexicon,
        params: &Params,
        previous: Option<(&[PathBead], bool)>,
        last_pass: bool,
    ) -> PassResult {
        let config = &*self.config;
        let (n, m) = (doc.src.n(), doc.tgt.n());
        let (ev_src, ev_tgt) = doc.evidence(lexicon, params, (1, 1));
        if n == 0 || m == 0 {
            let path: Vec<PathBead> = (0..n)
                .map(|i| PathBead {
                    i0: i,
                    a: 1,
                    j0: 0,
                    b: 0,
                })
                .chain((0..m).map(|j| PathBead {
                    i0: 0,
                    a: 0,
                    j0: j,
                    b: 1,
                }))
                .collect();
            let posterior = vec![1.0; path.len()];
            return PassResult {
                path,
                score: 0.0,
                posterior,
                cells: 0,
                ev_src,
                ev_tgt,
            };
        }
        // The band: the whole grid of a small text. Else, in the first pass, one
        // found coarse to fine on the whole document; in a later pass, the band
        // around the previous path if that path passed the self-check, and if not
        // the coarse-to-fine band as well (with the learned lexicon it finds the
        // course of stretches the previous pass lost): where the two bands part,
        // each is searched and the better path kept (one band joining them would
        // fill the space between).
        let types = &config.types;
        let units = (Units::sentences(n), Units::sentences(m));
        let search = |band: Band| {
            let level = Level::new(
                doc,
                model,
                &ev_src,
                &ev_tgt,
                &band,
                (&units.0, &units.1),
                params,
                config,
            );
            let path = dp::viterbi(m, &band, types, &level);
            let score = dp::path_score(&path, &level);
            (band, level, path, score)
        };
        let (mut band, mut level, mut path, mut score) = if (n + 1) * (m + 1) <= FULL_CELLS {
            search(Band::full(n, m))
        } else {
            match previous {
                None => search(self.coarse_band(doc, model, lexicon, params)),
                Some((prev, true)) => search(band_around(prev, n, m, config.band)),
                Some((prev, false)) => {
                    let coarse = self.coarse_band(doc, model, lexicon, params);
                    let around = band_around(prev, n, m, config.band);
                    let union = coarse.union(&around);
                    if union.cells() as f64
                        <= UNION_GROWTH * coarse.cells().max(around.cells()) as f64
                    {
                        search(union)
                    } else {
                        let a = search(coarse);
                        let b = search(around);
                        if a.3 >= b.3 {
                            a
                        } else {
                            b
                        }
                    }
                }
            }
        };
        let mut margin = config.band;
        loop {
            // Widen where the path runs along the band's edge (the answer may lie
            // outside). Only in the last pass: the first pass's path only places
            // the second pass's band, which is checked again.
            if last_pass && band.cells() < (n + 1) * (m + 1) && margin < 64 * config.band {
                margin *= 2;
                if let Some(wider) = widen_where_touching(&band, &path, n, m, margin, 4 * margin) {
                    (band, level, path, score) = search(wider);
                    continue;
                }
            }
            // Posteriors over the paths near the best one (alternatives further away
            // have negligible weight).
            let near = band_around(&path, n, m, POSTERIOR_MARGIN);
            // The final scores are tempered: the model's independence assumptions
            // make its posteriors overconfident.
            let semantic = doc.sim.as_ref().is_some_and(Similarity::used);
            let temperature = match (last_pass, semantic) {
                (false, _) => 1.0,
                (true, false) => TEMPERATURE,
                (true, true) => SEMANTIC_TEMPERATURE,
            };
            let posterior = dp::posteriors(m, &near, types, &level, &path, temperature);
            return PassResult {
                path,
                score,
                posterior,
                cells: band.cells(),
                ev_src,
                ev_tgt,
            };
        }
    }

    /// A band for the finest level, from alignments of blocks of sentences, coarse
    /// to fine: the coarsest level (blocks of equal length, as many on both sides)
    /// is searched whole, each finer one (four times as many blocks) around the path
    /// of the level above.
    fn coarse_band(&self, doc: &Doc, model: Model<'_>, lexicon: &Lexicon, params: &Params) -> Band {
        let config = &*self.config;
        let (n, m) = (doc.src.n(), doc.tgt.n());
        let top = TOP_CELLS;
        // Blocks per side at each level, coarsest first.
        let mut counts = Vec::new();
        let mut count = n.max(m);
        while count * count > top {
            count = count.div_ceil(COARSE_FACTOR);
            counts.push(count);
        }
        counts.reverse();
        // Units of equal length in source characters (target ones scaled by the
        // length ratio): a partial translation has fewer target units.
        let ratio = model.length.ratio * model.length.bias.exp();
        let total = |lens: &[u32]| lens.iter().map(|&l| l as f64 + 1.0).sum::<f64>();
        let span = total(&doc.src.len).max(total(&doc.tgt.len) / ratio);
        let level_units = |c: usize| {
            let size = span / c as f64;
            (
                Units::by_length(&doc.src.len, size),
                Units::by_length(&doc.tgt.len, size * ratio),
            )
        };
        let (mut su, mut tu) = level_units(counts[0]);
        let mut band = Band::full(su.count(), tu.count());
        for k in 0..counts.len() {
            // Sentences per block of the other side, for the chance of a match.
            let block = |u: &Units, other: &Side| (other.n() / u.count().max(1)).max(1);
            let (ev_src, ev_tgt) = doc.evidence(
                lexicon,
                params,
                (block(&tu, &doc.tgt), block(&su, &doc.src)),
            );
            let level = Level::new(
                doc,
                model,
                &ev_src,
                &ev_tgt,
                &band,
                (&su, &tu),
                params,
                config,
            );
            let path = dp::viterbi(tu.count(), &band, &config.small_types, &level);
            let (nsu, ntu) = if k + 1 < counts.len() {
                level_units(counts[k + 1])
            } else {
                (Units::sentences(n), Units::sentences(m))
            };
            let rects = path.iter().map(|p| {
                let (r0, r1) = nsu.covering(su.start[p.i0], su.start[p.i0 + p.a]);
                let (c0, c1) = ntu.covering(tu.start[p.j0], tu.start[p.j0 + p.b]);
                (r0, r1, c0, c1, COARSE_MARGIN)
            });
            band = Band::from_rects(rects, nsu.count(), ntu.count());
            su = nsu;
            tu = ntu;
        }
        band
    }
}

/// The band of `margin` sentences around a path.
fn band_around(path: &[PathBead], n: usize, m: usize, margin: usize) -> Band {
    Band::from_rects(
        path.iter()
            .map(|p| (p.i0, p.i0 + p.a, p.j0, p.j0 + p.b, margin)),
        n,
        m,
    )
}

/// `band` widened around the stretches of `path` that run along its edge: within
/// `reach` beads of such a point the margin is `margin`.
fn widen_where_touching(
    band: &Band,
    path: &[PathBead],
    n: usize,
    m: usize,
    margin: usize,
    reach: usize,
) -> Option<Band> {
    let touching: Vec<bool> = path
        .iter()
        .map(|p| band.near_edge(p.i0 + p.a, p.j0 + p.b, m, 2) || band.near_edge(p.i0, p.j0, m, 2))
        .collect();
    if !touching.iter().any(|&t| t) {
        return None;
    }
    // Beads within `reach` of a touching one get the wider margin.
    let mut wide = vec![false; path.len()];
    let mut last: Option<usize> = None;
    for k in 0..path.len() {
        if touching[k] {
            last = Some(k);
        }
        if last.is_some_and(|l| k - l <= reach) {
            wide[k] = true;
        }
    }
    last = None;
    for k in (0..path.len()).rev() {
        if touching[k] {
            last = Some(k);
        }
        if last.is_some_and(|l| l - k <= reach) {
            wide[k] = true;
        }
    }
    let old = (0..=n).map(|i| (i, i, band.lo[i], band.hi[i], 0));
    let new = path
        .iter()
        .zip(&wide)
        .filter(|(_, &w)| w)
        .map(|(p, _)| (p.i0, p.i0 + p.a, p.j0, p.j0 + p.b, margin));
    Some(Band::from_rects(old.chain(new), n, m))
}

/// What the bead scores need of grid line i of one side: the sums of the unit
/// lengths and of the absence penalties before it, and ln(smoothed length) of the
/// stretch of a units from unit i (`ln[a - 1]`, a = 1..=4; sentence level only).
/// One struct per line, so that a bead reads each side's terms from two of them.
#[derive(Debug, Clone, Copy, Default)]
struct Line {
    len: f64,
    pen: f64,
    ln: [f64; 4],
}

/// Costs of one level: units are blocks of `k` sentences (k = 1: sentences).
struct Level<'a> {
    /// Grid lines 0..=nu of the source side (see [`Line`]), likewise the target's.
    src: Vec<Line>,
    tgt: Vec<Line>,
    pairs: PairTable,
    length: &'a LengthModel,
    /// ln P(bead type), indexed `[a][b]` (8 × 8, so that `[a & 7][b & 7]` needs no
    /// bounds test; -inf beyond the bead types).
    log_prior: [[f64; 8]; 8],
    gaps: Gaps,
    max_bead: usize,
    lex_scale: f64,
    /// Semantic evidence (sentence level only) and its weight.
    sim: Option<&'a Similarity<'a>>,
    sem_scale: f64,
    /// Units are sentences (else: blocks of a coarse level).
    finest: bool,
    /// Paragraph boundaries at grid rows/columns, and the weight of a mismatch.
    para: Option<(Vec<bool>, Vec<bool>, f64)>,
}

impl<'a> Level<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        doc: &'a Doc<'_>,
        model: Model<'a>,
        ev_src: &Evidence,
        ev_tgt: &Evidence,
        band: &Band,
        units: (&Units, &Units),
        params: &'a Params,
        config: &Config,
    ) -> Level<'a> {
        let (su, tu) = units;
        let finest = su.is_sentences() && tu.is_sentences();
        let (nu, mu) = (su.count(), tu.count());
        let prefix = |lens: &[u32], units: usize, of: &[u32]| -> Vec<f64> {
            let mut out = vec![0.0; units + 1];
            for (i, &l) in lens.iter().enumerate() {
                out[of[i] as usize + 1] += l as f64;
            }
            for u in 0..units {
                out[u + 1] += out[u];
            }
            out
        };
        let src_len = prefix(&doc.src.len, nu, &su.of);
        let tgt_len = prefix(&doc.tgt.len, mu, &tu.of);
        let mb = config.max_bead.min(4);
        let lines = |prefix: &[f64], pen: &[f64], f: &dyn Fn(f64) -> f64| -> Vec<Line> {
            let units = prefix.len() - 1;
            (0..=units)
                .map(|i| {
                    let mut ln = [0.0; 4];
                    if finest && i < units {
                        for a in 1..=mb {
                            ln[a - 1] = f(prefix[(i + a).min(units)] - prefix[i]);
                        }
                    }
                    Line {
                        len: prefix[i],
                        pen: pen[i],
                        ln,
                    }
                })
                .collect()
        };
        let mut pairs = PairTable::for_band(band, mu, config.max_bead, config.max_bead);
        let mut src_pen = vec![0.0; nu + 1];
        let mut tgt_pen = vec![0.0; mu + 1];
        fill_pairs(
            &doc.src,
            &doc.tgt,
            ev_src,
            (su, tu),
            &mut pairs,
            &mut src_pen,
            false,
        );
        fill_pairs(
            &doc.tgt,
            &doc.src,
            ev_tgt,
            (tu, su),
            &mut pairs,
            &mut tgt_pen,
            true,
        );
        let unit_lens =
            |prefix: &[f64]| -> Vec<f64> { prefix.windows(2).map(|w| w[1] - w[0] + 4.0).collect() };
        pairs.convert_to_extents(&unit_lens(&src_len), &unit_lens(&tgt_len));
        // Penalties were stored at u + 1; make them prefix sums.
        for u in 0..nu {
            src_pen[u + 1] += src_pen[u];
        }
        for u in 0..mu {
            tgt_pen[u + 1] += tgt_pen[u];
        }
        let para = if finest {
            paragraph_anchors(&doc.src, &doc.tgt)
        } else {
            None
        };
        Level {
            src: lines(&src_len, &src_pen, &|l| model.length.ln_src(l)),
            tgt: lines(&tgt_len, &tgt_pen, &|l| model.length.ln_tgt(l)),
            pairs,
            length: model.length,
            log_prior: std::array::from_fn(|a| {
                std::array::from_fn(|b| {
                    params
                        .log_prior
                        .get(a)
                        .and_then(|row| row.get(b))
                        .copied()
                        .unwrap_or(f64::NEG_INFINITY)
                })
            }),
            gaps: model.gaps,
            max_bead: config.max_bead,
            lex_scale: LEX_SCALE,
            sim: if finest {
                doc.sim.as_ref().filter(|s| s.used())
            } else {
                None
            },
            sem_scale: SEM_SCALE,
            finest,
            para,
        }
    }
}

impl Level<'_> {
    /// A bead of blocks of equal length: mostly one to one; where the translation
    /// is locally longer or shorter, or a block has no counterpart, the others.
    fn coarse_bead(&self, i0: usize, a: usize, j0: usize, b: usize) -> f64 {
        let prior = match (a, b) {
            (1, 1) => 0.9f64,
            (1, 0) | (0, 1) => 0.01,
            (2, 2) => 0.02,
            _ => 0.03,
        }
        .ln();
        if a == 0 || b == 0 {
            return prior;
        }
        let ls = self.src[i0 + a].len - self.src[i0].len;
        let lt = self.tgt[j0 + b].len - self.tgt[j0].len;
        let gains = self.pairs.add_bead_terms(0.0, i0, a, j0, b);
        prior + self.length.llr(ls, lt) + self.lex_scale * gains
    }
}

impl BeadScorer for Level<'_> {
    #[inline]
    fn bead(&self, i0: usize, a: usize, j0: usize, b: usize) -> f64 {
        self.bead_above(i0, a, j0, b, f64::NEG_INFINITY)
    }

    fn gap(&self, i0: usize, j0: usize, deletion: bool) -> [f64; 2] {
        let k = usize::from(!deletion);
        let first = self.bead(i0, 1 - k, j0, k);
        if !self.finest {
            return [first, first];
        }
        // A deletion at the first or last target position, or an insertion at the
        // first or last source position, is at an end of the document.
        let at_end = if deletion {
            j0 == 0 || j0 + 1 == self.tgt.len()
        } else {
            i0 == 0 || i0 + 1 == self.src.len()
        };
        if at_end && self.gaps.free_ends == Some(k) {
            return [END_OPEN.ln(), END_EXTEND.ln()];
        }
        [first, self.gaps.extend[k].unwrap_or(first)]
    }

    #[inline]
    fn bead_above(&self, i0: usize, a: usize, j0: usize, b: usize, floor: f64) -> f64 {
        if !self.finest {
            return self.coarse_bead(i0, a, j0, b);
        }
        let prior = self.log_prior[a & 7][b & 7];
        if a == 0 || b == 0 {
            return prior;
        }
        debug_assert!(a <= self.max_bead && b <= self.max_bead);
        // The lines at both ends of the bead on each side.
        let (s, t) = (&self.src[i0..=i0 + a], &self.tgt[j0..=j0 + b]);
        let (s0, s1, t0, t1) = (&s[0], &s[a], &t[0], &t[b]);
        let ls = s1.len - s0.len;
        let lt = t1.len - t0.len;
        // The lexical term: the absence penalties of the bead's units' evidence
        // types, and each source unit's types matched anywhere in the target units
        // and vice versa (see `PairTable::convert_to_extents`).
        let pen = (s1.pen - s0.pen) + (t1.pen - t0.pen);
        let lex = self.pairs.add_bead_terms(pen, i0, a, j0, b);
        let sem_max = self.sim.map_or(0.0, |s| self.sem_scale * s.max_llr());
        if prior + self.lex_scale * lex + self.length.max_llr() + sem_max <= floor {
            // Cannot win whatever the lengths and vectors (paragraph terms only
            // subtract).
            return f64::NEG_INFINITY;
        }
        let (ln_s, ln_t) = (s0.ln[(a - 1) & 3], t0.ln[(b - 1) & 3]);
        let mut score = prior + self.length.llr_logs(ls, lt, ln_s, ln_t) + self.lex_scale * lex;
        if let Some((sb, tb, w)) = &self.para {
            let inner = (i0 + 1..i0 + a).filter(|&i| sb[i]).count()
                + (j0 + 1..j0 + b).filter(|&j| tb[j]).count();
            score -= w * inner as f64;
            if sb[i0 + a] != tb[j0 + b] {
                score -= 0.5 * w;
            }
        }
        if let Some(sim) = self.sim {
            if score + sem_max <= floor {
                return f64::NEG_INFINITY;
            }
            score += self.sem_scale * sim.llr(i0, a, j0, b);
        }
        score
    }
}

/// Paragraph boundaries of both sides (true at grid line i if sentence i starts a
/// paragraph, and at both ends), with a weight that depends on how similar the
/// paragraph counts are; `None` if a side has no paragraphs or they do not match.
fn paragraph_anchors(src: &Side, tgt: &Side) -> Option<(Vec<bool>, Vec<bool>, f64)> {
    let (sp, tp) = (src.paragraph.as_ref()?, tgt.paragraph.as_ref()?);
    let breaks = |p: &[usize]| -> Vec<bool> {
        let mut out = vec![true; p.len() + 1];
        for i in 1..p.len() {
            out[i] = p[i] != p[i - 1];
        }
        out
    };
    let (sb, tb) = (breaks(sp), breaks(tp));
    let count = |b: &[bool]| b.iter().filter(|&&x| x).count() as f64;
    let (cs, ct) = (count(&sb), count(&tb));
    if cs <= 2.0 || ct <= 2.0 {
        return None;
    }
    let agreement = cs.min(ct) / cs.max(ct);
    if agreement < 0.7 {
        return None;
    }
    Some((sb, tb, 3.0 * (agreement - 0.6) / 0.4))
}

/// Adds the lexical evidence of `side` (sentences) against `other` to the pair table
/// (rows are `side`'s units unless `transposed`) and the absence penalties of unit u
/// to `pen[u + 1]`.
fn fill_pairs(
    side: &Side,
    other: &Side,
    ev: &Evidence,
    units: (&Units, &Units),
    pairs: &mut PairTable,
    pen: &mut [f64],
    transposed: bool,
) {
    let weight = 0.5f32;
    let (side_units, other_units) = units;
    let units_other = other_units.count();
    let mut best: Vec<f32> = Vec::new();
    let mut touched: Vec<usize> = Vec::new();
    let mut hint = (0usize, 0usize);
    let mut cursors = other.postings.cursors();
    for (i, types) in side.lists.iter().enumerate() {
        let u = side_units.of[i] as usize;
        // Range of `other` units this unit pairs with.
        let (lo, hi) = if transposed {
            pairs.rows_with(u, &mut hint)
        } else {
            pairs.columns(u)
        };
        let (lo, hi) = (lo.min(units_other), hi.min(units_other));
        if best.len() < hi.saturating_sub(lo) {
            best.resize(hi - lo, 0.0);
        }
        for &s in types {
            let Some(te) = ev.get(s) else { continue };
            pen[u + 1] += (weight * te.pen) as f64;
            // A match anywhere in b sentences is likelier by chance than in one:
            // ln((1-(1-q)^b)/q) ≈ ln(b)·ln(2-q)/ln(2).
            let chance = weight * te.spread;
            if hi <= lo {
                continue;
            }
            for c in &te.links {
                let gain = c.gain;
                for &j in other.postings.within_forward(
                    c,
                    other_units.start[lo],
                    other_units.start[hi],
                    &mut cursors,
                ) {
                    let v = other_units.of[j as usize] as usize - lo;
                    if best[v] == 0.0 {
                        touched.push(v);
                    }
                    if gain > best[v] {
                        best[v] = gain;
                    }
                }
            }
            for &v in &touched {
                let g = best[v];
                let next = best.get(v + 1).copied().unwrap_or(0.0);
                let (r, c) = if transposed { (v + lo, u) } else { (u, v + lo) };
                if let Some(st) = pairs.get_mut(r, c) {
                    let stat = if transposed { &mut st.tgt } else { &mut st.src };
                    stat[0] += weight * g;
                    stat[1] += chance;
                    if next > 0.0 {
                        stat[2] += weight * g.min(next);
                        stat[3] += chance;
                    }
                }
            }
            for &v in &touched {
                best[v] = 0.0;
            }
            touched.clear();
        }
    }
}

/// Re-estimates the bead priors, the link kinds' match probabilities and each
/// document's length model from the last pass (each smoothed towards its current
/// value, so a second round refines the first round's estimates).
fn reestimate(params: &mut Params, docs: &mut [Doc<'_>], results: &[PassResult], config: &Config) {
    let k = config.max_bead + 1;
    let mut counts = vec![vec![0.0f64; k]; k];
    let mut matched = [0.0f64; LINK_KINDS];
    let mut total = [0.0f64; LINK_KINDS];
    for (doc, r) in docs.iter_mut().zip(results) {
        let mut lens = Vec::new();
        let mut tally = MatchTally {
            matched: &mut matched,
            total: &mut total,
            src_cursors: doc.tgt.postings.cursors(),
            tgt_cursors: doc.src.postings.cursors(),
            scratch: Vec::new(),
        };
        for (p, &post) in r.path.iter().zip(&r.posterior) {
            counts[p.a][p.b] += post;
            if p.a == 0 || p.b == 0 || post < 0.5 {
                continue;
            }
            let ls: f64 = doc.src.len[p.i0..p.i0 + p.a]
                .iter()
                .map(|&x| x as f64)
                .sum();
            let lt: f64 = doc.tgt.len[p.j0..p.j0 + p.b]
                .iter()
                .map(|&x| x as f64)
                .sum();
            lens.push((ls, lt, post));
            tally.count(
                &doc.src,
                &doc.tgt,
                &r.ev_src,
                p.i0..p.i0 + p.a,
                p.j0..p.j0 + p.b,
                true,
            );
            tally.count(
                &doc.tgt,
                &doc.src,
                &r.ev_tgt,
                p.j0..p.j0 + p.b,
                p.i0..p.i0 + p.a,
                false,
            );
        }
        doc.length.refit(&lens);
        doc.gaps = doc.gaps.after_pass(&r.path);
        if let Some(sim) = &mut doc.sim {
            sim.refit(
                r.path
                    .iter()
                    .zip(&r.posterior)
                    .map(|(p, &post)| ((p.i0, p.a, p.j0, p.b), post)),
            );
        }
    }
    // Bead priors of the types the first pass used: Dirichlet-smoothed towards the
    // initial ones, within their initial share (other types keep theirs).
    let alpha = 100.0;
    let used = &config.types;
    let n: f64 = used.iter().map(|&(a, b)| counts[a][b]).sum();
    let share: f64 = used
        .iter()
        .map(|&(a, b)| params.log_prior[a][b].exp())
        .sum();
    let mut prob = vec![vec![0.0; k]; k];
    for &(a, b) in used {
        let p0 = params.log_prior[a][b].exp() / share;
        prob[a][b] = share * (counts[a][b] + alpha * p0) / (n + alpha);
    }
    for &(a, b) in used {
        params.log_prior[a][b] = prob[a][b].max(1e-6).ln();
    }
    let strength = 20.0;
    for kind in LinkKind::ALL {
        let i = kind as usize;
        let p0 = kind.prior_p();
        params.kind_p[i] = ((matched[i] + strength * p0) / (total[i] + strength)).clamp(0.05, 0.95);
    }
}

/// Counts, per link kind, evidence types and those whose counterpart was found.
struct MatchTally<'a> {
    matched: &'a mut [f64; LINK_KINDS],
    total: &'a mut [f64; LINK_KINDS],
    /// Cursors into the target side's postings (for source types), and back.
    src_cursors: Vec<u32>,
    tgt_cursors: Vec<u32>,
    scratch: Vec<u32>,
}

impl MatchTally<'_> {
    /// For every type with evidence in sentences `rows` of `side`, whether one of its
    /// counterparts is in sentences `cols` of `other` (beads in document order).
    fn count(
        &mut self,
        side: &Side,
        other: &Side,
        ev: &Evidence,
        rows: Range<usize>,
        cols: Range<usize>,
        from_source: bool,
    ) {
        self.scratch.clear();
        for i in rows {
            self.scratch.extend_from_slice(&side.lists[i]);
        }
        self.scratch.sort_unstable();
        self.scratch.dedup();
        let cursors = if from_source {
            &mut self.src_cursors
        } else {
            &mut self.tgt_cursors
        };
        for s in &self.scratch {
            let Some(te) = ev.get(*s) else { continue };
            let mut hit = false;
            for c in &te.links {
                if !other
                    .postings
                    .within_forward(c, cols.start, cols.end, cursors)
                    .is_empty()
                {
                    hit = true;
                }
            }
            self.total[te.kind as usize] += 1.0;
            if hit {
                self.matched[te.kind as usize] += 1.0;
            }
        }
    }
}

/// Training material for the lexicon: the words of the first pass's confident
/// beads of at most 3 sentences.
fn training_pairs(
    docs: &[Doc<'_>],
    results: &[PassResult],
    src_vocab: &Vocab,
    tgt_vocab: &Vocab,
) -> Vec<(Vec<u32>, Vec<u32>)> {
    let content = |v: &Vocab, t: u32| {
        matches!(
            v.types[t as usize].kind,
            TokenKind::Word | TokenKind::Ideograph
        )
    };
    let mut out = Vec::new();
    for (doc, r) in docs.iter().zip(results) {
        for (p, &post) in r.path.iter().zip(&r.posterior) {
            if p.a == 0 || p.b == 0 || p.a + p.b > 3 || post < 0.5 {
                continue;
            }
            let collect = |side: &Side, range: Range<usize>, v: &Vocab| -> Vec<u32> {
                let mut ws: Vec<u32> = range
                    .flat_map(|i| side.types[i].iter().copied())
                    .filter(|&t| content(v, t))
                    .collect();
                ws.sort_unstable();
                ws.dedup();
                ws
            };
            let s = collect(&doc.src, p.i0..p.i0 + p.a, src_vocab);
            let t = collect(&doc.tgt, p.j0..p.j0 + p.b, tgt_vocab);
            if !s.is_empty() && !t.is_empty() {
                out.push((s, t));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sents(texts: &[&'static str]) -> Vec<Sentence<'static>> {
        texts.iter().map(|t| Sentence::new(t)).collect()
    }

    fn check_cover(al: &Alignment, n: usize, m: usize) {
        let (mut i, mut j) = (0, 0);
        for b in &al.beads {
            assert_eq!(b.src.start, i, "{:?}", al.beads);
            assert_eq!(b.tgt.start, j, "{:?}", al.beads);
            assert!(!(b.src.is_empty() && b.tgt.is_empty()));
            assert!((0.0..=1.0).contains(&b.score));
            i = b.src.end;
            j = b.tgt.end;
        }
        assert_eq!((i, j), (n, m));
    }

    #[test]
    fn empty_sides() {
        let a = Aligner::new();
        let al = a.align(&[], &sents(&["x", "y"]));
        check_cover(&al, 0, 2);
        let al = a.align(&sents(&["x"]), &[]);
        check_cover(&al, 1, 0);
        assert!(a.align(&[], &[]).beads.is_empty());
    }

    #[test]
    fn merges_and_insertions() {
        let src = sents(&[
            "In 1956 the Everest expedition reached the summit (8848 m).",
            "Nobody had expected it, and the newspapers wrote about it for weeks after the return of the team to Zürich.",
            "Was it luck?",
            "The leader, Albert Eggler, thought otherwise.",
            "Four climbers reached the top of Lhotse on 18 May.",
            "Two more followed on Everest on 23 and 24 May.",
            "The weather was fine.",
            "The expedition returned to Kathmandu in June.",
        ]);
        let tgt = sents(&[
            "En 1956, l'expédition à l'Everest atteignit le sommet (8848 m).",
            "Personne ne s'y attendait.",
            "Les journaux en parlèrent pendant des semaines après le retour de l'équipe à Zurich.",
            "Était-ce de la chance ?",
            "Photographie de la fondation suisse pour les recherches alpines, archives.",
            "Le chef, Albert Eggler, pensait autrement.",
            "Quatre alpinistes atteignirent le sommet du Lhotse le 18 mai.",
            "Deux autres suivirent à l'Everest les 23 et 24 mai.",
            "Il faisait beau.",
            "L'expédition revint à Katmandou en juin.",
        ]);
        let al = Aligner::new().align(&src, &tgt);
        check_cover(&al, 8, 10);
        let got: Vec<(Range<usize>, Range<usize>)> = al
            .beads
            .iter()
            .map(|b| (b.src.clone(), b.tgt.clone()))
            .collect();
        assert_eq!(got[0], (0..1, 0..1));
        assert_eq!(got[1], (1..2, 1..3));
        assert_eq!(got[2], (2..3, 3..4));
        assert_eq!(got[3], (3..3, 4..5), "{got:?}");
        assert_eq!(got[4], (3..4, 5..6));
        assert_eq!(got.len(), 9);
    }

    #[test]
    fn short_texts_get_a_second_learning_round_and_long_ones_do_not() {
        let en: Vec<String> = (0..40)
            .map(|k| {
                format!(
                    "Chapter {k}: the castle of baron {k} had {} windows.",
                    k * 7
                )
            })
            .collect();
        let fr: Vec<String> = (0..40)
            .map(|k| {
                format!(
                    "Chapitre {k} : le château du baron {k} avait {} fenêtres.",
                    k * 7
                )
            })
            .collect();
        let src: Vec<Sentence> = en.iter().map(|t| Sentence::new(t)).collect();
        let tgt: Vec<Sentence> = fr.iter().map(|t| Sentence::new(t)).collect();
        let al = Aligner::new().align(&src, &tgt);
        assert_eq!(al.stats.passes, 1 + LEARNING_ROUNDS);
        assert!(al
            .beads
            .iter()
            .all(|b| b.src.len() == 1 && b.src.start == b.tgt.start));
        let al = Aligner::builder()
            .learn_lexicon(false)
            .build()
            .align(&src, &tgt);
        assert_eq!(al.stats.passes, 1);
        // In a batch, each document gets the rounds its own length allows.
        let long_en: Vec<String> = (0..LONG_TEXT / 2 + 1)
            .map(|k| format!("Line {k} of the register."))
            .collect();
        let long_fr: Vec<String> = (0..LONG_TEXT / 2 + 1)
            .map(|k| format!("Ligne {k} du registre."))
            .collect();
        let ls: Vec<Sentence> = long_en.iter().map(|t| Sentence::new(t)).collect();
        let lt: Vec<Sentence> = long_fr.iter().map(|t| Sentence::new(t)).collect();
        let both = Aligner::new().align_batch(&[(&src, &tgt), (&ls, &lt)]);
        assert_eq!(both[0].stats.passes, 1 + LEARNING_ROUNDS);
        assert_eq!(both[1].stats.passes, 2);
        check_cover(&both[1], ls.len(), lt.len());
        assert!(both[1].beads.iter().all(|b| b.src.start == b.tgt.start));
    }

    proptest! {
        #![proptest_config(crate::test_support::proptest_cases(64))]
        #[test]
        fn alignments_are_monotone_and_complete(
            src in proptest::collection::vec("[a-zA-Z0-9 ?!.,]{0,40}", 0..30),
            tgt in proptest::collection::vec("[a-zA-Zа-я0-9 ?!.,]{0,40}", 0..30),
        ) {
            let s: Vec<Sentence> = src.iter().map(|x| Sentence::new(x)).collect();
            let t: Vec<Sentence> = tgt.iter().map(|x| Sentence::new(x)).collect();
            let al = Aligner::new().align(&s, &t);
            check_cover(&al, s.len(), t.len());
        }
    }
}
