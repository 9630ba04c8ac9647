//! Alignment scores: strict and lax precision, recall and F1 of beads against a gold
//! alignment, exactly as `shared/bench/align_score.py` (the Vecalign paper's metric)
//! defines them.
//!
//! * Precision counts every distinct hypothesis bead that is not empty on both sides.
//!   Strict hit: the bead is in the gold (a correct 1-0 or 0-1 bead counts). Lax hit:
//!   a strict hit, or some gold bead with both sides non-empty shares a source and a
//!   target sentence with it.
//! * Recall counts the distinct gold beads with both sides non-empty, matched against
//!   the hypothesis beads with both sides non-empty, in the same way.
//! * Counts are summed over documents (micro-average), then P, R and F1 = 2PR/(P+R)
//!   are computed once; 0/0 is 0.
//!
//! Bead files have one bead a line, `[src ids]:[tgt ids]` with 0-based ids, e.g.
//! `[0]:[0]`, `[1, 2]:[3]`, `[]:[4]`; a trailing `:score` is ignored.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::align::Alignment;
use crate::error::{Error, Location, Result};

/// A bead as two sorted sets of sentence ids.
pub type BeadIds = (Vec<usize>, Vec<usize>);

/// Parses one bead line (see the module docs).
pub fn parse_bead_line(line: &str) -> std::result::Result<BeadIds, String> {
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        groups.push(&after[..close]);
        rest = &after[close + 1..];
    }
    if groups.len() < 2 {
        return Err(format!("not a bead line: {line:?}"));
    }
    let mut sides = Vec::with_capacity(2);
    for g in &groups[..2] {
        let mut ids = BTreeSet::new();
        let bytes = g.as_bytes();
        let mut k = 0;
        while k < bytes.len() {
            let negative = bytes[k] == b'-' && bytes.get(k + 1).is_some_and(u8::is_ascii_digit);
            if bytes[k].is_ascii_digit() || negative {
                let start = k;
                k += 1;
                while k < bytes.len() && bytes[k].is_ascii_digit() {
                    k += 1;
                }
                if negative {
                    return Err(format!("negative sentence id: {line:?}"));
                }
                let id: usize = g[start..k]
                    .parse()
                    .map_err(|_| format!("sentence id out of range: {line:?}"))?;
                ids.insert(id);
            } else {
                k += 1;
            }
        }
        sides.push(ids.into_iter().collect::<Vec<usize>>());
    }
    let tgt = sides.pop().unwrap_or_default();
    let src = sides.pop().unwrap_or_default();
    Ok((src, tgt))
}

/// Parses a bead file's text; `origin` names it in errors.
pub fn parse_beads(text: &str, origin: &Path) -> Result<Vec<BeadIds>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bead = parse_bead_line(line)
            .map_err(|e| Error::syntax(e, Location::file(origin).with_line(n as u64 + 1)))?;
        out.push(bead);
    }
    Ok(out)
}

/// Reads a bead file.
pub fn read_beads(path: &Path) -> Result<Vec<BeadIds>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(e, Some(path)))?;
    let text = crate::text::input::decode_all(bytes, None, Some(path))?;
    parse_beads(&text, path)
}

/// The beads of an alignment as id sets.
pub fn beads_of(alignment: &Alignment) -> Vec<BeadIds> {
    alignment
        .beads
        .iter()
        .map(|b| (b.src.clone().collect(), b.tgt.clone().collect()))
        .collect()
}

/// Hit counts of one or more documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AlignCounts {
    /// Hypothesis beads that are in the gold.
    pub precision_strict_hits: usize,
    /// Hypothesis beads that are in the gold or overlap a gold bead on both sides.
    pub precision_lax_hits: usize,
    /// Distinct hypothesis beads (not empty on both sides).
    pub hyp_beads: usize,
    /// Gold beads (both sides non-empty) found exactly.
    pub recall_strict_hits: usize,
    /// Gold beads (both sides non-empty) overlapped on both sides.
    pub recall_lax_hits: usize,
    /// Distinct gold beads with both sides non-empty.
    pub gold_beads_scored: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

impl AlignCounts {
    /// Adds another document's counts.
    pub fn add(&mut self, o: &AlignCounts) {
        self.precision_strict_hits += o.precision_strict_hits;
        self.precision_lax_hits += o.precision_lax_hits;
        self.hyp_beads += o.hyp_beads;
        self.recall_strict_hits += o.recall_strict_hits;
        self.recall_lax_hits += o.recall_lax_hits;
        self.gold_beads_scored += o.gold_beads_scored;
    }

