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
//! 3. `dp.rs`, `units.rs`, `band.rs`, `level.rs`, `pass.rs`: dynamic programming
//!    over beads (scored per level in `level.rs`) in a band found coarse to fine
//!    over blocks of equal length (`band.rs`), so time and memory are linear in the
//!    length of the texts, and runs of sentences without counterpart are priced as
//!    runs; `pass.rs` is one pass over a document;
//! 4. `model1.rs`, `learn.rs`, `batch.rs`: a translation lexicon (IBM Model 1)
//!    trained on the first pass's confident beads — pooled over all documents of a
//!    batch — then a second pass with it (Moore 2002), searching the whole document
//!    again where the first pass's path fails the self-check. Paragraph boundaries,
//!    when both sides have them, are soft anchors;
//! 5. `check.rs`: the self-check of the result ([`AlignCheck`]): stretches that look
//!    derailed, and the figures a user can see.
//! 6. `spans.rs`, `similarity.rs` (optional): semantic evidence from sentence
//!    vectors of both sides ([`SpanVectors`], from Vecalign's files or an encoder),
//!    a log-likelihood ratio of a bead's normalised cosine cost, through
//!    [`Aligner::align_batch_with_vectors`].

mod anchored;
mod band;
mod batch;
mod check;
mod crossing;
mod document;
mod dp;
mod learn;
mod length;
mod level;
mod lexical;
mod model1;
mod pairs;
mod pass;
mod similarity;
mod spans;
mod tokens;
mod translit;
mod units;

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

pub use anchored::{align_anchored, check_anchors, Anchor};
pub use check::{AlignCheck, Stretch};
pub use document::{decode_text, Document};
pub use lexical::Dictionary;
pub use pairs::{bead_units, UnitInfo};
pub use similarity::SemanticStats;
pub use spans::SpanVectors;

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
    /// Largest number of sentences on one side of a bead (1–5, default 4). Beads of
    /// up to 4 a side have at most `max + 1` sentences in all (so 4 allows 1-4,
    /// 2-3, 3-2 and 4-1); 5 adds 1-5 and 5-1, in the last pass only: the bead
    /// priors, the lexicon and the semantic costs are learned as with 4, so the
    /// new types only take a sentence list split five ways (or five merged) where
    /// the final scores want it. Allowed in the learning passes too, they moved
    /// the learned estimates and with them beads elsewhere (mac-dev `--semantic`
    /// 0.8925 → 0.8896, textberg-dev 0.8951 → 0.8879); 2-5 and 5-2 as well lost
    /// on mac-dev, Emma and Candide en–es (docs/align.md). With semantic evidence
    /// the vectors must have spans of 5.
    pub fn max_bead(mut self, max: usize) -> AlignerBuilder {
        self.max_bead = max.clamp(1, 5);
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
        let sides = self.max_bead.min(4);
        for total in 3..=sides + 1 {
            for a in 1..total {
                let b = total - a;
                if a <= sides && b <= sides {
                    types.push((a, b));
                }
            }
        }
        // 1-5 and 5-1 only in the last pass: see `max_bead`.
        let learning_types = types.clone();
        if self.max_bead >= 5 {
            types.extend([(1, 5), (5, 1)]);
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
                learning_types,
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
    /// Bead types of the passes before the last (those whose beads the priors,
    /// the lexicon and the semantic costs are learned from).
    learning_types: Vec<(usize, usize)>,
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
        self.run_batch(docs, vectors, done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(super) fn sents(texts: &[&'static str]) -> Vec<Sentence<'static>> {
        texts.iter().map(|t| Sentence::new(t)).collect()
    }

    pub(super) fn check_cover(al: &Alignment, n: usize, m: usize) {
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
    fn a_list_split_five_ways_is_one_bead_with_max_bead_5() {
        let src = sents(&[
            "The survey of the range took six summers.",
            "The Swiss foundation paid for the work of the scientists in the valley.",
            "In 1952 Lombard mapped the rocks, in 1953 Pugh studied the climbers, in 1954 Heuberger the landforms, in 1955 Schneider drew the maps and in 1956 Müller measured the glaciers.",
            "Their reports appeared in Bern in 1958.",
            "The maps are still in use today.",
        ]);
        let tgt = sents(&[
            "Le relevé de la chaîne dura six étés.",
            "La fondation suisse paya le travail des savants dans la vallée.",
            "1952, Lombard en géologie ;",
            "1953, Pugh en physiologie ;",
            "1954, Heuberger en géographie ;",
            "1955, Schneider en cartographie ;",
            "1956, Müller en glaciologie.",
            "Leurs rapports parurent à Berne en 1958.",
            "Les cartes servent encore aujourd'hui.",
        ]);
        let pairs = |al: &Alignment| -> Vec<(Range<usize>, Range<usize>)> {
            al.beads
                .iter()
                .map(|b| (b.src.clone(), b.tgt.clone()))
                .collect()
        };
        let five = pairs(&Aligner::builder().max_bead(5).build().align(&src, &tgt));
        assert_eq!(
            five,
            [
                (0..1, 0..1),
                (1..2, 1..2),
                (2..3, 2..7),
                (3..4, 7..8),
                (4..5, 8..9)
            ]
        );
        // Up to 4 a side, the list cannot be one bead.
        let four = pairs(&Aligner::new().align(&src, &tgt));
        assert!(!four.contains(&(2..3, 2..7)), "{four:?}");
        assert_eq!(four.len(), 6, "{four:?}");
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
