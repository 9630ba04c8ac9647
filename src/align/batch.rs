//! The batch driver: prepares the document pairs of a batch (sides, length
//! readings, anchors), runs the first pass, then the rounds of re-estimation,
//! lexicon learning and re-alignment, and assembles the results.

use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::dp::PathBead;
use super::learn::{reestimate, training_pairs, Params};
use super::length::LengthModel;
use super::lexical::{self, Evidence, Lexicon, LinkKind, Side, Vocab};
use super::pass::PassResult;
use super::similarity::Similarity;
use super::{check, crossing, model1, AlignStats, Aligner, Alignment, Sentence, SpanVectors};

/// Texts with more sentences (both sides) than this are long: they get one round of
/// lexicon learning (the time budget).
const LONG_TEXT: usize = 20_000;
/// Rounds of lexicon learning and re-alignment for documents that are not long
/// (long ones get one: the time budget).
const LEARNING_ROUNDS: usize = 2;
/// EM iterations of the lexicon.
const MODEL1_ITERATIONS: usize = 5;

/// The other reading of a document's lengths (whole or partial translation) is kept
/// only if its first pass scores this much higher (or 2 % of the score, if more):
/// the looser reading fits noise too.
const HYPOTHESIS_MARGIN: f64 = 20.0;
/// A run of this many 1-0 (or 0-1) beads in a pass makes runs of them cheap in the
/// next: P(1-0 | 1-0) = RUN_EXTEND.
const LONG_RUN: usize = 8;
const RUN_EXTEND: f64 = 0.8;

/// A document pair being aligned.
pub(super) struct Doc<'v> {
    pub(super) src: Side,
    pub(super) tgt: Side,
    pub(super) length: LengthModel,
    /// How this document prices sentences without counterpart.
    pub(super) gaps: Gaps,
    /// The other reading of the document's lengths (a whole translation or a
    /// partial one, see [`LengthModel::hypotheses`]), tried in the first pass.
    pub(super) alternative: Option<(LengthModel, Gaps)>,
    /// Sentence pairs sharing a number or name found once on each side (see
    /// [`check`]).
    pub(super) anchors: Vec<(usize, usize)>,
    /// Semantic evidence, when the document has sentence vectors.
    pub(super) sim: Option<Similarity<'v>>,
}

impl Doc<'_> {
    /// The lexical evidence of both sides (source types against the target, and
    /// back), for units of `blocks` (target, source) sentences.
    pub(super) fn evidence(
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
    pub(super) fn model(&self) -> Model<'_> {
        Model {
            length: &self.length,
            gaps: self.gaps,
        }
    }
}

/// A reading of a document pair: its length model and how it prices sentences
/// without counterpart.
#[derive(Clone, Copy)]
pub(super) struct Model<'a> {
    pub(super) length: &'a LengthModel,
    pub(super) gaps: Gaps,
}

/// How a document prices sentences without counterpart (1-0 and 0-1 beads, index 0
/// and 1). By default a run of them costs as much as its beads one by one. A
/// partial translation (one side much shorter than the other) leaves one end or
/// both ends of the longer side without counterpart: there a run is cheap, so the
/// missing part is one run rather than beads scattered where the lengths happen to
/// fit. A long run in a pass (a missing page) makes runs cheap anywhere.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Gaps {
    /// The side whose ends may lack a counterpart (0: the source, 1: the target).
    pub(super) free_ends: Option<usize>,
    /// ln P of a 1-0 / 0-1 bead right after another of its kind, where not the
    /// same as a first one.
    pub(super) extend: [Option<f64>; 2],
}

impl Gaps {
    /// Before the first pass: the longer side of a partial translation has free ends.
    pub(super) fn initial(short_side: Option<bool>) -> Gaps {
        Gaps {
            // The target falls short: the source's ends lack a counterpart.
            free_ends: short_side.map(|target_short| usize::from(!target_short)),
            extend: [None; 2],
        }
    }

    /// After a pass: runs of at least `LONG_RUN` beads of a kind make its runs cheap.
    pub(super) fn after_pass(mut self, path: &[PathBead]) -> Gaps {
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

impl Aligner {
    /// The body of [`Aligner::align_batch_with_vectors`].
    pub(super) fn run_batch(
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
            .zip(docs)
            .zip(results)
            .zip(passes)
            .map(|(((doc, (src, tgt)), r), passes)| {
                let beads = crossing::join_crossings(r.beads(), src, tgt);
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
}

#[cfg(test)]
mod tests {
    use super::super::tests::check_cover;
    use super::*;

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
}
