//! Levenshtein distance over token sequences: exact (strsim's, shared with the
//! aligner in `text::distance`), bounded (for verifying index candidates), and with an
//! alignment (for diffs). The bounded and aligning versions are this crate's own
//! (strsim has neither) and are tested against the exact one.

pub(crate) use crate::text::distance::levenshtein;

/// The edit distance between `a` and `b` if it is at most `max`, else `None`. Only a
/// band of `2·max + 1` diagonals is computed and the work stops as soon as every cell
/// of a row exceeds `max`.
pub fn bounded_levenshtein<T: PartialEq>(a: &[T], b: &[T], max: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    if n == 0 || m == 0 {
        return Some(n.max(m));
    }
    // Strip the common prefix and suffix: cheap and frequent for near-duplicates.
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return Some(n.max(m));
    }
    const BIG: usize = usize::MAX / 2;
    // row[j] = distance between a[..i] and b[..j], for j within the band around i.
    let mut prev = vec![BIG; m + 1];
    let mut cur = vec![BIG; m + 1];
    for (j, cell) in prev.iter_mut().enumerate().take(max.min(m) + 1) {
        *cell = j;
    }
    for i in 1..=n {
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(m);
        cur[lo - 1] = if lo == 1 && i <= max { i } else { BIG };
        let mut row_min = cur[lo - 1];
        for j in lo..=hi {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let del = prev[j] + 1;
            let ins = cur[j - 1] + 1;
            let v = sub.min(del).min(ins);
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if hi < m {
            cur[hi + 1] = BIG;
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[m];
    (d <= max).then_some(d)
}

/// One step of an alignment of `a` (old) with `b` (new).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// `a[i]` equals `b[j]`.
    Keep(usize, usize),
    /// `a[i]` was replaced by `b[j]`.
    Replace(usize, usize),
    /// `a[i]` is not in `b`.
    Delete(usize),
    /// `b[j]` is not in `a`.
    Insert(usize),
}

/// The most cells of the alignment matrix [`alignment`] fills (64 MiB): longer texts
/// get a coarse alignment of their differing middle instead of running out of memory.
pub const MAX_ALIGNMENT_CELLS: usize = 1 << 24;

/// A minimal alignment of `a` with `b`, in order. Prefers keeping tokens, then
/// substitutions, so diffs read naturally. The common prefix and suffix are kept as
/// they are; if what lies between needs more than `MAX_ALIGNMENT_CELLS` (texts of
/// thousands of tokens that differ throughout), it is aligned position by position
/// instead — still a valid alignment, no longer a minimal one.
pub fn alignment<T: PartialEq>(a: &[T], b: &[T]) -> Vec<Edit> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut out: Vec<Edit> = (0..prefix).map(|i| Edit::Keep(i, i)).collect();
    let cells = (mid_a.len() + 1).saturating_mul(mid_b.len() + 1);
    let middle = if cells <= MAX_ALIGNMENT_CELLS {
        full_alignment(mid_a, mid_b)
    } else {
        coarse_alignment(mid_a.len(), mid_b.len())
    };
    out.extend(middle.into_iter().map(|e| match e {
        Edit::Keep(i, j) => Edit::Keep(i + prefix, j + prefix),
        Edit::Replace(i, j) => Edit::Replace(i + prefix, j + prefix),
        Edit::Delete(i) => Edit::Delete(i + prefix),
        Edit::Insert(j) => Edit::Insert(j + prefix),
    }));
    let (ta, tb) = (a.len() - suffix, b.len() - suffix);
    out.extend((0..suffix).map(|k| Edit::Keep(ta + k, tb + k)));
    out
}

/// Position by position: replacements, then the longer side's rest.
fn coarse_alignment(n: usize, m: usize) -> Vec<Edit> {
    let mut out: Vec<Edit> = (0..n.min(m)).map(|i| Edit::Replace(i, i)).collect();
    out.extend((m..n).map(Edit::Delete));
    out.extend((n..m).map(Edit::Insert));
    out
}

