//! The length model: how likely two stretches of text of given lengths are
//! translations of each other, versus being unrelated.
//!
//! As in Gale & Church (1993) a translation's length is proportional to the original's
//! with an expected ratio and a variance that shrinks as sentences get longer; unlike
//! them the ratio is not fixed but estimated from the document pair (the ratio of the
//! total lengths, then refined on the first pass's beads), which is what makes pairs
//! such as Chinese–English (≈ 0.3 characters per character) work. The model is in log
//! space: δ = ln((ℓₜ + c·r) / (r·(ℓₛ + c))) ~ N(μ, A + B/ℓ) for translations, a wide
//! normal for unrelated text, with a small outlier share so that a freely translated
//! sentence is never ruled out by length alone. The score of a bead is the log
//! likelihood ratio of the two.

/// Parameters of the length model of one document pair.
#[derive(Debug, Clone)]
pub(crate) struct LengthModel {
    /// Expected target characters per source character.
    pub ratio: f64,
    /// Mean of δ for translations (≈ 0 once `ratio` is right).
    pub bias: f64,
    /// Variance of δ: `var_a + var_b / ℓ` with ℓ the mean length (in characters of
    /// the side that needs more of them).
    pub var_a: f64,
    pub var_b: f64,
    /// Variance of δ between unrelated sentences.
    pub null_var: f64,
    /// Share of translations whose lengths behave like unrelated text.
    pub outlier: f64,
    /// Whether the two sides' total lengths are too far apart for a whole
    /// translation, and which one falls short (`Some(true)`: the target).
    pub short_side: Option<bool>,
    /// Derived: target-side smoothing (SMOOTH source characters in target
    /// characters, whole), ln(ratio) + bias, and lookup tables.
    tgt_smooth: f64,
    offset: f64,
    max_llr: f64,
    src_scale: f64,
    tgt_scale: f64,
    var_table: Vec<(f64, f64)>,
    mix_table: Vec<f64>,
}

const VAR_TABLE: usize = 4096;
const MIX_LO: f64 = -30.0;
const MIX_HI: f64 = 12.0;
const MIX_RES: f64 = 64.0;
const MIX_STEPS: usize = ((MIX_HI - MIX_LO) * MIX_RES) as usize;

/// Characters added to both lengths so that very short sentences are not extreme.
const SMOOTH: f64 = 4.0;
/// Lengths up to this are looked up in tables instead of computing logarithms.
const TABLE: usize = 1 << 14;

/// ln(x) for x in 0..TABLE.
fn ln_table() -> &'static [f64] {
    static T: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    T.get_or_init(|| (0..TABLE).map(|x| (x as f64).ln()).collect())
}

#[inline]
fn fast_ln(x: f64) -> f64 {
    let k = x as usize;
    if k as f64 == x && k < TABLE {
        ln_table()[k]
    } else {
        x.ln()
    }
}

/// How much text one character holds, relative to a letter of an alphabet: a Han
/// character about three letters (English–Chinese translations have 0.3–0.35
/// characters per character), a Hangul syllable two and a half, kana and the
/// abjads (Arabic, Hebrew, which leave out short vowels) about one and a half.
/// Measured on the Bible in 11 languages and the shared gold sets; languages of one
/// script still differ by up to a third (German–French 1.0, English–Persian 0.75),
/// which the length model's refit takes up.
pub(crate) fn char_weight(c: char) -> f64 {
    match c as u32 {
        0x2E80..=0x2FDF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x3134F => 3.2,
        0xAC00..=0xD7AF => 2.5,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => 1.4,
        0x0590..=0x05FF
        | 0x0600..=0x06FF
        | 0x0750..=0x077F
        | 0x08A0..=0x08FF
        | 0xFB1D..=0xFDFF
        | 0xFE70..=0xFEFF => 1.5,
        0x0900..=0x0DFF => 1.1,
        _ => 1.0,
    }
}

/// Ratio estimates within this factor of each other agree.
const RATIO_TRUST: f64 = 1.6;
/// Hypotheses whose ratios differ by less than this are not worth telling apart.
const DISTINCT_RATIOS: f64 = 1.2;

