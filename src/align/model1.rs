//! A translation lexicon learned from the texts themselves (Moore 2002).
//!
//! The first pass aligns with length and surface evidence only; its confident beads
//! are a small parallel corpus on which IBM Model 1 is trained in both directions
//! (EM, with a NULL word). Model 1 explains away frequent words that merely co-occur,
//! so `t(t|s)` singles out translations; each word pair it keeps, if its co-occurrence
//! is significant (Dunning's G²), becomes a link whose match probability is measured on
//! the same beads (how often `t` is in the translation of a sentence with `s`, shrunk
//! towards chance). The second pass uses these links as evidence.
//! With many documents of one language pair the corpus is pooled, so small documents
//! profit from their siblings.

use rustc_hash::FxHashMap;

/// A learned link: source type, target type, probability that the target type is in
/// the translation of a sentence holding the source type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LearnedLink {
    pub from: u32,
    pub to: u32,
    pub p: f32,
}

/// Links learned from the training pairs, in both directions.
#[derive(Debug, Default)]
pub(crate) struct Learned {
    /// Source type → target type.
    pub fwd: Vec<LearnedLink>,
    /// Target type → source type.
    pub bwd: Vec<LearnedLink>,
}

/// Words must occur in at least this many training pairs to be learned.
const MIN_COUNT: u32 = 2;
/// Model 1 probability a word pair needs to become a link.
const MIN_T: f32 = 0.1;
/// Share of training pairs above which a word is too common to learn.
const MAX_SHARE: f64 = 0.4;
/// Longest sentence (in distinct words) used for training.
const MAX_WORDS: usize = 60;
/// Least G² (co-occurrence against chance) for a learned link; 10.83 is the 0.1 %
/// level of χ² with one degree of freedom.
const MIN_G2: f64 = 10.83;
/// Prior weight (in training pairs) of the chance rate in learned probabilities.
const SHRINK: f32 = 3.0;
/// Most training pairs used.
const MAX_PAIRS: usize = 5_000;

