//! Where a pass searches: the band found coarse to fine over blocks of sentences,
//! the band around a path, and its widening where a path runs along its edge.

use super::batch::{Doc, Model};
use super::dp::{self, Band, PathBead};
use super::learn::Params;
use super::level::Level;
use super::lexical::{Lexicon, Side};
use super::units::Units;
use super::Aligner;

/// Coarse levels group this many units of the level below.
const COARSE_FACTOR: usize = 4;
/// The coarsest level is searched whole; it has at most this many points.
const TOP_CELLS: usize = 150_000;
/// Margin, in units, around a coarse path projected onto the next level.
const COARSE_MARGIN: usize = 6;

impl Aligner {
    /// A band for the finest level, from alignments of blocks of sentences, coarse
    /// to fine: the coarsest level (blocks of equal length, as many on both sides)
    /// is searched whole, each finer one (four times as many blocks) around the path
    /// of the level above.
    pub(super) fn coarse_band(
        &self,
        doc: &Doc,
        model: Model<'_>,
        lexicon: &Lexicon,
        params: &Params,
    ) -> Band {
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
            let ev = doc.evidence(
                lexicon,
                params,
                (block(&tu, &doc.tgt), block(&su, &doc.src)),
            );
            let level = Level::new(
                doc,
                model,
                &ev,
                &band,
                (&su, &tu),
                params,
                config.max_bead.min(4),
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
pub(super) fn band_around(path: &[PathBead], n: usize, m: usize, margin: usize) -> Band {
    Band::from_rects(
        path.iter()
            .map(|p| (p.i0, p.i0 + p.a, p.j0, p.j0 + p.b, margin)),
        n,
        m,
    )
}

/// `band` widened around the stretches of `path` that run along its edge: within
/// `reach` beads of such a point the margin is `margin`.
pub(super) fn widen_where_touching(
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