/// The expected length ratio of a partial translation (one side covering only part
/// of the other): the scripts' ratio (a third off between languages of one script)
/// if known, else the median sentence lengths' (a factor off where one side splits
/// its sentences more finely).
fn partial_ratio(median: Option<f64>, expected: Option<f64>) -> Option<f64> {
    expected.or(median)
}

/// Whether two ratio estimates are within [`RATIO_TRUST`] of each other.
fn agree(a: f64, b: f64) -> bool {
    b > 0.0 && (b / RATIO_TRUST..=b * RATIO_TRUST).contains(&a)
}

/// Ratio of the median sentence lengths of the two sides (none for tiny sides).
fn median_ratio(src: &[u32], tgt: &[u32]) -> Option<f64> {
    let median = |lens: &[u32]| -> Option<f64> {
        if lens.len() < 3 {
            return None;
        }
        let mut v = lens.to_vec();
        let mid = v.len() / 2;
        let (_, m, _) = v.select_nth_unstable(mid);
        (*m > 0).then_some(*m as f64)
    };
    Some(median(tgt)? / median(src)?)
}

impl LengthModel {
    /// Models for the document pair with the given sentence lengths, the likelier
    /// first. `expected`: the ratio the two sides' scripts suggest (see
    /// [`char_weight`]), if known.
    ///
    /// Three estimates of the length ratio: the total lengths (right for a complete
    /// translation, whatever the sentence splits), the median sentence lengths
    /// (right for a partial translation, a factor off where one side splits its
    /// sentences more finely) and the scripts (a third off between languages of one
    /// script). The total is trusted when one of the others agrees with it;
    /// otherwise one side is likely a partial translation (or padded). Where the
    /// total and the partial estimate differ but not by that much, both are
    /// returned: the caller aligns with each and keeps the better.
    pub fn hypotheses(
        src: &[u32],
        tgt: &[u32],
        expected: Option<f64>,
    ) -> (LengthModel, Option<LengthModel>) {
        let ts: f64 = src.iter().map(|&l| l as f64).sum();
        let tt: f64 = tgt.iter().map(|&l| l as f64).sum();
        let total = if ts > 0.0 && tt > 0.0 { tt / ts } else { 1.0 };
        let median = median_ratio(src, tgt);
        let partial = partial_ratio(median, expected);
        let whole = LengthModel::with_ratio(src, tgt, total, None);
        let Some(partial) = partial else {
            return (whole, None);
        };
        let short = LengthModel::with_ratio(src, tgt, partial, Some(total < partial));
        let trusted =
            median.is_some_and(|m| agree(total, m)) || expected.is_some_and(|e| agree(total, e));
        let distinct = !(partial / DISTINCT_RATIOS..=partial * DISTINCT_RATIOS).contains(&total);
        match (trusted, distinct) {
            (true, true) => (whole, Some(short)),
            (true, false) => (whole, None),
            (false, _) => (short, Some(whole)),
        }
    }

    /// The likelier model of [`LengthModel::hypotheses`].
    #[cfg(test)]
    pub fn from_lengths(src: &[u32], tgt: &[u32], expected: Option<f64>) -> LengthModel {
        LengthModel::hypotheses(src, tgt, expected).0
    }

    fn with_ratio(src: &[u32], tgt: &[u32], ratio: f64, short_side: Option<bool>) -> LengthModel {
        let null_var = (log_var(src) + log_var(tgt)).clamp(0.3, 4.0);
        let mut m = LengthModel {
            ratio,
            bias: 0.0,
            var_a: 0.012,
            var_b: 5.0,
            null_var,
            outlier: 0.04,
            short_side,
            tgt_smooth: 1.0,
            offset: 0.0,
            max_llr: 0.0,
            src_scale: 1.0,
            tgt_scale: 1.0,
            var_table: Vec::new(),
            mix_table: Vec::new(),
        };
        m.prepare();
        m
    }

