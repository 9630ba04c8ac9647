//! What the passes learn from each other: the batch's bead priors and link-kind
//! probabilities, re-estimated (with each document's length model and gaps) from a
//! pass, and the training pairs of the lexicon.

use std::ops::Range;

use super::batch::Doc;
use super::lexical::{Evidence, LinkKind, Side, Vocab, LINK_KINDS};
use super::pass::PassResult;
use super::tokens::TokenKind;
use super::Config;

/// Parameters shared by the documents of a batch.
#[derive(Debug, Clone)]
pub(super) struct Params {
    /// ln P(bead type), indexed [a][b].
    pub(super) log_prior: Vec<Vec<f64>>,
    pub(super) kind_p: [f64; LINK_KINDS],
}

impl Params {
    pub(super) fn initial(config: &Config) -> Params {
        let k = config.max_bead + 1;
        let mut prob = vec![vec![0.0; k]; k];
        let base = |a: usize, b: usize| -> f64 {
            match (a, b) {
                (1, 1) => 0.82,
                (1, 0) | (0, 1) => 0.013,
                (1, 2) | (2, 1) => 0.045,
                (2, 2) => 0.01,
                (1, 3) | (3, 1) => 0.01,
                (2, 3) | (3, 2) => 0.003,
                (1, 4) | (4, 1) => 0.002,
                // An eighth of 1-4's (gold: about a fifth as many on textberg-dev and
                // mac-dev); with `--semantic`, 0.000125 gives the same beads on every
                // dev set and 0.0005 loses a mac-dev chapter 1-4 + 1-3 to 1-2 + 1-5.
                (1, 5) | (5, 1) => 0.00025,
                _ => 0.0005,
            }
        };
        for &(a, b) in &config.types {
            prob[a][b] = base(a, b);
        }
        let total: f64 = config.learning_types.iter().map(|&(a, b)| prob[a][b]).sum();
        let log_prior = prob
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&p| {
                        if p > 0.0 {
                            (p / total).ln()
                        } else {
                            f64::NEG_INFINITY
                        }
                    })
                    .collect()
            })
            .collect();
        let mut kind_p = [0.0; LINK_KINDS];
        for k in LinkKind::ALL {
            kind_p[k as usize] = k.prior_p();
        }
        Params { log_prior, kind_p }
    }
}

/// Re-estimates the bead priors, the link kinds' match probabilities and each
/// document's length model from the last pass (each smoothed towards its current
/// value, so a second round refines the first round's estimates).
pub(super) fn reestimate(
    params: &mut Params,
    docs: &mut [Doc<'_>],
    results: &[PassResult],
    config: &Config,
) {
    let k = config.max_bead + 1;
    let mut counts = vec![vec![0.0f64; k]; k];
    let mut matched = [0.0f64; LINK_KINDS];
    let mut total = [0.0f64; LINK_KINDS];
    for (doc, r) in docs.iter_mut().zip(results) {
        let mut lens = Vec::new();
        let mut tally = MatchTally {
            matched: &mut matched,
            total: &mut total,
            src_cursors: doc.tgt.postings.cursors(),
            tgt_cursors: doc.src.postings.cursors(),
            scratch: Vec::new(),
        };
        for (p, &post) in r.path.iter().zip(&r.posterior) {
            counts[p.a][p.b] += post;
            if p.a == 0 || p.b == 0 || post < 0.5 {
                continue;
            }
            let ls: f64 = doc.src.len[p.i0..p.i0 + p.a]
                .iter()
                .map(|&x| x as f64)
                .sum();
            let lt: f64 = doc.tgt.len[p.j0..p.j0 + p.b]
                .iter()
                .map(|&x| x as f64)
                .sum();
            lens.push((ls, lt, post));
            let (rows, cols) = (p.i0..p.i0 + p.a, p.j0..p.j0 + p.b);
            let (src, tgt) = (&doc.src, &doc.tgt);
            tally.count(src, tgt, &r.ev_src, rows.clone(), cols.clone(), true);
            tally.count(tgt, src, &r.ev_tgt, cols, rows, false);
        }
        doc.length.refit(&lens);
        doc.gaps = doc.gaps.after_pass(&r.path);
        if let Some(sim) = &mut doc.sim {
            sim.refit(
                r.path
                    .iter()
                    .zip(&r.posterior)
                    .map(|(p, &post)| ((p.i0, p.a, p.j0, p.b), post)),
            );
        }
    }
    // Bead priors of the types the first pass used: Dirichlet-smoothed towards the
    // initial ones, within their initial share (other types keep theirs).
    let alpha = 100.0;
    let used = &config.learning_types;
    let n: f64 = used.iter().map(|&(a, b)| counts[a][b]).sum();
    let share: f64 = used
        .iter()
        .map(|&(a, b)| params.log_prior[a][b].exp())
        .sum();
    let mut prob = vec![vec![0.0; k]; k];
    for &(a, b) in used {
        let p0 = params.log_prior[a][b].exp() / share;
        prob[a][b] = share * (counts[a][b] + alpha * p0) / (n + alpha);
    }
    for &(a, b) in used {
        params.log_prior[a][b] = prob[a][b].max(1e-6).ln();
    }
    let strength = 20.0;
    for kind in LinkKind::ALL {
        let i = kind as usize;
        let p0 = kind.prior_p();
        params.kind_p[i] = ((matched[i] + strength * p0) / (total[i] + strength)).clamp(0.05, 0.95);
    }
}

/// Counts, per link kind, evidence types and those whose counterpart was found.
struct MatchTally<'a> {
    matched: &'a mut [f64; LINK_KINDS],
    total: &'a mut [f64; LINK_KINDS],
    /// Cursors into the target side's postings (for source types), and back.
    src_cursors: Vec<u32>,
    tgt_cursors: Vec<u32>,
    scratch: Vec<u32>,
}

