//! Semantic evidence: how much likelier the similarity of a bead's two vectors is
//! if the bead is a translation than if its sides are unrelated.
//!
//! As in Vecalign, a bead's cost is 1 − cos of its two span vectors, divided by the
//! mean cost of each span against random sentences of the other side: encoders
//! place some sentences close to everything (short ones, names, hubs) and others
//! far, and this puts every span on one scale where unrelated pairs cost about 1.
//! Unlike Vecalign, the cost is not used as it is but turned into a log-likelihood
//! ratio like the length and lexical evidence: the cost of unrelated pairs (random
//! ones) and of translations (first the best match of sampled sentences near the
//! diagonal, then the confident beads of each pass) are normal, a translation is an
//! outlier with probability 4 % (so that one poor vector cannot veto a bead the
//! other evidence wants), and a cost above the unrelated mean counts as that mean.
//! Below the translations' mean the ratio goes on rising at its slope there (the
//! unrelated pairs' tail): half of all translations lie there, and a merged bead
//! (2-1, 1-2) whose vector matches better than its 1-1 part must win on that
//! difference — gold merges of Text+Berg cost a median 0.10 less than their best
//! part, which a ratio held flat below the mean could not see. Vectors that do not
//! tell translations from unrelated pairs (a language the encoder does not know)
//! give no evidence at all.

use super::spans::SpanVectors;

/// Random sentences of the other side per span, for the span's normaliser.
const NORM_SAMPLES: usize = 32;
/// Random pairs for the distribution of unrelated costs.
const NULL_SAMPLES: usize = 4000;
/// Source sentences sampled for the first estimate of translations' costs.
const MATCH_SAMPLES: usize = 400;
/// Share of translations whose vectors are outliers.
const OUTLIER: f64 = 0.04;
/// Smallest standard deviation of a cost distribution (the estimates come from few
/// beads in a short text).
const MIN_SD: f64 = 0.03;
/// Below this separation of the two distributions (difference of means over the
/// larger deviation), the vectors are not used.
const MIN_SEPARATION: f64 = 1.5;
/// Translations' costs must be lower than the best of as many random pairs by this
/// many deviations of unrelated pairs' costs. At 1.0, three mac-dev chapters (whose
/// many 1-2 beads make the best single-sentence match a partial one) were left
/// without evidence; 0.5 and 0 give the same on the dev sets.
const MIN_GAIN: f64 = 0.5;
/// Spans of up to this many sentences draw their normalisers' samples from the
/// generator the other estimates draw from too; longer ones (beads of 5 sentences a
/// side) from one of their own, so that allowing them leaves every other estimate
/// as it was.
const SHARED_DRAWS: usize = 4;
/// Resolution of the tabulated log-likelihood ratio.
const TABLE: usize = 1024;

/// What the semantic evidence estimated for a document.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct SemanticStats {
    /// Mean normalised cost (1 − cos over the random-pair cost) of translations.
    pub match_cost: f64,
    /// Its standard deviation.
    pub match_sd: f64,
    /// Mean normalised cost of unrelated pairs (about 1 by construction).
    pub random_cost: f64,
    /// Its standard deviation.
    pub random_sd: f64,
    /// Difference of the means over the larger deviation: how well the vectors tell
    /// translations from unrelated sentences (typically 3–6 for a covered language
    /// pair).
    pub separation: f64,
    /// Whether the evidence was used (separation at least 1.5).
    pub used: bool,
}

/// The semantic evidence of one document pair.
#[derive(Debug, Clone)]
pub(crate) struct Similarity<'v> {
    src: &'v SpanVectors,
    tgt: &'v SpanVectors,
    /// Mean 1 − cos of each source span against random target sentences, at the
    /// span's row (`(a - 1) * n + i`); likewise for the target.
    src_norm: Vec<f32>,
    tgt_norm: Vec<f32>,
    model: Model,
}

#[derive(Debug, Clone)]
struct Model {
    mu_m: f64,
    sd_m: f64,
    mu_r: f64,
    sd_r: f64,
    used: bool,
    /// The log-likelihood ratio at costs from mu_m to mu_r.
    table: Vec<f32>,
    /// Its slope below mu_m (per unit of cost): that of the unrelated pairs' normal
    /// density at mu_m, the translations' being flat at their mean.
    slope: f64,
    /// The ratio at cost 0.
    max_llr: f64,
}

