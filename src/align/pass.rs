//! One alignment pass over a document: the band to search (the whole grid, the
//! coarse-to-fine band, or the band around the previous pass's path), the dynamic
//! programming, widening where the path hugs the band's edge, and the posteriors.

use super::band::{band_around, widen_where_touching};
use super::batch::{Doc, Model};
use super::dp::{self, Band, PathBead};
use super::learn::Params;
use super::level::Level;
use super::lexical::{Evidence, Lexicon};
use super::similarity::Similarity;
use super::units::Units;
use super::{Aligner, Bead};

/// Grids up to this many points are searched whole at the finest level.
const FULL_CELLS: usize = 1_500_000;
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

/// The result of one pass over one document.
pub(super) struct PassResult {
    pub(super) path: Vec<PathBead>,
    /// The path's score (see [`dp::path_score`]).
    pub(super) score: f64,
    pub(super) posterior: Vec<f64>,
    pub(super) cells: usize,
    pub(super) ev_src: Evidence,
    pub(super) ev_tgt: Evidence,
}

impl PassResult {
    /// The pass's path as beads scored by their posteriors.
    pub(super) fn beads(&self) -> Vec<Bead> {
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
    /// One alignment pass over a document: evidence, band, dynamic programming,
    /// posteriors. `model`: the reading of the document's lengths and gaps to align
    /// with; `previous`: the previous pass's path, and whether it passed the
    /// self-check; `last_pass`: whether this pass gives the result (tempered
    /// posteriors, band widened where the path touches its edge).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn pass(
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
        let ev = doc.evidence(lexicon, params, (1, 1));
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
                ev_src: ev.0,
                ev_tgt: ev.1,
            };
        }
        // The band: the whole grid of a small text. Else, in the first pass, one
        // found coarse to fine on the whole document; in a later pass, the band
        // around the previous path if that path passed the self-check, and if not
        // the coarse-to-fine band as well (with the learned lexicon it finds the
        // course of stretches the previous pass lost): where the two bands part,
        // each is searched and the better path kept (one band joining them would
        // fill the space between).
        // Beads of 5 a side only in the last pass (see `AlignerBuilder::max_bead`).
        let (types, max_bead) = if last_pass {
            (&config.types, config.max_bead)
        } else {
            (&config.learning_types, config.max_bead.min(4))
        };
        let units = (Units::sentences(n), Units::sentences(m));
        let search = |band: Band| {
            let level = Level::new(
                doc,
                model,
                &ev,
                &band,
                (&units.0, &units.1),
                params,
                max_bead,
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
                ev_src: ev.0,
                ev_tgt: ev.1,
            };
        }
    }
}