/// Trains Model 1 in both directions on `pairs` (distinct source and target types of
/// aligned stretches) and returns the links it supports.
pub(crate) fn train(pairs: &[(Vec<u32>, Vec<u32>)], iterations: usize) -> Learned {
    // A sample spread evenly over the pairs is enough to learn the frequent words,
    // which are the ones that matter, and bounds the time on long texts.
    let pairs: Vec<&(Vec<u32>, Vec<u32>)> = if pairs.len() > MAX_PAIRS {
        let step = pairs.len() as f64 / MAX_PAIRS as f64;
        (0..MAX_PAIRS)
            .map(|k| &pairs[(k as f64 * step) as usize])
            .collect()
    } else {
        pairs.iter().collect()
    };
    // Local dense ids for words frequent enough.
    let mut df_s: FxHashMap<u32, u32> = FxHashMap::default();
    let mut df_t: FxHashMap<u32, u32> = FxHashMap::default();
    for &(s, t) in &pairs {
        for &x in s {
            *df_s.entry(x).or_default() += 1;
        }
        for &x in t {
            *df_t.entry(x).or_default() += 1;
        }
    }
    // Words in more than MAX_SHARE of the pairs are never evidence (their counterparts
    // would be too common to tell sentences apart): leave them out.
    let max_df = ((pairs.len() as f64) * MAX_SHARE).max(MIN_COUNT as f64) as u32;
    let mut s_ids: FxHashMap<u32, u32> = FxHashMap::default();
    let mut s_glob: Vec<u32> = Vec::new();
    let mut t_ids: FxHashMap<u32, u32> = FxHashMap::default();
    let mut t_glob: Vec<u32> = Vec::new();
    let mut local_pairs: Vec<(Vec<u32>, Vec<u32>)> = Vec::with_capacity(pairs.len());
    for &(s, t) in &pairs {
        let ls: Vec<u32> = s
            .iter()
            .filter(|x| (MIN_COUNT..=max_df).contains(&df_s[x]))
            .take(MAX_WORDS)
            .map(|&x| {
                *s_ids.entry(x).or_insert_with(|| {
                    s_glob.push(x);
                    s_glob.len() as u32 - 1
                })
            })
            .collect();
        let lt: Vec<u32> = t
            .iter()
            .filter(|x| (MIN_COUNT..=max_df).contains(&df_t[x]))
            .take(MAX_WORDS)
            .map(|&x| {
                *t_ids.entry(x).or_insert_with(|| {
                    t_glob.push(x);
                    t_glob.len() as u32 - 1
                })
            })
            .collect();
        if !ls.is_empty() && !lt.is_empty() {
            local_pairs.push((ls, lt));
        }
    }
    let ns = s_glob.len() as u32;
    let nt = t_glob.len() as u32;
    if local_pairs.is_empty() {
        return Learned::default();
    }
    // Parameter index per (s, t) pair; s == ns is the NULL source word, t == nt the
    // NULL target word.
    let mut index: FxHashMap<u64, u32> = FxHashMap::default();
    let mut src_of: Vec<u32> = Vec::new();
    let mut tgt_of: Vec<u32> = Vec::new();
    let mut cooc: Vec<u32> = Vec::new();
    let mut intern = |s: u32, t: u32, src_of: &mut Vec<u32>, tgt_of: &mut Vec<u32>| -> u32 {
        let key = ((s as u64) << 32) | t as u64;
        *index.entry(key).or_insert_with(|| {
            src_of.push(s);
            tgt_of.push(t);
            src_of.len() as u32 - 1
        })
    };
    // Per pair: |S|×|T| matrix of indices, then NULL→t for each t, then s→NULL.
    let mut mats: Vec<Vec<u32>> = Vec::with_capacity(local_pairs.len());
    for (s, t) in &local_pairs {
        let mut mat = Vec::with_capacity(s.len() * t.len() + s.len() + t.len());
        for &x in s {
            for &y in t {
                let k = intern(x, y, &mut src_of, &mut tgt_of);
                mat.push(k);
            }
        }
        for &y in t {
            mat.push(intern(ns, y, &mut src_of, &mut tgt_of));
        }
        for &x in s {
            mat.push(intern(x, nt, &mut src_of, &mut tgt_of));
        }
        mats.push(mat);
    }
    cooc.resize(src_of.len(), 0);
    for (mat, (s, t)) in mats.iter().zip(&local_pairs) {
        for &k in &mat[..s.len() * t.len()] {
            cooc[k as usize] += 1;
        }
    }
    let params = src_of.len();
    // Forward: t(t|s), normalised over t for each s (incl. NULL s).
    let mut fwd = vec![1.0f32; params];
    let mut bwd = vec![1.0f32; params];
    let mut counts = vec![0.0f32; params];
    for _ in 0..iterations {
        em_step(&local_pairs, &mats, &mut fwd, &mut counts, true);
        normalise(&mut fwd, &counts, &src_of, ns as usize + 1);
        em_step(&local_pairs, &mats, &mut bwd, &mut counts, false);
        normalise(&mut bwd, &counts, &tgt_of, nt as usize + 1);
    }
    let mut learned = Learned::default();
    // Match probabilities are shrunk towards the chance rate (the share of training
    // pairs holding the word) with the weight of SHRINK pairs, so that a link seen
    // twice in a small text does not count like one seen a hundred times.
    let n_pairs = local_pairs.len() as f32;
    for k in 0..params {
        let (s, t) = (src_of[k], tgt_of[k]);
        // Cheap tests first: most pairs fail them, and G² costs four logarithms.
        if s == ns || t == nt || cooc[k] < MIN_COUNT || (fwd[k] < MIN_T && bwd[k] < MIN_T) {
            continue;
        }
        let (gs, gt) = (s_glob[s as usize], t_glob[t as usize]);
        let c = cooc[k] as f32;
        let (ds, dt) = (df_s[&gs] as f32, df_t[&gt] as f32);
        // Co-occurrence must be unlikely by chance (Dunning's G², 2×2 table).
        if g2(c as f64, ds as f64, dt as f64, n_pairs as f64) < MIN_G2 {
            continue;
        }
        if fwd[k] >= MIN_T {
            let p = (c + SHRINK * dt / n_pairs) / (ds + SHRINK);
            learned.fwd.push(LearnedLink {
                from: gs,
                to: gt,
                p,
            });
        }
        if bwd[k] >= MIN_T {
            let p = (c + SHRINK * ds / n_pairs) / (dt + SHRINK);
            learned.bwd.push(LearnedLink {
                from: gt,
                to: gs,
                p,
            });
        }
    }
    learned
}

