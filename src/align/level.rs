//! The costs of one level of the search: bead scores from the lengths, the
//! lexical evidence of the band's sentence pairs, paragraph anchors and, at the
//! sentence level, semantic evidence.

use super::batch::{Doc, Gaps, Model};
use super::dp::{Band, BeadScorer, PairTable};
use super::learn::Params;
use super::length::LengthModel;
use super::lexical::{Evidence, Side};
use super::similarity::Similarity;
use super::units::Units;

/// Weight of lexical evidence relative to length evidence.
const LEX_SCALE: f64 = 0.75;
/// Weight of semantic evidence relative to length evidence. Its ratio keeps rising
/// below the translations' mean cost (see `similarity.rs`), so it spans more than
/// when it was held flat there (weight 0.5 then); 0.35 is best on the covered dev
/// sets together (`eval align --semantic`, strict F1, 0.25 / 0.35 / 0.5 / 0.7:
/// mac-dev 0.892 / 0.894 / 0.893 / 0.889, textberg-dev 0.869 / 0.871 / 0.868 /
/// 0.862, Emma en–fr 0.714 / 0.721 / 0.717 / 0.690).
const SEM_SCALE: f64 = 0.35;
/// P(a first 1-0) and P(1-0 | 1-0) at the free ends of the longer side of a
/// partial translation (likewise 0-1).
const END_OPEN: f64 = 0.05;
const END_EXTEND: f64 = 0.98;

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
pub(super) struct Level<'a> {
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
    /// The level of `units` (source, target) over `band`, with the lexical evidence
    /// of both sides (source types against the target, and back), for beads of up
    /// to `max_bead` units a side.
    pub(super) fn new(
        doc: &'a Doc<'_>,
        model: Model<'a>,
        evidence: &(Evidence, Evidence),
        band: &Band,
        units: (&Units, &Units),
        params: &'a Params,
        max_bead: usize,
    ) -> Level<'a> {
        let (su, tu) = units;
        let (ev_src, ev_tgt) = evidence;
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
        let mb = max_bead.min(4);
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
        let mut pairs = PairTable::for_band(band, mu, max_bead, max_bead);
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
            max_bead,
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
        if a > 4 || b > 4 {
            return self.pair_bead::<true>(prior, i0, a, j0, b, floor);
        }
        self.pair_bead::<false>(prior, i0, a, j0, b, floor)
    }
}

impl Level<'_> {
    /// The score of a bead with sentences on both sides (see
    /// [`BeadScorer::bead_above`]); `LONG`: a side has 5 (`max_bead` 5), whose
    /// terms are not in the lines and the pair table's extents of up to 4, so that
    /// the beads of up to 4 a side keep their code as it was.
    #[inline(always)]
    fn pair_bead<const LONG: bool>(
        &self,
        prior: f64,
        i0: usize,
        a: usize,
        j0: usize,
        b: usize,
        floor: f64,
    ) -> f64 {
        // The lines at both ends of the bead on each side.
        let (s, t) = (&self.src[i0..=i0 + a], &self.tgt[j0..=j0 + b]);
        let (s0, s1, t0, t1) = (&s[0], &s[a], &t[0], &t[b]);
        let ls = s1.len - s0.len;
        let lt = t1.len - t0.len;
        // The lexical term: the absence penalties of the bead's units' evidence
        // types, and each source unit's types matched anywhere in the target units
        // and vice versa (see `PairTable::convert_to_extents`).
        let pen = (s1.pen - s0.pen) + (t1.pen - t0.pen);
        let lex = if LONG {
            self.pairs.add_long_bead_terms(pen, i0, a, j0, b)
        } else {
            self.pairs.add_bead_terms(pen, i0, a, j0, b)
        };
        let sem_max = self.sim.map_or(0.0, |s| self.sem_scale * s.max_llr());
        if prior + self.lex_scale * lex + self.length.max_llr() + sem_max <= floor {
            // Cannot win whatever the lengths and vectors (paragraph terms only
            // subtract).
            return f64::NEG_INFINITY;
        }
        let (ln_s, ln_t) = if LONG {
            let side = |line: &Line, k: usize, l: f64, ln: fn(&LengthModel, f64) -> f64| {
                line.ln
                    .get(k - 1)
                    .copied()
                    .unwrap_or_else(|| ln(self.length, l))
            };
            (
                side(s0, a, ls, LengthModel::ln_src),
                side(t0, b, lt, LengthModel::ln_tgt),
            )
        } else {
            (s0.ln[(a - 1) & 3], t0.ln[(b - 1) & 3])
        };
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