impl Model {
    /// `allowed`: whether the vectors found translations at all (see
    /// [`Similarity::new`]).
    fn new(mu_m: f64, sd_m: f64, mu_r: f64, sd_r: f64, allowed: bool) -> Model {
        let sd_m = sd_m.max(MIN_SD);
        let sd_r = sd_r.max(MIN_SD);
        let separation = (mu_r - mu_m) / sd_m.max(sd_r);
        let used = allowed && separation >= MIN_SEPARATION;
        let mut model = Model {
            mu_m,
            sd_m,
            mu_r,
            sd_r,
            used,
            table: Vec::new(),
            slope: 0.0,
            max_llr: 0.0,
        };
        if used {
            model.table = (0..=TABLE)
                .map(|k| {
                    let d = mu_m + (mu_r - mu_m) * k as f64 / TABLE as f64;
                    model.exact_llr(d) as f32
                })
                .collect();
            model.slope = (mu_r - mu_m) / (model.sd_r * model.sd_r);
            model.max_llr = model.table[0] as f64 + model.slope * mu_m.max(0.0);
        }
        model
    }

    fn exact_llr(&self, d: f64) -> f64 {
        let ln_normal = |x: f64, mu: f64, sd: f64| {
            let z = (x - mu) / sd;
            -0.5 * z * z - sd.ln()
        };
        let lr = ln_normal(d, self.mu_r, self.sd_r);
        let lm = ln_normal(d, self.mu_m, self.sd_m);
        // ln((1 - e)·N_m + e·N_r) − ln N_r
        let a = (1.0 - OUTLIER).ln() + lm - lr;
        let b = OUTLIER.ln();
        let hi = a.max(b);
        hi + ((a - hi).exp() + (b - hi).exp()).ln()
    }

    #[inline]
    fn llr(&self, d: f64) -> f64 {
        if !self.used {
            return 0.0;
        }
        if d < self.mu_m {
            return self.table[0] as f64 + self.slope * (self.mu_m - d.max(0.0));
        }
        let pos = ((d - self.mu_m) / (self.mu_r - self.mu_m)).clamp(0.0, 1.0) * TABLE as f64;
        let k = (pos as usize).min(TABLE - 1);
        let frac = pos - k as f64;
        self.table[k] as f64 * (1.0 - frac) + self.table[k + 1] as f64 * frac
    }

    fn stats(&self) -> SemanticStats {
        SemanticStats {
            match_cost: self.mu_m,
            match_sd: self.sd_m,
            random_cost: self.mu_r,
            random_sd: self.sd_r,
            separation: (self.mu_r - self.mu_m) / self.sd_m.max(self.sd_r),
            used: self.used,
        }
    }
}

/// A small deterministic generator (the evidence must not change between runs).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// z such that a standard normal exceeds it with probability `p` (0 < p ≤ 0.5;
/// Abramowitz and Stegun 26.2.23, error below 5e-4).
fn upper_normal_quantile(p: f64) -> f64 {
    let t = (-2.0 * p.clamp(1e-300, 0.5).ln()).sqrt();
    t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
        / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t)
}

/// Median and standard deviation estimated from the median absolute deviation.
fn robust(mut v: Vec<f64>) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let med = v[v.len() / 2];
    let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    Some((med, 1.4826 * dev[dev.len() / 2]))
}

