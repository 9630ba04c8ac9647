//! Alignment around beads a user fixed by hand (the review page's anchors): the
//! documents are cut at each anchor and the pieces between them aligned separately,
//! as one batch (so the learned lexicon still sees the whole text).

use std::fmt;
use std::ops::Range;

use super::{check, AlignCheck, AlignStats, Aligner, Alignment, Bead, Sentence};
use crate::error::{Error, Result};

/// A bead fixed by hand: the source and the target sentences it holds, as ranges of
/// sentence indices (0-based, end excluded), of any size (a 2-1 merge, a 1-0
/// sentence without counterpart). An empty side still has a position: the sentence
/// of the other document it comes before (`tgt: 7..7` sits before target sentence 7),
/// which says where the documents are cut.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Anchor {
    /// Source sentence indices.
    pub src: Range<usize>,
    /// Target sentence indices.
    pub tgt: Range<usize>,
}

impl Anchor {
    /// The anchor holding source sentences `src` and target sentences `tgt`.
    pub fn new(src: Range<usize>, tgt: Range<usize>) -> Anchor {
        Anchor { src, tgt }
    }

    /// The 1-1 anchor pairing source sentence `i` with target sentence `j`.
    pub fn pair(i: usize, j: usize) -> Anchor {
        Anchor::new(i..i + 1, j..j + 1)
    }

    /// Whether the anchor is the bead `bead` (same sentences on both sides).
    pub fn is(&self, bead: &Bead) -> bool {
        self.src == bead.src && self.tgt == bead.tgt
    }
}

impl From<(usize, usize)> for Anchor {
    fn from((i, j): (usize, usize)) -> Anchor {
        Anchor::pair(i, j)
    }
}

/// "source 2-3, target 4"; "source 5, no target (before target 7)".
impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |f: &mut fmt::Formatter<'_>, name: &str, r: &Range<usize>| match r.len() {
            0 => write!(f, "no {name} (before {name} {})", r.start),
            1 => write!(f, "{name} {}", r.start),
            _ => write!(f, "{name} {}-{}", r.start, r.end - 1),
        };
        side(f, "source", &self.src)?;
        f.write_str(", ")?;
        side(f, "target", &self.tgt)
    }
}

/// Refuses anchors that cannot all be beads of one alignment of `n` source and `m`
/// target sentences, naming the anchor (`anchors[k]`, its place in the list) and why.
pub fn check_anchors(anchors: &[Anchor], n: usize, m: usize) -> Result<()> {
    let mut before: Option<&Anchor> = None;
    for (k, a) in anchors.iter().enumerate() {
        for (name, r) in [("source", &a.src), ("target", &a.tgt)] {
            if r.start > r.end {
                return Err(Error::invalid(format!(
                    "anchors[{k}]: its {name} range {}..{} ends before it starts",
                    r.start, r.end
                )));
            }
        }
        if a.src.is_empty() && a.tgt.is_empty() {
            return Err(Error::invalid(format!(
                "anchors[{k}] ({a}) holds no sentence on either side"
            )));
        }
        if a.src.end > n || a.tgt.end > m {
            return Err(Error::invalid(format!(
                "anchors[{k}] ({a}) lies beyond the documents: they have {n} source and {m} \
                 target sentences (numbered from 0)"
            )));
        }
        if let Some(p) = before {
            if let Some((verb, detail)) = conflict(p, a) {
                return Err(Error::invalid(format!(
                    "anchors[{k}] ({a}) {verb} anchors[{}] ({p}){detail}; anchors are beads, \
                     listed in document order, sharing no sentence and not crossing",
                    k - 1
                )));
            }
        }
        before = Some(a);
    }
    Ok(())
}

