//! Segmentation scores: exact-case accuracy and boundary precision, recall and F1, as
//! `shared/bench/segment_score.py` defines them.
//!
//! Boundaries are offsets in the whitespace-free text: a boundary after the k-th
//! non-whitespace character. Only case-internal boundaries count. P/R/F1 are
//! micro-averaged over cases; "exact" is the share of cases whose boundary set equals
//! the gold one; "macro" is the unweighted mean of the per-group F1 values.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};

/// One gold case: a text and its sentences.
#[derive(Debug, Clone, Deserialize)]
pub struct GoldCase {
    /// Case id, unique in its file.
    pub id: String,
    /// Language tag of the text.
    pub lang: String,
    /// The raw text.
    pub text: String,
    /// The gold sentences, in order.
    pub sentences: Vec<String>,
}

/// Reads gold cases from a JSON Lines file.
pub fn read_gold(path: &Path) -> Result<Vec<GoldCase>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(e, Some(path)))?;
    let text = crate::text::input::decode_all(bytes, None, Some(path))?;
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: GoldCase = serde_json::from_str(line).map_err(|e| {
            Error::syntax(
                format!("not a gold case ({{\"id\", \"lang\", \"text\", \"sentences\"}}): {e}"),
                Location::file(path).with_line(n as u64 + 1),
            )
        })?;
        cases.push(case);
    }
    Ok(cases)
}

/// Counts for one group of cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Cases scored.
    pub cases: usize,
    /// Cases whose boundaries all match.
    pub exact: usize,
    /// Boundaries found that are in the gold.
    pub tp: usize,
    /// Boundaries found that are not.
    pub fp: usize,
    /// Gold boundaries not found.
    pub fn_: usize,
}

impl Tally {
    /// Adds another tally.
    pub fn add(&mut self, other: &Tally) {
        self.cases += other.cases;
        self.exact += other.exact;
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }

    /// Share of exact cases (0..=1).
    pub fn exact_rate(&self) -> f64 {
        if self.cases == 0 {
            0.0
        } else {
            self.exact as f64 / self.cases as f64
        }
    }

    /// Boundary precision (1 when nothing was predicted).
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    /// Boundary recall (1 when the gold has no boundary).
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }

    /// Boundary F1.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Boundaries of `sentences` as offsets in the whitespace-free text (the end of the
/// text excluded).
pub fn boundaries<S: AsRef<str>>(sentences: &[S]) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    let mut total = 0;
    for s in sentences {
        let n = s.as_ref().chars().filter(|c| !is_python_space(*c)).count();
        if n == 0 {
            continue;
        }
        total += n;
        out.insert(total);
    }
    out.remove(&total);
    out
}

/// Python's `str.isspace`, which the reference scorer uses: Unicode White_Space plus
/// the information separators U+001C..U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Scores one case: returns its tally (cases = 1).
pub fn score_case<S: AsRef<str>, T: AsRef<str>>(gold: &[S], hyp: &[T]) -> Tally {
    let g = boundaries(gold);
    let h = boundaries(hyp);
    let tp = g.intersection(&h).count();
    Tally {
        cases: 1,
        exact: usize::from(g == h),
        tp,
        fp: h.len() - tp,
        fn_: g.len() - tp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_ignore_whitespace_and_the_end() {
        let b = boundaries(&["Hello world.", " Next one.", "Last"]);
        assert_eq!(b.into_iter().collect::<Vec<_>>(), [11, 19]);
    }

    #[test]
    fn tally_counts_and_rates() {
        let t = score_case(&["a b.", "c.", "d."], &["a b. c.", "d."]);
        assert_eq!(
            t,
            Tally {
                cases: 1,
                exact: 0,
                tp: 1,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(t.precision(), 1.0);
        assert_eq!(t.recall(), 0.5);
        assert!((t.f1() - 2.0 / 3.0).abs() < 1e-12);
        let mut all = t;
        all.add(&score_case(&["x."], &["x."]));
        assert_eq!(all.cases, 2);
        assert_eq!(all.exact, 1);
    }
}
