//! The aligner's check of its own output: does the alignment look derailed?
//!
//! An aligner that loses its way pairs unrelated sentences for a stretch and still
//! covers both texts: nothing in the output format shows it. What shows is the
//! beads' scores. A bead's score is its posterior probability among the bead
//! sequences near the best path; where the path pairs translations, the evidence
//! makes one sequence stand out, and where it pairs unrelated sentences, no
//! sequence does and the scores fall. One low score means little (a free
//! translation, a granularity the model hesitates on); a window of consecutive pairs
//! whose mean score is that low is what a derailed stretch looks like. Measured
//! (`bitext eval align -f json`): on every dev, Bible and stress set the lowest mean
//! score of 30 consecutive pairs is 0.26 or more; on shuffled, unrelated or
//! misaligned pairs of texts it is 0.18 or less.
//!
//! Sentences without counterpart are no sign of trouble by themselves (a partial
//! translation has thousands); they are reported, not judged. Identical rare
//! tokens (a number or name found once on each side) are anchors the alignment
//! should keep: how many it keeps is reported too.

use std::ops::Range;

use serde::Serialize;

use super::Bead;

/// Consecutive pairs over which scores are averaged.
const WINDOW: usize = 30;
/// A window whose mean score is below this looks derailed.
const WINDOW_SCORE_MIN: f64 = 0.2;
/// An alignment with suspect stretches covering at least this share of its pairs
/// looks derailed as a whole…
const DERAILED_SHARE: f64 = 0.2;
/// …and so does one with at least this share of its pairs scored below 0.5 (at most
/// 0.33 on the dev, Bible and stress sets; 0.44 and more on mismatched texts), or
/// half as much again if it has fewer than 100 pairs…
const LOW_SHARE_MAX: f64 = 0.4;
/// Alignments with fewer pairs than this need a higher low-scored share…
const FEW_PAIRS: usize = 100;
/// …this one.
const FEW_PAIRS_LOW_SHARE_MAX: f64 = 1.5 * LOW_SHARE_MAX;
/// …or one that misses half of at least this many anchors.
const ANCHORS_MIN: usize = 8;

/// A stretch of the alignment that looks wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stretch {
    /// Source sentences of the stretch.
    pub src: Range<usize>,
    /// Target sentences of the stretch.
    pub tgt: Range<usize>,
    /// Beads with sentences on both sides in it.
    pub pairs: usize,
    /// Their mean score.
    pub mean_score: f64,
}

/// What an alignment looks like: the figures a user can check, and the stretches
/// that look derailed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlignCheck {
    /// Beads with sentences on both sides.
    pub pairs: usize,
    /// Share of them scored below 0.5.
    pub low_score_share: f64,
    /// The longest run of consecutive pairs scored below 0.5.
    pub longest_low_run: usize,
    /// The lowest mean score of 30 consecutive pairs (of all pairs if fewer).
    pub lowest_window_score: f64,
    /// Share of source sentences without counterpart.
    pub unpaired_src: f64,
    /// Share of target sentences without counterpart.
    pub unpaired_tgt: f64,
    /// Anchors: sentence pairs sharing a number or name found once on each side.
    pub anchors: usize,
    /// Anchors the alignment does not pair.
    pub anchors_missed: usize,
    /// Stretches whose scores look like unrelated sentences, in document order.
    pub suspect: Vec<Stretch>,
    /// Share of the pairs inside suspect stretches.
    pub suspect_share: f64,
}

impl AlignCheck {
    /// Whether the alignment looks derailed as a whole: much of it in suspect
    /// stretches, most pairs scored low, or most anchors missed.
    pub fn derailed(&self) -> bool {
        self.suspect_share >= DERAILED_SHARE
            || (self.pairs >= FEW_PAIRS && self.low_score_share >= LOW_SHARE_MAX)
            || (self.pairs >= WINDOW && self.low_score_share >= FEW_PAIRS_LOW_SHARE_MAX)
            || self.anchors_missed_mostly()
    }

    /// Whether anything looks derailed (the whole or a stretch).
    pub fn suspicious(&self) -> bool {
        !self.suspect.is_empty() || self.derailed()
    }

    fn anchors_missed_mostly(&self) -> bool {
        self.anchors >= ANCHORS_MIN && 2 * self.anchors_missed >= self.anchors
    }

