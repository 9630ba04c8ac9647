//! How well an aligner's bead scores predict which beads are right: precision by
//! score range (a calibrated score is close to it) and what dropping the
//! lowest-scored beads would keep and lose.

use serde::Serialize;

use super::align::BeadIds;

/// The beads of one score range, and how many of them were right.
#[derive(Debug, Serialize, Clone)]
pub struct ScoreBin {
    /// Scores in [low, high).
    pub low: f64,
    /// See `low`.
    pub high: f64,
    /// Beads in the bin.
    pub beads: usize,
    /// Their mean score.
    pub mean_score: f64,
    /// Strict precision of these beads.
    pub precision: f64,
}

/// What dropping the lowest-scored share of the beads would keep and lose.
#[derive(Debug, Serialize, Clone)]
pub struct CalibrationRow {
    /// Share of (non-empty) hypothesis beads dropped.
    pub dropped_share: f64,
    /// The score threshold that drops them.
    pub threshold: f64,
    /// Strict precision of the kept beads.
    pub kept_precision: f64,
    /// Strict precision of the dropped beads (low = they were mostly wrong).
    pub dropped_precision: f64,
    /// The lowest `dropped_precision` any ranking of these beads could reach: that
    /// of dropping the wrong beads first (above 0 when there are fewer wrong beads
    /// than dropped ones).
    pub oracle_dropped_precision: f64,
    /// Beads kept.
    pub kept: usize,
    /// Beads dropped.
    pub dropped: usize,
}

/// Every (non-empty) hypothesis bead's score and whether it is in the gold, by
/// ascending score; `pairs_only`: only beads with sentences on both sides.
pub fn scored_beads(
    golds: &[Vec<BeadIds>],
    hyps: &[(Vec<BeadIds>, Vec<f64>)],
    pairs_only: bool,
) -> Vec<(f64, bool)> {
    let mut scored: Vec<(f64, bool)> = Vec::new();
    for (gold, (beads, sc)) in golds.iter().zip(hyps) {
        let set: std::collections::HashSet<&BeadIds> = gold
            .iter()
            .filter(|b| !b.0.is_empty() || !b.1.is_empty())
            .collect();
        for (b, &s) in beads.iter().zip(sc) {
            if (b.0.is_empty() && b.1.is_empty())
                || (pairs_only && (b.0.is_empty() || b.1.is_empty()))
            {
                continue;
            }
            scored.push((s, set.contains(b)));
        }
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored
}

/// Strict precision of the beads by score range: a calibrated score is close to it.
/// `scored`: from [`scored_beads`].
pub fn score_bins(scored: &[(f64, bool)]) -> Vec<ScoreBin> {
    let edges = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0 + 1e-9];
    edges
        .windows(2)
        .filter_map(|w| {
            let bin: Vec<&(f64, bool)> = scored
                .iter()
                .filter(|x| x.0 >= w[0] && x.0 < w[1])
                .collect();
            if bin.is_empty() {
                return None;
            }
            let n = bin.len() as f64;
            Some(ScoreBin {
                low: w[0],
                high: w[1].min(1.0),
                beads: bin.len(),
                mean_score: bin.iter().map(|x| x.0).sum::<f64>() / n,
                precision: bin.iter().filter(|x| x.1).count() as f64 / n,
            })
        })
        .collect()
}

/// Precision of kept and dropped beads when the lowest-scored share is dropped.
/// `scored`: from [`scored_beads`], by ascending score.
pub fn calibration(scored: &[(f64, bool)]) -> Vec<CalibrationRow> {
    let total = scored.len();
    let wrong = scored.iter().filter(|x| !x.1).count();
    [0.0, 0.05, 0.10, 0.20, 0.30]
        .iter()
        .map(|&share| {
            let cut = ((total as f64) * share).round() as usize;
            let (dropped, kept) = scored.split_at(cut.min(total));
            let prec = |v: &[(f64, bool)]| {
                if v.is_empty() {
                    0.0
                } else {
                    v.iter().filter(|x| x.1).count() as f64 / v.len() as f64
                }
            };
            CalibrationRow {
                dropped_share: share,
                threshold: kept.first().map_or(1.0, |x| x.0),
                kept_precision: prec(kept),
                dropped_precision: prec(dropped),
                oracle_dropped_precision: oracle_precision(dropped.len(), wrong),
                kept: kept.len(),
                dropped: dropped.len(),
            }
        })
        .collect()
}

/// Precision of `dropped` beads chosen wrong ones first, with `wrong` wrong beads in
/// all (0 when nothing is dropped).
fn oracle_precision(dropped: usize, wrong: usize) -> f64 {
    if dropped == 0 {
        0.0
    } else {
        dropped.saturating_sub(wrong) as f64 / dropped as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oracle_drops_wrong_beads_first() {
        assert_eq!(oracle_precision(0, 3), 0.0);
        assert_eq!(oracle_precision(10, 3), 0.7);
        assert_eq!(oracle_precision(10, 10), 0.0);
        assert_eq!(oracle_precision(10, 25), 0.0);
    }

    #[test]
    fn calibration_rows_count_and_rank_by_score() {
        let golds = vec![vec![
            (vec![0], vec![0]),
            (vec![1], vec![1]),
            (vec![2, 3], vec![2]),
            (vec![4], vec![3]),
        ]];
        // Ten beads would be needed for 10 %; with four, 30 % drops one.
        let hyps = vec![(
            vec![
                (vec![0], vec![0]),
                (vec![1], vec![1]),
                (vec![2], vec![2]),
                (vec![3], vec![]),
                (vec![4], vec![3]),
            ],
            vec![0.99, 0.2, 0.5, 0.4, 0.9],
        )];
        let rows = calibration(&scored_beads(&golds, &hyps, false));
        let at = |share: f64| rows.iter().find(|r| r.dropped_share == share).unwrap();
        // Lowest score 0.2 is a right bead: dropped precision 1, while the two wrong
        // beads could have been dropped first.
        let r = at(0.2);
        assert_eq!((r.dropped, r.kept), (1, 4));
        assert_eq!(r.dropped_precision, 1.0);
        assert_eq!(r.oracle_dropped_precision, 0.0);
        assert_eq!(r.kept_precision, 0.5);
        let r = at(0.3);
        assert_eq!(r.dropped, 2);
        assert_eq!(r.dropped_precision, 0.5);
        // Pairs only: the 1-0 bead (score 0.4, wrong) is not counted.
        let rows = calibration(&scored_beads(&golds, &hyps, true));
        let all = rows.iter().find(|r| r.dropped_share == 0.0).unwrap();
        assert_eq!(all.kept, 4);
        assert_eq!(all.kept_precision, 0.75);
    }
}