    /// Recomputes the derived constants and tables after a parameter change.
    fn prepare(&mut self) {
        self.tgt_smooth = (SMOOTH * self.ratio).round().max(1.0);
        self.src_scale = self.ratio.max(1.0);
        self.tgt_scale = (1.0 / self.ratio).max(1.0);
        self.offset = self.ratio.ln() + self.bias;
        // At δ = 0 the ratio is largest where the variance is smallest (var_a).
        let x = -0.5 * (self.var_a / self.null_var).ln();
        self.max_llr = ((1.0 - self.outlier) * x.exp() + self.outlier).ln() + 1e-9;
        // var and ½·ln(var/null_var) per (rounded) mean length
        self.var_table = (0..VAR_TABLE)
            .map(|l| {
                let var = self.var_a + self.var_b / (l as f64 + SMOOTH);
                (1.0 / var, 0.5 * (var / self.null_var).ln())
            })
            .collect();
        // ln((1-ε)·e^x + ε) for x in [MIX_LO, MIX_HI)
        let (a, e) = (1.0 - self.outlier, self.outlier);
        self.mix_table = (0..=MIX_STEPS)
            .map(|k| {
                let x = MIX_LO + k as f64 / MIX_RES;
                (a * x.exp() + e).ln()
            })
            .collect();
    }

    /// δ for the given lengths.
    #[inline]
    pub fn delta(&self, ls: f64, lt: f64) -> f64 {
        fast_ln(lt + self.tgt_smooth) - fast_ln(ls + SMOOTH) - self.offset
    }

    /// ln of a source length plus the smoothing constant, as [`LengthModel::llr_logs`]
    /// takes it.
    pub fn ln_src(&self, ls: f64) -> f64 {
        fast_ln(ls + SMOOTH)
    }

    /// ln of a target length plus the smoothing constant.
    pub fn ln_tgt(&self, lt: f64) -> f64 {
        fast_ln(lt + self.tgt_smooth)
    }

    /// Log likelihood ratio (translation vs unrelated) of a source stretch of `ls`
    /// characters and a target stretch of `lt`.
    #[inline]
    pub fn llr(&self, ls: f64, lt: f64) -> f64 {
        self.llr_logs(ls, lt, self.ln_src(ls), self.ln_tgt(lt))
    }

    /// [`LengthModel::llr`] with the logarithms of the smoothed lengths given
    /// ([`LengthModel::ln_src`], [`LengthModel::ln_tgt`]).
    #[inline(always)]
    pub fn llr_logs(&self, ls: f64, lt: f64, ln_s: f64, ln_t: f64) -> f64 {
        let d = ln_t - ln_s - self.offset;
        let mean_len = self.mean_len(ls, lt);
        // Through u32: the same index or an equally out-of-table one, and a cheaper
        // conversion than to u64.
        let k = mean_len as u32 as usize;
        // One bounds test: the table holds VAR_TABLE entries.
        let (inv_var, half_log) = if let Some(&entry) = self.var_table.get(k) {
            entry
        } else {
            let var = self.var_a + self.var_b / (mean_len + SMOOTH);
            (1.0 / var, 0.5 * (var / self.null_var).ln())
        };
        let d2 = d * d;
        let x = -0.5 * d2 * inv_var + 0.5 * d2 / self.null_var - half_log;
        self.mix(x)
    }

    /// The mean length of the two stretches, in characters of the side that needs
    /// more of them (so that English–Chinese and Chinese–English get the same
    /// variance, and a Chinese character counts for several Latin ones).
    #[inline]
    fn mean_len(&self, ls: f64, lt: f64) -> f64 {
        0.5 * (ls * self.src_scale + lt * self.tgt_scale)
    }

    /// The largest value [`LengthModel::llr`] can take (at δ = 0, for the longest
    /// stretches).
    #[inline]
    pub fn max_llr(&self) -> f64 {
        self.max_llr
    }

    /// ln((1-ε)·e^x + ε), tabulated.
    #[inline]
    fn mix(&self, x: f64) -> f64 {
        if x >= MIX_HI {
            return x + (1.0 - self.outlier).ln();
        }
        if x <= MIX_LO {
            return self.mix_table[0];
        }
        let pos = (x - MIX_LO) * MIX_RES;
        let k = pos as u32 as usize;
        let frac = pos - k as f64;
        let pair = &self.mix_table[k..k + 2];
        pair[0] * (1.0 - frac) + pair[1] * frac
    }