    /// What to tell a user about a suspicious alignment (none if nothing looks
    /// wrong): which stretches, why, and what to try. Sentence numbers are 0-based,
    /// as in the output formats.
    pub fn warning(&self) -> Option<String> {
        if !self.suspicious() {
            return None;
        }
        let mut parts = Vec::new();
        if self.derailed() {
            parts.push(format!(
                "the alignment looks derailed: {:.0} % of its {} pairs are scored below 0.5",
                100.0 * self.low_score_share,
                self.pairs
            ));
        }
        const SHOWN: usize = 3;
        for s in self.suspect.iter().take(SHOWN) {
            parts.push(format!(
                "source sentences {}–{} ↔ target {}–{} pair unrelated-looking sentences \
                 ({} pairs, mean score {:.2})",
                s.src.start,
                s.src.end.saturating_sub(1),
                s.tgt.start,
                s.tgt.end.saturating_sub(1),
                s.pairs,
                s.mean_score
            ));
        }
        if self.suspect.len() > SHOWN {
            parts.push(format!(
                "{} more such stretches",
                self.suspect.len() - SHOWN
            ));
        }
        if self.anchors_missed_mostly() {
            parts.push(format!(
                "{} of the {} numbers and names found once on each side are not paired",
                self.anchors_missed, self.anchors
            ));
        }
        parts.push(
            "check that the files are a text and its translation, in the same order; \
             a dictionary (--dict) helps languages that share no words; a long book \
             can be aligned chapter by chapter (--batch); a partial translation is \
             fine (what is not translated is left unpaired)"
                .to_string(),
        );
        Some(parts.join("; "))
    }

    /// The figures on one line, for `-v`.
    pub fn summary(&self) -> String {
        format!(
            "check: {} pairs, {:.1} % scored below 0.5 (longest run {}), lowest mean score \
             of {} consecutive pairs {:.2}, unpaired {:.1} % of the source and {:.1} % of \
             the target, {} of {} anchors paired, {} suspect stretches",
            self.pairs,
            100.0 * self.low_score_share,
            self.longest_low_run,
            WINDOW.min(self.pairs),
            self.lowest_window_score,
            100.0 * self.unpaired_src,
            100.0 * self.unpaired_tgt,
            self.anchors - self.anchors_missed,
            self.anchors,
            self.suspect.len()
        )
    }
}

/// Checks `beads` of a pair of texts of `n` and `m` sentences; `anchors`: sentence
/// pairs (source, target) that should be paired.
pub(crate) fn assess(beads: &[Bead], n: usize, m: usize, anchors: &[(usize, usize)]) -> AlignCheck {
    let pairs: Vec<&Bead> = beads
        .iter()
        .filter(|b| !b.src.is_empty() && !b.tgt.is_empty())
        .collect();
    let mut check = AlignCheck {
        pairs: pairs.len(),
        lowest_window_score: 1.0,
        anchors: anchors.len(),
        anchors_missed: missed(beads, anchors),
        ..AlignCheck::default()
    };
    let alone = |side: &dyn Fn(&Bead) -> usize| -> usize {
        beads
            .iter()
            .filter(|b| b.src.is_empty() != b.tgt.is_empty())
            .map(side)
            .sum()
    };
    check.unpaired_src = alone(&|b| b.src.len()) as f64 / n.max(1) as f64;
    check.unpaired_tgt = alone(&|b| b.tgt.len()) as f64 / m.max(1) as f64;
    let np = pairs.len();
    if np == 0 {
        return check;
    }
    let score = |k: usize| pairs[k].score;
    check.low_score_share = (0..np).filter(|&k| score(k) < 0.5).count() as f64 / np as f64;
    let mut run = 0;
    for k in 0..np {
        run = if score(k) < 0.5 { run + 1 } else { 0 };
        check.longest_low_run = check.longest_low_run.max(run);
    }
    // Windows of pairs whose mean score is low mark their pairs.
    let window = WINDOW.min(np);
    let mut marked = vec![false; np];
    let mut sum = 0.0;
    for k in 0..np {
        sum += score(k);
        if k >= window {
            sum -= score(k - window);
        }
        if k + 1 >= window {
            let mean = sum / window as f64;
            check.lowest_window_score = check.lowest_window_score.min(mean);
            if mean < WINDOW_SCORE_MIN {
                marked[k + 1 - window..=k]
                    .iter_mut()
                    .for_each(|x| *x = true);
            }
        }
    }
    let mut k = 0;
    while k < np {
        if !marked[k] {
            k += 1;
            continue;
        }
        let start = k;
        while k < np && marked[k] {
            k += 1;
        }
        let (first, last) = (pairs[start], pairs[k - 1]);
        check.suspect.push(Stretch {
            src: first.src.start..last.src.end,
            tgt: first.tgt.start..last.tgt.end,
            pairs: k - start,
            mean_score: (start..k).map(score).sum::<f64>() / (k - start) as f64,
        });
    }
    check.suspect_share = marked.iter().filter(|&&x| x).count() as f64 / np as f64;
    check
}