/// Why anchor `a` cannot follow anchor `p` (None if it can): how it relates to `p`
/// (a verb), and a detail to say after naming `p`.
fn conflict(p: &Anchor, a: &Anchor) -> Option<(&'static str, String)> {
    if p.src.end <= a.src.start && p.tgt.end <= a.tgt.start {
        return None;
    }
    for (name, x, y) in [("source", &p.src, &a.src), ("target", &p.tgt, &a.tgt)] {
        let shared = x.start.max(y.start);
        if shared < x.end.min(y.end) {
            return Some(("overlaps", format!(" (both hold {name} sentence {shared})")));
        }
    }
    for (name, x, y) in [("source", &p.src, &a.src), ("target", &p.tgt, &a.tgt)] {
        // An empty side strictly inside the other anchor's sentences.
        let inside = |e: &Range<usize>, r: &Range<usize>| {
            e.is_empty() && r.start < e.start && e.start < r.end
        };
        if inside(x, y) || inside(y, x) {
            return Some(("falls inside", format!(" on the {name} side")));
        }
    }
    if a.src.end <= p.src.start && a.tgt.end <= p.tgt.start {
        return Some(("is out of order: it comes before", String::new()));
    }
    Some((
        "crosses",
        ": it comes after it on one side and before it on the other".to_string(),
    ))
}

