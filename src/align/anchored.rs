//! Alignment around beads a user fixed by hand (the review page's anchors): the
//! documents are cut at each anchor and the pieces between them aligned separately,
//! as one batch (so the learned lexicon still sees the whole text).

use super::{check, AlignCheck, AlignStats, Aligner, Alignment, Bead, Sentence};
use crate::error::{Error, Result};

/// Aligns `src` and `tgt` so that each anchor `(i, j)` is a bead of its own pairing
/// source sentence `i` with target sentence `j` (scored 1), and the sentences between
/// two anchors are aligned with each other only. Anchors must lie within the
/// documents and increase on both sides (a bead cannot cross another). Without
/// anchors this is [`Aligner::align`].
///
/// The self-check ([`AlignCheck`]) covers the whole result; its anchor counts (the
/// numbers and names found once on each side) are those of the pieces.
pub fn align_anchored(
    aligner: &Aligner,
    src: &[Sentence<'_>],
    tgt: &[Sentence<'_>],
    anchors: &[(usize, usize)],
) -> Result<Alignment> {
    if anchors.is_empty() {
        return Ok(aligner.align(src, tgt));
    }
    let mut before: Option<(usize, usize)> = None;
    for &(i, j) in anchors {
        if i >= src.len() || j >= tgt.len() {
            return Err(Error::invalid(format!(
                "anchor [{i}, {j}]: the documents have {} source and {} target sentences \
                 (numbered from 0)",
                src.len(),
                tgt.len()
            )));
        }
        if let Some((pi, pj)) = before {
            if i <= pi || j <= pj {
                return Err(Error::invalid(format!(
                    "anchor [{i}, {j}] does not come after anchor [{pi}, {pj}] on both sides: \
                     anchors must increase in source and target (beads cannot cross)"
                )));
            }
        }
        before = Some((i, j));
    }
    // The pieces between anchors (and before the first, after the last), with where
    // they start.
    let mut pieces: Vec<((usize, usize), (usize, usize))> = Vec::with_capacity(anchors.len() + 1);
    let (mut s0, mut t0) = (0, 0);
    for &(i, j) in anchors {
        pieces.push(((s0, i), (t0, j)));
        (s0, t0) = (i + 1, j + 1);
    }
    pieces.push(((s0, src.len()), (t0, tgt.len())));
    // Pieces with sentences on both sides go to the aligner; the others are
    // sentences without counterpart.
    let docs: Vec<(&[Sentence<'_>], &[Sentence<'_>])> = pieces
        .iter()
        .filter(|((a, b), (c, d))| a < b && c < d)
        .map(|&((a, b), (c, d))| (&src[a..b], &tgt[c..d]))
        .collect();
    let aligned = aligner.align_batch(&docs);
    let mut aligned = aligned.into_iter();
    let mut beads: Vec<Bead> = Vec::with_capacity(src.len().max(tgt.len()));
    let mut stats = AlignStats::default();
    let (mut anchors_found, mut anchors_missed) = (0, 0);
    for (k, &((a, b), (c, d))) in pieces.iter().enumerate() {
        if a < b && c < d {
            let piece = aligned.next().expect("one alignment per piece");
            for bead in piece.beads {
                beads.push(Bead {
                    src: bead.src.start + a..bead.src.end + a,
                    tgt: bead.tgt.start + c..bead.tgt.end + c,
                    score: bead.score,
                });
            }
            anchors_found += piece.check.anchors;
            anchors_missed += piece.check.anchors_missed;
            stats.dp_cells += piece.stats.dp_cells;
            stats.passes = stats.passes.max(piece.stats.passes);
            stats.learned_links = stats.learned_links.max(piece.stats.learned_links);
        } else {
            // A side without sentences: the other side's are unpaired (scored as
            // certain: nothing else is possible).
            beads.extend((a..b).map(|i| Bead {
                src: i..i + 1,
                tgt: c..c,
                score: 1.0,
            }));
            beads.extend((c..d).map(|j| Bead {
                src: b..b,
                tgt: j..j + 1,
                score: 1.0,
            }));
        }
        if let Some(&(i, j)) = anchors.get(k) {
            beads.push(Bead {
                src: i..i + 1,
                tgt: j..j + 1,
                score: 1.0,
            });
        }
    }
    let mut check: AlignCheck = check::assess(&beads, src.len(), tgt.len(), &[]);
    check.anchors = anchors_found;
    check.anchors_missed = anchors_missed;
    Ok(Alignment {
        beads,
        stats,
        check,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences<'a>(texts: &[&'a str]) -> Vec<Sentence<'a>> {
        texts.iter().map(|t| Sentence::new(t)).collect()
    }

    /// Beads cover every sentence once, in order, on both sides.
    fn assert_covers(beads: &[Bead], n: usize, m: usize) {
        let (mut i, mut j) = (0, 0);
        for b in beads {
            assert_eq!((b.src.start, b.tgt.start), (i, j), "{beads:?}");
            (i, j) = (b.src.end, b.tgt.end);
        }
        assert_eq!((i, j), (n, m), "{beads:?}");
    }

    const EN: [&str; 6] = [
        "The committee met on Monday.",
        "It discussed the budget for 2024.",
        "Several members asked questions.",
        "The chair answered them in detail.",
        "The meeting ended at five.",
        "Minutes will follow next week.",
    ];
    const DE: [&str; 6] = [
        "Der Ausschuss trat am Montag zusammen.",
        "Er beriet den Haushalt für 2024.",
        "Mehrere Mitglieder stellten Fragen.",
        "Der Vorsitzende beantwortete sie ausführlich.",
        "Die Sitzung endete um fünf.",
        "Das Protokoll folgt nächste Woche.",
    ];

    #[test]
    fn an_anchor_is_kept_and_the_rest_aligned_around_it() {
        let (src, tgt) = (sentences(&EN), sentences(&DE));
        // A deliberately odd anchor: source 2 with target 3.
        let al = align_anchored(&Aligner::new(), &src, &tgt, &[(2, 3)]).unwrap();
        assert_covers(&al.beads, 6, 6);
        let fixed: Vec<&Bead> = al.beads.iter().filter(|b| b.src == (2..3)).collect();
        assert_eq!(fixed.len(), 1);
        assert_eq!(fixed[0].tgt, 3..4);
        assert_eq!(fixed[0].score, 1.0);
        // No other bead crosses the anchor.
        for b in al.beads.iter().filter(|b| b.src != (2..3)) {
            assert!(b.src.end <= 2 || b.src.start >= 3, "{b:?}");
            assert!(b.tgt.end <= 3 || b.tgt.start >= 4, "{b:?}");
        }
        // Before it, the texts still pair from their start.
        assert_eq!(
            (al.beads[0].src.clone(), al.beads[0].tgt.clone()),
            (0..1, 0..1)
        );
        assert_eq!(
            al.check.pairs,
            al.beads
                .iter()
                .filter(|b| !b.src.is_empty() && !b.tgt.is_empty())
                .count()
        );
    }

    #[test]
    fn without_anchors_it_is_the_plain_alignment() {
        let (src, tgt) = (sentences(&EN), sentences(&DE));
        let plain = Aligner::new().align(&src, &tgt);
        let anchored = align_anchored(&Aligner::new(), &src, &tgt, &[]).unwrap();
        assert_eq!(plain.beads, anchored.beads);
    }

    #[test]
    fn anchors_at_the_edges_leave_sentences_without_counterpart() {
        let (src, tgt) = (sentences(&EN), sentences(&DE));
        // Source 0 anchored to target 2: targets 0 and 1 have nothing before them.
        let al = align_anchored(&Aligner::new(), &src, &tgt, &[(0, 2), (5, 5)]).unwrap();
        assert_covers(&al.beads, 6, 6);
        assert_eq!(al.beads[0].src, 0..0);
        assert_eq!(al.beads[1].src, 0..0);
        assert_eq!(al.beads[2].src, 0..1);
        assert_eq!(al.beads[2].tgt, 2..3);
        assert_eq!(al.beads.last().unwrap().src, 5..6);
    }

    #[test]
    fn crossing_or_outside_anchors_are_refused() {
        let (src, tgt) = (sentences(&EN), sentences(&DE));
        let err = align_anchored(&Aligner::new(), &src, &tgt, &[(3, 1), (2, 4)]).unwrap_err();
        assert!(err.to_string().contains("anchors must increase"), "{err}");
        let err = align_anchored(&Aligner::new(), &src, &tgt, &[(6, 0)]).unwrap_err();
        assert!(err.to_string().contains("6 source and 6 target"), "{err}");
        let err = align_anchored(&Aligner::new(), &src, &tgt, &[(1, 1), (1, 2)]).unwrap_err();
        assert!(err.to_string().contains("anchors must increase"), "{err}");
    }
}