/// The longest monotone chain of `anchors` (sorted by source sentence): anchors that
/// cross it are coincidences.
pub(crate) fn chain(anchors: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    // Longest strictly increasing subsequence by target sentence (patience sorting
    // with predecessor links), among anchors with distinct source sentences.
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; anchors.len()];
    for (k, &(_, j)) in anchors.iter().enumerate() {
        let at = tails.partition_point(|&t| anchors[t].1 < j);
        // Same source sentence as the tail it would follow: not monotone.
        if at > 0 && anchors[tails[at - 1]].0 == anchors[k].0 {
            continue;
        }
        before[k] = at.checked_sub(1).map(|p| tails[p]);
        if at == tails.len() {
            tails.push(k);
        } else {
            tails[at] = k;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut k = tails.last().copied();
    while let Some(x) = k {
        out.push(anchors[x]);
        k = before[x];
    }
    out.reverse();
    out
}

/// How many `anchors` (sorted by source sentence) fall in no bead of `beads`.
fn missed(beads: &[Bead], anchors: &[(usize, usize)]) -> usize {
    let mut k = 0;
    let mut missed = 0;
    for &(i, j) in anchors {
        while k < beads.len() && beads[k].src.end <= i {
            k += 1;
        }
        // The beads holding source sentence i (one, unless it is a 0-1 neighbour).
        let mut hit = false;
        let mut q = k;
        while q < beads.len() && beads[q].src.start <= i {
            hit |= beads[q].src.contains(&i) && beads[q].tgt.contains(&j);
            q += 1;
        }
        missed += usize::from(!hit);
    }
    missed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bead(i: usize, j: usize, score: f64) -> Bead {
        Bead {
            src: i..i + 1,
            tgt: j..j + 1,
            score,
        }
    }

    #[test]
    fn a_stretch_of_unrelated_pairs_is_found() {
        let beads: Vec<Bead> = (0..300)
            .map(|k| bead(k, k, if (100..200).contains(&k) { 0.1 } else { 0.95 }))
            .collect();
        let check = assess(&beads, 300, 300, &[]);
        assert_eq!(check.suspect.len(), 1);
        let s = &check.suspect[0];
        assert!((90..=100).contains(&s.src.start), "{s:?}");
        assert!((200..=210).contains(&s.src.end), "{s:?}");
        assert!(check.derailed());
        let warning = check.warning().unwrap();
        assert!(warning.contains("source sentences 9"), "{warning}");
        assert_eq!(check.longest_low_run, 100);
        assert!((check.lowest_window_score - 0.1).abs() < 1e-9);
        // Low scores here and there are no stretch.
        let fine: Vec<Bead> = (0..300)
            .map(|k| bead(k, k, if k % 3 == 0 { 0.1 } else { 0.9 }))
            .collect();
        let check = assess(&fine, 300, 300, &[]);
        assert!(!check.suspicious(), "{check:?}");
    }

    #[test]
    fn anchors_that_cross_the_chain_are_dropped() {
        let anchors = vec![(1, 1), (2, 40), (3, 3), (5, 6), (5, 7), (9, 2), (10, 12)];
        assert_eq!(chain(anchors), [(1, 1), (3, 3), (5, 6), (10, 12)]);
        assert!(chain(Vec::new()).is_empty());
    }

    #[test]
    fn sentences_without_counterpart_are_no_trouble() {
        // A partial translation: three pairs, then a long run of 1-0 beads.
        let mut beads: Vec<Bead> = (0..3).map(|k| bead(k, k, 0.9)).collect();
        beads.extend((3..100).map(|k| Bead {
            src: k..k + 1,
            tgt: 3..3,
            score: 0.99,
        }));
        let check = assess(&beads, 100, 3, &[(1, 1), (2, 2), (50, 2)]);
        assert!(!check.suspicious());
        assert!(check.warning().is_none());
        assert!(
            check.summary().contains("2 of 3 anchors paired"),
            "{}",
            check.summary()
        );
        assert!((check.unpaired_src - 0.97).abs() < 1e-9);
        assert_eq!(check.unpaired_tgt, 0.0);
        assert_eq!((check.anchors, check.anchors_missed), (3, 1));
    }
}