impl<'v> Similarity<'v> {
    /// The evidence of a document pair whose sides have these vectors (spans of up
    /// to `k` sentences, which both must have).
    pub fn new(src: &'v SpanVectors, tgt: &'v SpanVectors, k: usize) -> Similarity<'v> {
        let (n, m) = (src.len(), tgt.len());
        let k = k.min(src.max_span()).min(tgt.max_span()).max(1);
        let mut rng = Rng(0x5eed ^ (n as u64) << 20 ^ m as u64);
        let norms = |side: &SpanVectors,
                     other: &SpanVectors,
                     sizes: std::ops::RangeInclusive<usize>,
                     rng: &mut Rng,
                     out: &mut Vec<f32>| {
            let (len, olen) = (side.len(), other.len());
            out.resize(k * len, 1.0);
            if olen == 0 {
                return;
            }
            for a in sizes {
                for i in 0..len.saturating_sub(a - 1) {
                    let mut sum = 0.0f32;
                    for _ in 0..NORM_SAMPLES {
                        let j = rng.below(olen);
                        sum += 1.0 - side.cosine(i, a, other, j, 1);
                    }
                    out[(a - 1) * len + i] = (sum / NORM_SAMPLES as f32).max(1e-3);
                }
            }
        };
        let (mut src_norm, mut tgt_norm) = (Vec::new(), Vec::new());
        let shared = 1..=k.min(SHARED_DRAWS);
        norms(src, tgt, shared.clone(), &mut rng, &mut src_norm);
        norms(tgt, src, shared, &mut rng, &mut tgt_norm);
        // The longer spans draw from a generator of their own, after the others.
        let mut rng_long = Rng(0x5eed5 ^ (n as u64) << 20 ^ m as u64);
        let long = SHARED_DRAWS + 1..=k;
        norms(src, tgt, long.clone(), &mut rng_long, &mut src_norm);
        norms(tgt, src, long, &mut rng_long, &mut tgt_norm);
        let mut sim = Similarity {
            src,
            tgt,
            src_norm,
            tgt_norm,
            model: Model::new(0.0, 1.0, 0.0, 1.0, false),
        };
        if n == 0 || m == 0 {
            return sim;
        }
        // Unrelated pairs: random sentences and spans of either side.
        let null: Vec<f64> = (0..NULL_SAMPLES)
            .map(|_| {
                let a = 1 + rng.below(2.min(k));
                let b = 1 + rng.below(2.min(k));
                let i = rng.below(n.saturating_sub(a - 1));
                let j = rng.below(m.saturating_sub(b - 1));
                sim.cost(i, a, j, b)
            })
            .collect();
        let (mu_r, sd_r) = robust(null).unwrap_or((1.0, 0.1));
        // Translations: the best match of sampled source sentences among the target
        // sentences near their place on the diagonal (most of them are right).
        let window = (m / 10).clamp(20, 250);
        let step = (n / MATCH_SAMPLES).max(1);
        let best: Vec<f64> = (0..n)
            .step_by(step)
            .map(|i| {
                let c = i * m / n;
                (c.saturating_sub(window)..(c + window + 1).min(m))
                    .map(|j| sim.cost(i, 1, j, 1))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        // The best of as many unrelated targets would be the median of the least of
        // `width` draws from the unrelated costs (taken as normal: an empirical
        // version would meet the true translations among the random targets of a
        // short text). If the vectors knew nothing of translation (unrelated texts,
        // a language the encoder does not know), the best matches would be that.
        let width = (2 * window + 1).min(m) as f64;
        let p = 1.0 - 0.5f64.powf(1.0 / width);
        let chance_best = mu_r - sd_r.max(MIN_SD) * upper_normal_quantile(p);
        let (mu_m, sd_m) = robust(best).unwrap_or((mu_r, sd_r));
        let found = mu_m < chance_best - MIN_GAIN * sd_r.max(MIN_SD);
        sim.model = Model::new(mu_m, sd_m, mu_r, sd_r, found);
        sim
    }

    /// The normalised cost of the bead of source sentences `i..i+a` and target
    /// sentences `j..j+b` (both sides non-empty).
    #[inline]
    pub fn cost(&self, i: usize, a: usize, j: usize, b: usize) -> f64 {
        let cos = self.src.cosine(i, a, self.tgt, j, b);
        let norm = 0.5
            * (self.src_norm[(a - 1) * self.src.len() + i]
                + self.tgt_norm[(b - 1) * self.tgt.len() + j]);
        ((1.0 - cos) / norm) as f64
    }

    /// The log-likelihood ratio of the bead (0 if the vectors are not used).
    #[inline]
    pub fn llr(&self, i: usize, a: usize, j: usize, b: usize) -> f64 {
        if !self.model.used {
            return 0.0;
        }
        self.model.llr(self.cost(i, a, j, b))
    }

    /// The largest value [`Similarity::llr`] can take.
    pub fn max_llr(&self) -> f64 {
        self.model.max_llr
    }

    /// Whether the vectors are used.
    pub fn used(&self) -> bool {
        self.model.used
    }

    /// Re-estimates the translations' costs from the beads of a pass with sentences
    /// on both sides (start, size on each side) and their posteriors: the beads
    /// scored 0.5 or more.
    pub fn refit(&mut self, beads: impl Iterator<Item = ((usize, usize, usize, usize), f64)>) {
        if self.src.is_empty() || self.tgt.is_empty() {
            return;
        }
        let costs: Vec<f64> = beads
            .filter(|&((_, a, _, b), post)| a > 0 && b > 0 && post >= 0.5)
            .filter(|&((_, a, _, b), _)| a <= self.k() && b <= self.k())
            .map(|((i, a, j, b), _)| self.cost(i, a, j, b))
            .collect();
        if costs.len() < 10 {
            return;
        }
        if let Some((mu, sd)) = robust(costs) {
            let m = &self.model;
            // Once off, the evidence stays off: a path chosen with it looks matched.
            self.model = Model::new(mu, sd, m.mu_r, m.sd_r, m.used);
        }
    }

    fn k(&self) -> usize {
        self.src.max_span().min(self.tgt.max_span())
    }

    /// What was estimated.
    pub fn stats(&self) -> SemanticStats {
        self.model.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sentences with a topic vector each; translations share it, plus noise.
    fn toy(n: usize, noise: f32, seed: u64) -> (SpanVectors, SpanVectors) {
        toy_spans(n, noise, seed, 2)
    }

    /// [`toy`] with spans of up to `k` sentences.
    fn toy_spans(n: usize, noise: f32, seed: u64, k: usize) -> (SpanVectors, SpanVectors) {
        let dim = 64;
        let mut rng = Rng(seed);
        let mut r = move || (rng.below(2001) as f32 / 1000.0) - 1.0;
        let topics: Vec<Vec<f32>> = (0..n).map(|_| (0..dim).map(|_| r()).collect()).collect();
        let tr: Vec<Vec<f32>> = topics
            .iter()
            .map(|t| t.iter().map(|x| x + noise * r()).collect())
            .collect();
        let sum = |parts: &[&[f32]]| {
            let mut s = vec![0.0; dim];
            for p in parts {
                for (o, x) in s.iter_mut().zip(*p) {
                    *o += x;
                }
            }
            s
        };
        (
            SpanVectors::from_sentence_vectors(&topics, k, sum).unwrap(),
            SpanVectors::from_sentence_vectors(&tr, k, sum).unwrap(),
        )
    }

    #[test]
    fn translations_score_high_and_unrelated_pairs_low() {
        let (s, t) = toy(200, 0.5, 3);
        let sim = Similarity::new(&s, &t, 2);
        assert!(sim.used(), "{:?}", sim.stats());
        let st = sim.stats();
        assert!((st.random_cost - 1.0).abs() < 0.1, "{st:?}");
        assert!(st.match_cost < 0.5, "{st:?}");
        for i in 0..50 {
            assert!(sim.llr(i, 1, i, 1) > 3.0, "{i}: {}", sim.llr(i, 1, i, 1));
            let off = sim.llr(i, 1, i + 7, 1);
            assert!(off < 0.0 && off >= OUTLIER.ln() - 0.1, "{off}");
            // A merged bead holding the translation is no worse than an unrelated
            // pair (a half match is far from both: the floor).
            assert!(sim.llr(i, 2, i, 1) >= off - 1e-9);
        }
        assert!(sim.max_llr() >= sim.llr(3, 1, 3, 1));
        // Monotone in the cost.
        let mut last = f64::INFINITY;
        for k in 0..=100 {
            let d = k as f64 / 50.0;
            let v = sim.model.llr(d);
            assert!(v <= last + 1e-9);
            last = v;
        }
        // Below the translations' mean the ratio keeps rising (a better match is
        // more evidence), at the slope it has there, up to its bound at cost 0.
        let st = sim.stats();
        let (lo, mid) = (
            sim.model.llr(0.5 * st.match_cost),
            sim.model.llr(st.match_cost),
        );
        assert!(lo > mid + 0.1, "{lo} {mid}");
        let step = 1e-3;
        let slope_above = mid - sim.model.llr(st.match_cost + step);
        let slope_below = sim.model.llr(st.match_cost - step) - mid;
        assert!(
            (slope_below - slope_above).abs() < 0.2 * slope_above,
            "{slope_below} {slope_above}"
        );
        assert!((sim.model.llr(0.0) - sim.max_llr()).abs() < 1e-9);
        assert!(sim.model.llr(-0.01) <= sim.max_llr());
        // Refitting on the right beads keeps the evidence.
        let mut sim2 = sim.clone();
        sim2.refit((0..200).map(|i| ((i, 1, i, 1), 0.9)));
        assert!(sim2.used() && sim2.stats().match_cost < 0.5);
    }

    #[test]
    fn spans_of_five_leave_the_shorter_spans_estimates_as_they_were() {
        let (s, t) = toy_spans(120, 0.5, 5, 5);
        let (four, five) = (Similarity::new(&s, &t, 4), Similarity::new(&s, &t, 5));
        assert!(five.used(), "{:?}", five.stats());
        assert_eq!(four.stats(), five.stats());
        for i in 0..100 {
            for (a, b) in [(1, 1), (2, 1), (1, 4), (4, 3)] {
                assert_eq!(four.llr(i, a, i, b), five.llr(i, a, i, b));
            }
            assert!(five.llr(i, 1, i, 5).is_finite());
        }
        assert_eq!(five.src_norm.len(), 5 * 120);
        assert!(five.src_norm[4 * 120..4 * 120 + 116]
            .iter()
            .all(|&x| x != 1.0));
    }

    #[test]
    fn normal_quantiles() {
        assert!((upper_normal_quantile(0.5)).abs() < 1e-3);
        assert!((upper_normal_quantile(0.025) - 1.96).abs() < 1e-3);
        assert!((upper_normal_quantile(0.001) - 3.09).abs() < 1e-3);
    }

    #[test]
    fn vectors_that_do_not_separate_give_no_evidence() {
        // Targets unrelated to the sources: "translations" as far as random pairs.
        let (s, _) = toy(200, 0.5, 3);
        let (t, _) = toy(200, 0.5, 11);
        let sim = Similarity::new(&s, &t, 2);
        assert!(!sim.used(), "{:?}", sim.stats());
        assert_eq!(sim.llr(4, 1, 4, 1), 0.0);
        assert_eq!(sim.max_llr(), 0.0);
    }
}