fn full_alignment<T: PartialEq>(a: &[T], b: &[T]) -> Vec<Edit> {
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    let mut d = vec![0u32; (n + 1) * w];
    for (j, cell) in d.iter_mut().take(m + 1).enumerate() {
        *cell = j as u32;
    }
    for i in 1..=n {
        d[i * w] = i as u32;
        for j in 1..=m {
            let sub = d[(i - 1) * w + j - 1] + u32::from(a[i - 1] != b[j - 1]);
            let del = d[(i - 1) * w + j] + 1;
            let ins = d[i * w + j - 1] + 1;
            d[i * w + j] = sub.min(del).min(ins);
        }
    }
    let mut out = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let here = d[i * w + j];
        if i > 0 && j > 0 && a[i - 1] == b[j - 1] && here == d[(i - 1) * w + j - 1] {
            out.push(Edit::Keep(i - 1, j - 1));
            i -= 1;
            j -= 1;
        } else if i > 0 && j > 0 && here == d[(i - 1) * w + j - 1] + 1 {
            out.push(Edit::Replace(i - 1, j - 1));
            i -= 1;
            j -= 1;
        } else if i > 0 && here == d[(i - 1) * w + j] + 1 {
            out.push(Edit::Delete(i - 1));
            i -= 1;
        } else {
            out.push(Edit::Insert(j - 1));
            j -= 1;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn known_distances() {
        assert_eq!(levenshtein(&t("kitten"), &t("sitting")), 3);
        assert_eq!(levenshtein(&t(""), &t("abc")), 3);
        assert_eq!(levenshtein(&t("abc"), &t("abc")), 0);
        assert_eq!(bounded_levenshtein(&t("kitten"), &t("sitting"), 3), Some(3));
        assert_eq!(bounded_levenshtein(&t("kitten"), &t("sitting"), 2), None);
        assert_eq!(bounded_levenshtein(&t("abcdef"), &t("abcdef"), 0), Some(0));
        assert_eq!(bounded_levenshtein(&t("ab"), &t("abcd"), 1), None);
    }

    #[test]
    fn alignment_of_a_substitution_and_insertion() {
        let edits = alignment(&t("abc"), &t("axcd"));
        assert_eq!(
            edits,
            [
                Edit::Keep(0, 0),
                Edit::Replace(1, 1),
                Edit::Keep(2, 2),
                Edit::Insert(3)
            ]
        );
    }

    #[test]
    fn long_texts_get_a_coarse_alignment_in_bounded_memory() {
        // 100,000 × 100,000 cells would need 40 GB; the coarse path needs none.
        let a: Vec<u32> = (0..100_000).collect();
        let mut b: Vec<u32> = (0..100_000).map(|i| i + 1_000_000).collect();
        b[0] = 0;
        b.push(7);
        let edits = alignment(&a, &b);
        assert_eq!(edits[0], Edit::Keep(0, 0));
        assert_eq!(edits.len(), 100_001);
        assert_eq!(edits[100_000], Edit::Insert(100_000));
        let olds = edits
            .iter()
            .filter(|e| !matches!(e, Edit::Insert(_)))
            .count();
        let news = edits
            .iter()
            .filter(|e| !matches!(e, Edit::Delete(_)))
            .count();
        assert_eq!((olds, news), (a.len(), b.len()));
    }

    proptest! {
        #![proptest_config(crate::test_support::proptest_cases(256))]
        #[test]
        fn bounded_agrees_with_exact(a in prop::collection::vec(0u8..4, 0..14),
                                     b in prop::collection::vec(0u8..4, 0..14),
                                     max in 0usize..10) {
            let exact = levenshtein(&a, &b);
            let bounded = bounded_levenshtein(&a, &b, max);
            prop_assert_eq!(bounded, (exact <= max).then_some(exact));
        }

        #[test]
        fn alignment_cost_is_the_distance(a in prop::collection::vec(0u8..4, 0..12),
                                          b in prop::collection::vec(0u8..4, 0..12)) {
            let edits = alignment(&a, &b);
            let cost = edits.iter().filter(|e| !matches!(e, Edit::Keep(..))).count();
            prop_assert_eq!(cost, levenshtein(&a, &b));
            let olds = edits.iter().filter(|e| !matches!(e, Edit::Insert(_))).count();
            let news = edits.iter().filter(|e| !matches!(e, Edit::Delete(_))).count();
            prop_assert_eq!((olds, news), (a.len(), b.len()));
        }
    }
}