    /// Strict precision.
    pub fn precision_strict(&self) -> f64 {
        ratio(self.precision_strict_hits, self.hyp_beads)
    }
    /// Strict recall.
    pub fn recall_strict(&self) -> f64 {
        ratio(self.recall_strict_hits, self.gold_beads_scored)
    }
    /// Strict F1.
    pub fn f1_strict(&self) -> f64 {
        f1(self.precision_strict(), self.recall_strict())
    }
    /// Lax precision.
    pub fn precision_lax(&self) -> f64 {
        ratio(self.precision_lax_hits, self.hyp_beads)
    }
    /// Lax recall.
    pub fn recall_lax(&self) -> f64 {
        ratio(self.recall_lax_hits, self.gold_beads_scored)
    }
    /// Lax F1.
    pub fn f1_lax(&self) -> f64 {
        f1(self.precision_lax(), self.recall_lax())
    }
}

/// (strict hits, lax hits, total) of the distinct `candidates` against `reference`.
fn hits(candidates: &[&BeadIds], reference: &[&BeadIds]) -> (usize, usize, usize) {
    let ref_set: HashSet<&BeadIds> = reference.iter().copied().collect();
    let mut links: HashMap<usize, HashSet<usize>> = HashMap::new();
    for (s, t) in reference {
        if s.is_empty() || t.is_empty() {
            continue;
        }
        for &i in s {
            links.entry(i).or_default().extend(t.iter().copied());
        }
    }
    let distinct: HashSet<&BeadIds> = candidates.iter().copied().collect();
    let (mut strict, mut lax) = (0, 0);
    for bead in &distinct {
        if ref_set.contains(bead) {
            strict += 1;
            lax += 1;
            continue;
        }
        let (s, t) = bead;
        let hit = s.iter().any(|i| {
            links
                .get(i)
                .is_some_and(|linked| t.iter().any(|j| linked.contains(j)))
        });
        if hit {
            lax += 1;
        }
    }
    (strict, lax, distinct.len())
}

/// Scores one document's hypothesis against its gold.
pub fn count_doc(gold: &[BeadIds], hyp: &[BeadIds]) -> AlignCounts {
    let gold_ne: Vec<&BeadIds> = gold
        .iter()
        .filter(|b| !b.0.is_empty() || !b.1.is_empty())
        .collect();
    let hyp_ne: Vec<&BeadIds> = hyp
        .iter()
        .filter(|b| !b.0.is_empty() || !b.1.is_empty())
        .collect();
    let (ps, pl, pt) = hits(&hyp_ne, &gold_ne);
    let gold_both: Vec<&BeadIds> = gold
        .iter()
        .filter(|b| !b.0.is_empty() && !b.1.is_empty())
        .collect();
    let hyp_both: Vec<&BeadIds> = hyp
        .iter()
        .filter(|b| !b.0.is_empty() && !b.1.is_empty())
        .collect();
    let (rs, rl, rt) = hits(&gold_both, &hyp_both);
    AlignCounts {
        precision_strict_hits: ps,
        precision_lax_hits: pl,
        hyp_beads: pt,
        recall_strict_hits: rs,
        recall_lax_hits: rl,
        gold_beads_scored: rt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beads(text: &str) -> Vec<BeadIds> {
        parse_beads(text, Path::new("t")).unwrap()
    }

    #[test]
    fn parses_bead_lines() {
        assert_eq!(
            parse_bead_line("[9, 10]:[9]").unwrap(),
            (vec![9, 10], vec![9])
        );
        assert_eq!(parse_bead_line("[]:[15]:0.5").unwrap(), (vec![], vec![15]));
        assert_eq!(parse_bead_line("[2,1,2]:[]").unwrap(), (vec![1, 2], vec![]));
        assert!(parse_bead_line("[-1]:[0]").is_err());
        assert!(parse_bead_line("0 0").is_err());
        let err = parse_beads("[0]:[0]\nbad\n", Path::new("g.beads")).unwrap_err();
        assert!(err.to_string().contains("g.beads:2"), "{err}");
    }

    #[test]
    fn strict_and_lax() {
        let gold = beads("[0]:[0]\n[1,2]:[1]\n[]:[2]\n[3]:[3]\n");
        let hyp = beads("[0]:[0]\n[1]:[1]\n[2]:[]\n[]:[2]\n[3]:[3]\n");
        let c = count_doc(&gold, &hyp);
        // hyp: [0]:[0] strict, [1]:[1] lax, [2]:[] wrong, []:[2] strict, [3]:[3] strict
        assert_eq!(
            (c.precision_strict_hits, c.precision_lax_hits, c.hyp_beads),
            (3, 4, 5)
        );
        // gold with both sides: [0]:[0] strict, [1,2]:[1] lax, [3]:[3] strict
        assert_eq!(
            (c.recall_strict_hits, c.recall_lax_hits, c.gold_beads_scored),
            (2, 3, 3)
        );
        assert!((c.f1_strict() - 2.0 * 0.6 * (2.0 / 3.0) / (0.6 + 2.0 / 3.0)).abs() < 1e-12);
    }
}