/// Dunning's log-likelihood ratio G² of a 2×2 contingency table: `both` pairs hold
/// the two words, `a` and `b` hold one of them (either), `n` pairs in all.
fn g2(both: f64, a: f64, b: f64, n: f64) -> f64 {
    let cells = [
        (both, a * b / n),
        (a - both, a * (n - b) / n),
        (b - both, (n - a) * b / n),
        (n - a - b + both, (n - a) * (n - b) / n),
    ];
    2.0 * cells
        .iter()
        .filter(|(o, e)| *o > 0.0 && *e > 0.0)
        .map(|(o, e)| o * (o / e).ln())
        .sum::<f64>()
}

/// One EM expectation step. `forward`: target words generated by source words.
fn em_step(
    pairs: &[(Vec<u32>, Vec<u32>)],
    mats: &[Vec<u32>],
    prob: &mut [f32],
    counts: &mut [f32],
    forward: bool,
) {
    counts.iter_mut().for_each(|c| *c = 0.0);
    for ((s, t), mat) in pairs.iter().zip(mats) {
        let (ls, lt) = (s.len(), t.len());
        let null_t = &mat[ls * lt..ls * lt + lt];
        let null_s = &mat[ls * lt + lt..];
        if forward {
            // each target word y chooses a source word (or NULL)
            for y in 0..lt {
                let mut denom = prob[null_t[y] as usize];
                for x in 0..ls {
                    denom += prob[mat[x * lt + y] as usize];
                }
                if denom <= 0.0 {
                    continue;
                }
                let inv = 1.0 / denom;
                counts[null_t[y] as usize] += prob[null_t[y] as usize] * inv;
                for x in 0..ls {
                    let k = mat[x * lt + y] as usize;
                    counts[k] += prob[k] * inv;
                }
            }
        } else {
            for x in 0..ls {
                let mut denom = prob[null_s[x] as usize];
                let row = &mat[x * lt..(x + 1) * lt];
                for &k in row {
                    denom += prob[k as usize];
                }
                if denom <= 0.0 {
                    continue;
                }
                let inv = 1.0 / denom;
                counts[null_s[x] as usize] += prob[null_s[x] as usize] * inv;
                for &k in row {
                    counts[k as usize] += prob[k as usize] * inv;
                }
            }
        }
    }
}

/// prob[k] = counts[k] / Σ counts over parameters sharing `cond[k]`.
fn normalise(prob: &mut [f32], counts: &[f32], cond: &[u32], n_cond: usize) {
    let mut total = vec![0.0f64; n_cond];
    for (k, &c) in counts.iter().enumerate() {
        total[cond[k] as usize] += c as f64;
    }
    for (k, p) in prob.iter_mut().enumerate() {
        let t = total[cond[k] as usize];
        *p = if t > 0.0 {
            (counts[k] as f64 / t) as f32
        } else {
            0.0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_word_pairs_from_sentence_pairs() {
        // source words 1..=3, target words 11..=13; 1<->11, 2<->12, 3<->13; 4 and 14
        // are frequent words that occur everywhere.
        let mut pairs = Vec::new();
        for _ in 0..6 {
            pairs.extend([
                (vec![1, 2, 4], vec![11, 12, 14]),
                (vec![1, 4], vec![11, 14]),
                (vec![3, 4], vec![13, 14]),
                (vec![4], vec![14]),
                (vec![2, 3, 4], vec![12, 13, 14]),
            ]);
        }
        let l = train(&pairs, 8);
        let has = |v: &[LearnedLink], a, b| v.iter().any(|x| x.from == a && x.to == b);
        assert!(has(&l.fwd, 1, 11) && has(&l.fwd, 2, 12) && has(&l.fwd, 3, 13));
        assert!(has(&l.bwd, 11, 1) && has(&l.bwd, 12, 2));
        assert!(!has(&l.fwd, 1, 12), "{:?}", l.fwd);
    }
}