impl MatchTally<'_> {
    /// For every type with evidence in sentences `rows` of `side`, whether one of its
    /// counterparts is in sentences `cols` of `other` (beads in document order).
    fn count(
        &mut self,
        side: &Side,
        other: &Side,
        ev: &Evidence,
        rows: Range<usize>,
        cols: Range<usize>,
        from_source: bool,
    ) {
        self.scratch.clear();
        for i in rows {
            self.scratch.extend_from_slice(&side.lists[i]);
        }
        self.scratch.sort_unstable();
        self.scratch.dedup();
        let cursors = if from_source {
            &mut self.src_cursors
        } else {
            &mut self.tgt_cursors
        };
        for s in &self.scratch {
            let Some(te) = ev.get(*s) else { continue };
            let mut hit = false;
            for c in &te.links {
                if !other
                    .postings
                    .within_forward(c, cols.start, cols.end, cursors)
                    .is_empty()
                {
                    hit = true;
                }
            }
            self.total[te.kind as usize] += 1.0;
            if hit {
                self.matched[te.kind as usize] += 1.0;
            }
        }
    }
}

/// Training material for the lexicon: the words of the first pass's confident
/// beads of at most 3 sentences.
pub(super) fn training_pairs(
    docs: &[Doc<'_>],
    results: &[PassResult],
    src_vocab: &Vocab,
    tgt_vocab: &Vocab,
) -> Vec<(Vec<u32>, Vec<u32>)> {
    let content = |v: &Vocab, t: u32| {
        matches!(
            v.types[t as usize].kind,
            TokenKind::Word | TokenKind::Ideograph
        )
    };
    let mut out = Vec::new();
    for (doc, r) in docs.iter().zip(results) {
        for (p, &post) in r.path.iter().zip(&r.posterior) {
            if p.a == 0 || p.b == 0 || p.a + p.b > 3 || post < 0.5 {
                continue;
            }
            let collect = |side: &Side, range: Range<usize>, v: &Vocab| -> Vec<u32> {
                let mut ws: Vec<u32> = range
                    .flat_map(|i| side.types[i].iter().copied())
                    .filter(|&t| content(v, t))
                    .collect();
                ws.sort_unstable();
                ws.dedup();
                ws
            };
            let s = collect(&doc.src, p.i0..p.i0 + p.a, src_vocab);
            let t = collect(&doc.tgt, p.j0..p.j0 + p.b, tgt_vocab);
            if !s.is_empty() && !t.is_empty() {
                out.push((s, t));
            }
        }
    }
    out
}