/// Aligns `src` and `tgt` so that each anchor is a bead of its own, scored 1, and
/// the sentences between two anchors are aligned with each other only. Anchors are
/// checked first ([`check_anchors`]): within the documents, in order, not sharing a
/// sentence, not crossing. Without anchors this is [`Aligner::align`].
///
/// The self-check ([`AlignCheck`]) covers the whole result; its anchor counts (the
/// numbers and names found once on each side) are those of the pieces.
pub fn align_anchored(
    aligner: &Aligner,
    src: &[Sentence<'_>],
    tgt: &[Sentence<'_>],
    anchors: &[Anchor],
) -> Result<Alignment> {
    if anchors.is_empty() {
        return Ok(aligner.align(src, tgt));
    }
    check_anchors(anchors, src.len(), tgt.len())?;
    // The pieces between anchors (and before the first, after the last), with where
    // they start.
    let mut pieces: Vec<((usize, usize), (usize, usize))> = Vec::with_capacity(anchors.len() + 1);
    let (mut s0, mut t0) = (0, 0);
    for a in anchors {
        pieces.push(((s0, a.src.start), (t0, a.tgt.start)));
        (s0, t0) = (a.src.end, a.tgt.end);
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
        if let Some(a) = anchors.get(k) {
            beads.push(Bead {
                src: a.src.clone(),
                tgt: a.tgt.clone(),
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
        let al = align_anchored(&Aligner::new(), &src, &tgt, &[Anchor::pair(2, 3)]).unwrap();
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
        let al = align_anchored(
            &Aligner::new(),
            &src,
            &tgt,
            &[Anchor::pair(0, 2), Anchor::pair(5, 5)],
        )
        .unwrap();
        assert_covers(&al.beads, 6, 6);
        assert_eq!(al.beads[0].src, 0..0);
        assert_eq!(al.beads[1].src, 0..0);
        assert_eq!(al.beads[2].src, 0..1);
        assert_eq!(al.beads[2].tgt, 2..3);
        assert_eq!(al.beads.last().unwrap().src, 5..6);
    }

    #[test]
    fn anchors_of_any_shape_are_kept_whole() {
        let (src, tgt) = (sentences(&EN), sentences(&DE));
        // A 2-1 bead (sources 1-2 with target 1), then source 3 without counterpart
        // before target 2, then target 2 without counterpart, then a 1-2 bead.
        let anchors = [
            Anchor::new(1..3, 1..2),
            Anchor::new(3..4, 2..2),
            Anchor::new(4..4, 2..3),
            Anchor::new(4..5, 3..5),
        ];
        let al = align_anchored(&Aligner::new(), &src, &tgt, &anchors).unwrap();
        assert_covers(&al.beads, 6, 6);
        for a in &anchors {
            let kept: Vec<&Bead> = al.beads.iter().filter(|b| a.is(b)).collect();
            assert_eq!(kept.len(), 1, "{a}: {:?}", al.beads);
            assert_eq!(kept[0].score, 1.0);
        }
        // The rest: source 0 with target 0, source 5 with target 5.
        assert_eq!(
            (al.beads[0].src.clone(), al.beads[0].tgt.clone()),
            (0..1, 0..1)
        );
        let last = al.beads.last().unwrap();
        assert_eq!((last.src.clone(), last.tgt.clone()), (5..6, 5..6));
        assert_eq!(al.beads.len(), 6, "{:?}", al.beads);
        // The old pair form is the 1-1 anchor.
        assert_eq!(Anchor::from((2, 3)), Anchor::new(2..3, 3..4));
    }

    #[test]
    fn a_one_zero_anchor_cuts_the_other_side_where_it_says() {
        let (src, tgt) = (sentences(&EN), sentences(&DE));
        // Source 2 has no counterpart and sits before target 4: targets 2 and 3 must
        // pair with sources 0-1 or stay alone, never with sources after it.
        let al = align_anchored(&Aligner::new(), &src, &tgt, &[Anchor::new(2..3, 4..4)]).unwrap();
        assert_covers(&al.beads, 6, 6);
        let at = al.beads.iter().position(|b| b.src == (2..3)).unwrap();
        assert_eq!(al.beads[at].tgt, 4..4);
        for b in &al.beads[..at] {
            assert!(b.src.end <= 2 && b.tgt.end <= 4, "{b:?}");
        }
        for b in &al.beads[at + 1..] {
            assert!(b.src.start >= 3 && b.tgt.start >= 4, "{b:?}");
        }
    }

    #[test]
    fn bad_anchors_are_refused_naming_the_anchor() {
        let (src, tgt) = (sentences(&EN), sentences(&DE));
        let refused = |anchors: &[Anchor]| {
            align_anchored(&Aligner::new(), &src, &tgt, anchors)
                .unwrap_err()
                .to_string()
        };
        let pair = Anchor::pair;
        let err = refused(&[pair(0, 0), pair(6, 0)]);
        assert!(
            err.contains("anchors[1] (source 6, target 0) lies beyond")
                && err.contains("6 source and 6 target"),
            "{err}"
        );
        let err = refused(&[Anchor::new(1..3, 1..2), Anchor::new(2..3, 3..4)]);
        assert!(
            err.contains(
                "anchors[1] (source 2, target 3) overlaps anchors[0] (source 1-2, target 1)"
            ) && err.contains("both hold source sentence 2"),
            "{err}"
        );
        let err = refused(&[pair(3, 3), pair(1, 1)]);
        assert!(
            err.contains(
                "anchors[1] (source 1, target 1) is out of order: it comes before anchors[0]"
            ),
            "{err}"
        );
        let err = refused(&[pair(3, 1), pair(2, 4)]);
        assert!(
            err.contains("anchors[1] (source 2, target 4) crosses anchors[0]"),
            "{err}"
        );
        let err = refused(&[Anchor::new(1..3, 1..2), Anchor::new(2..2, 2..3)]);
        assert!(
            err.contains("anchors[1] (no source (before source 2), target 2) falls inside"),
            "{err}"
        );
        let err = refused(&[Anchor::new(2..2, 3..3)]);
        assert!(
            err.contains("anchors[0]") && err.contains("holds no sentence"),
            "{err}"
        );
        #[allow(clippy::reversed_empty_ranges)]
        let err = refused(&[Anchor::new(3..1, 1..2)]);
        assert!(
            err.contains("anchors[0]: its source range 3..1 ends before"),
            "{err}"
        );
        // An empty side may sit at the very end.
        let al = align_anchored(&Aligner::new(), &src, &tgt, &[Anchor::new(6..6, 5..6)]).unwrap();
        assert_covers(&al.beads, 6, 6);
    }
}