    /// Re-estimates ratio, bias and variance from aligned stretches (source length,
    /// target length, weight), keeping the current values as a prior.
    pub fn refit(&mut self, pairs: &[(f64, f64, f64)]) {
        let total_w: f64 = pairs.iter().map(|p| p.2).sum();
        if total_w < 5.0 {
            return;
        }
        // Bias: weighted mean of δ, trimmed at 3σ of the current model.
        let mut sw = 0.0;
        let mut sd = 0.0;
        for &(ls, lt, w) in pairs {
            let d = self.delta(ls, lt);
            let var = self.var_a + self.var_b / (self.mean_len(ls, lt) + SMOOTH);
            if d * d <= 9.0 * var {
                sw += w;
                sd += w * d;
            }
        }
        if sw > 0.0 {
            let prior = 10.0;
            self.bias += sd / (sw + prior);
            self.prepare();
        }
        // Variance: least squares of d² on (1, 1/ℓ), both coefficients kept positive.
        let (mut s11, mut s12, mut s22, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut n = 0.0;
        for &(ls, lt, w) in pairs {
            let d = self.delta(ls, lt);
            let x = 1.0 / (self.mean_len(ls, lt) + SMOOTH);
            let var = self.var_a + self.var_b * x;
            if d * d > 9.0 * var {
                continue;
            }
            let y = d * d;
            s11 += w;
            s12 += w * x;
            s22 += w * x * x;
            y1 += w * y;
            y2 += w * y * x;
            n += w;
        }
        if n < 10.0 {
            return;
        }
        // Prior pseudo-observations pull toward the current values.
        let k = 20.0;
        let det = s11 * s22 - s12 * s12;
        let (a, b) = if det.abs() > 1e-12 {
            ((y1 * s22 - y2 * s12) / det, (y2 * s11 - y1 * s12) / det)
        } else {
            (y1 / s11, 0.0)
        };
        // Trimming at 3σ removes the tails of a normal: scale back up (≈ 1/0.973).
        let a = (a * 1.03).clamp(0.003, 0.2);
        let b = (b * 1.03).clamp(0.5, 40.0);
        self.var_a = (self.var_a * k + a * n) / (k + n);
        self.var_b = (self.var_b * k + b * n) / (k + n);
        self.prepare();
    }
}

/// Variance of ln(length) over sentences.
fn log_var(lens: &[u32]) -> f64 {
    if lens.len() < 2 {
        return 1.0;
    }
    let logs: Vec<f64> = lens.iter().map(|&l| (l as f64 + SMOOTH).ln()).collect();
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    logs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (logs.len() - 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_comes_from_the_document() {
        let m = LengthModel::from_lengths(&[100, 200, 50], &[30, 60, 15], None);
        assert!((m.ratio - 0.3).abs() < 1e-9);
        // 100 chars of English ~ 30 of Chinese: a good match
        assert!(m.llr(100.0, 30.0) > 0.5);
        // but not 100 ~ 100
        assert!(m.llr(100.0, 100.0) < -1.0);
    }

    #[test]
    fn a_ratio_far_from_the_scripts_one_is_not_trusted() {
        // English and Chinese, complete: the texts' own ratio.
        let m = LengthModel::from_lengths(&[100, 200], &[40, 60], Some(0.32));
        assert!((m.ratio - 0.33).abs() < 0.01);
        // A French draft covering a tenth of its English source: the scripts',
        // the whole text's as the other hypothesis.
        let (m, other) = LengthModel::hypotheses(&[100; 30], &[110, 100, 120], Some(1.0));
        assert_eq!(m.ratio, 1.0);
        assert_eq!(m.short_side, Some(true));
        assert!((other.unwrap().ratio - 0.11).abs() < 1e-9);
        // Two sentences against a whole text: the scripts'.
        let m = LengthModel::from_lengths(&[100; 30], &[110, 100], Some(1.0));
        assert_eq!(m.ratio, 1.0);
        // Two thirds: both, the whole text first.
        let (m, other) = LengthModel::hypotheses(&[100; 30], &[100; 20], Some(1.0));
        assert!((m.ratio - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(m.short_side, None);
        assert_eq!(other.unwrap().short_side, Some(true));
        assert_eq!(char_weight('中'), 3.2);
        assert_eq!(char_weight('a'), 1.0);
    }

    #[test]
    fn longer_sentences_are_stricter() {
        let m = LengthModel::from_lengths(&[100; 10], &[100; 10], None);
        assert!(m.llr(20.0, 30.0) > m.llr(200.0, 300.0));
        // the outlier share bounds the penalty
        assert!(m.llr(10.0, 1000.0) >= m.outlier.ln() - 1e-9);
    }
}
