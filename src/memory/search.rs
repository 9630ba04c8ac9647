//! Candidate search with exact recall, independent of the storage.
//!
//! The problem: find every stored text whose base score against the query is at least
//! `min` %, without comparing the query with every text.
//!
//! A stored text of `m` tokens reaches `min` against a query of `n` tokens exactly
//! when its token edit distance is at most `d(m) = ⌊(100 − min) · max(n, m) / 100⌋`
//! ([`max_edits`]). In an alignment with at most `d(m)` edits at least
//! `max(n, m) − d(m)` query positions are aligned with equal tokens (each edit
//! touches at most one query position), and an aligned pair `(i, j)` has
//! `|i − j| ≤ d(m)`. So among any `K` chosen query positions at least
//! `K − n + max(n, m) − d(m)` are present in the text, each within `d(m)` positions
//! of where the query has it. With `K = d(n) + 1` that bound is at least 1 for every
//! admissible `m`: the posting lists of `K` query positions contain every qualifying
//! text.
//!
//! The search probes the `K` positions with the rarest tokens (tokens absent from the
//! memory cost nothing), and a few more while their lists are short (each extra
//! position raises the bound by one). For every text in those lists it counts the
//! probed positions it contains at a compatible place (the count filter with the
//! positional filter; a posting records where its term is when it occurs once) and
//! keeps it only if the count reaches the bound for its length and its length is in
//! `[⌈min·n/100⌉, ⌊100·n/min⌋]` (the length filter). The survivors are verified with
//! a bounded edit distance. Nothing that qualifies is ever filtered out, so the result
//! equals that of comparing with every text.

use super::distance::bounded_levenshtein;
use super::postings::{Posting, MAX_LEN};
use super::score::{base_percent, max_edits};
use crate::error::Result;

/// A term of the query as the index knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermStat {
    /// The term's id.
    pub id: u32,
    /// In how many stored texts it occurs.
    pub df: u64,
}

/// What the search needs from a storage backend.
pub trait TokenIndex {
    /// Calls `visit` for every posting of `term` (every stored text containing it)
    /// whose text has `lens.0` to `lens.1` tokens; postings of other lengths may be
    /// visited too (an index split by length classes reads whole classes). In
    /// increasing text-id order, or in several such runs (one per index segment and
    /// length class). Generic rather than `dyn`: the search's filter is then inlined
    /// into the decoding loop, which a common word runs hundreds of thousands of times.
    fn postings<F: FnMut(Posting)>(
        &mut self,
        term: u32,
        lens: (usize, usize),
        visit: F,
    ) -> Result<()>;

    /// Loads the token ids of text `id` into `tokens`; returns its language id, or
    /// `None` if the text no longer exists.
    fn tokens(&mut self, id: i64, tokens: &mut Vec<u32>) -> Result<Option<i64>>;
}

/// A stored text within reach of the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The text's id.
    pub id: i64,
    /// Its token edit distance from the query.
    pub edits: usize,
    /// Its number of tokens.
    pub len: usize,
}

/// Counters of a search, for benchmarks and tuning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// Query positions probed.
    pub probed: usize,
    /// Postings read.
    pub postings: usize,
    /// Texts that passed the length and count filters.
    pub verified: usize,
    /// Texts within the edit-distance bound.
    pub found: usize,
}

/// Token id used for query tokens the memory does not contain (they match nothing).
pub const UNKNOWN: u32 = u32::MAX;

/// Finds every stored text whose base score against the query is at least
/// `min_percent` (1–100) and whose language passes `lang_ok`, except those in
/// `skip`. `query` holds, per query token, its term (or `None` if unknown).
pub fn find<I: TokenIndex>(
    index: &mut I,
    query: &[Option<TermStat>],
    min_percent: u32,
    lang_ok: &dyn Fn(i64) -> bool,
    skip: &dyn Fn(i64) -> bool,
    stats: &mut SearchStats,
) -> Result<Vec<Candidate>> {
    let n = query.len();
    let min_percent = min_percent.clamp(1, 100);
    if n == 0 {
        return Ok(Vec::new());
    }
    let d_n = max_edits(n, n, min_percent);
    let k = d_n + 1;
    let min_len = (min_percent as usize * n).div_ceil(100);
    let max_len = 100 * n / min_percent as usize;

    // Query positions grouped by term, rarest first; positions of tokens the memory
    // lacks are covered for free (no text contains them).
    let mut unknown = 0usize;
    let mut groups: Vec<(u32, u64, Vec<u32>)> = Vec::new(); // (term, df, positions)
    for (i, t) in query.iter().enumerate() {
        match t {
            None => unknown += 1,
            Some(t) => match groups.iter_mut().find(|g| g.0 == t.id) {
                Some(g) => g.2.push(i as u32),
                None => groups.push((t.id, t.df, vec![i as u32])),
            },
        }
    }
    groups.sort_by_key(|g| (g.1, g.0));

    // Phase 1: the rarest terms until K positions are covered. Every qualifying text
    // contains one of them at a compatible place, so it is in `counts` afterwards.
    // Per text, in text-id order: (id, probed positions found at a compatible place,
    // token count). Each term's postings are collected in a vector and the vectors
    // merged: a hash map of the texts costs a cache miss per posting, which made
    // short queries of common words (hundreds of thousands of postings at 1M units)
    // the slowest lookups.
    let mut counts: Vec<Count> = Vec::new();
    let mut covered = unknown;
    let mut next = 0;
    let mut runs: Vec<usize> = Vec::new();
    while covered < k && next < groups.len() {
        let (term, df, positions) = &groups[next];
        let mut list: Vec<Count> = Vec::with_capacity((*df).min(1 << 16) as usize);
        let filter = PostingFilter::new(positions, n, min_percent, min_len, max_len);
        // Where each run of increasing text ids starts in `list` (a term's postings
        // come in such runs: per index segment and length class).
        runs.clear();
        runs.push(0);
        index.postings(*term, (min_len, max_len), |p| {
            stats.postings += 1;
            let found = filter.found(p);
            if found > 0 {
                let id = p.variant as i64;
                if list.last().is_some_and(|c| c.0 >= id) {
                    runs.push(list.len());
                }
                list.push((id, found, p.len));
            }
        })?;
        let list = merge_runs(list, &runs);
        counts = if counts.is_empty() {
            list
        } else {
            merge(&counts, &list)
        };
        covered += positions.len();
        next += 1;
    }
    // Phase 2: more terms while they are cheap compared with verifying the texts they
    // may rule out (each covered position raises the count a text needs by one).
    let need = |covered: usize, m: usize| -> i64 {
        (covered + n.max(m) - n) as i64 - max_edits(n, m, min_percent) as i64
    };
    while next < groups.len() {
        let passing = counts
            .iter()
            .filter(|&&(_, c, len)| i64::from(c) >= need(covered, len as usize))
            .count() as u64;
        let (term, df, positions) = &groups[next];
        if passing <= 16 || *df > passing.saturating_mul(POSTINGS_PER_VERIFY) {
            break;
        }
        // Only texts counted already are credited (phase 2 adds no candidates).
        let filter = PostingFilter::new(positions, n, min_percent, min_len, max_len);
        let mut at = 0usize;
        index.postings(*term, (min_len, max_len), |p| {
            stats.postings += 1;
            let found = filter.found(p);
            if found == 0 {
                return;
            }
            let id = p.variant as i64;
            if at > 0 && counts[at - 1].0 >= id {
                // Back to a lower id (the next segment or class): search from the
                // start.
                at = 0;
            }
            at = seek(&counts, at, id);
            if let Some(c) = counts.get_mut(at).filter(|c| c.0 == id) {
                c.1 += found;
                at += 1;
            }
        })?;
        covered += positions.len();
        next += 1;
    }
    stats.probed += covered;

    let query_ids: Vec<u32> = query.iter().map(|t| t.map_or(UNKNOWN, |t| t.id)).collect();
    let survivors: Vec<(i64, u32)> = counts
        .into_iter()
        .filter(|&(id, count, len)| i64::from(count) >= need(covered, len as usize) && !skip(id))
        .map(|(id, _, len)| (id, len))
        .collect();
    let mut out = Vec::new();
    let mut tokens = Vec::new();
    for (id, _) in survivors {
        stats.verified += 1;
        let Some(lang) = index.tokens(id, &mut tokens)? else {
            continue;
        };
        if !lang_ok(lang) {
            continue;
        }
        let m = tokens.len();
        if m < min_len || m > max_len {
            continue;
        }
        let bound = max_edits(n, m, min_percent);
        if let Some(edits) = bounded_levenshtein(&query_ids, &tokens, bound) {
            debug_assert!(base_percent(edits, n, m) >= min_percent);
            stats.found += 1;
            out.push(Candidate { id, edits, len: m });
        }
    }
    Ok(out)
}

/// Reading this many postings costs about as much as verifying one text.
const POSTINGS_PER_VERIFY: u64 = 200;

/// A text's tally: (text id, probed positions found at a compatible place, token
/// count).
type Count = (i64, u32, u32);

/// The length and positional filters for the postings of one query term.
struct PostingFilter<'a> {
    positions: &'a [u32],
    /// Per admissible token count `m` (index `m − min_len`), the edit bound `d(m)`:
    /// a table, since a common term has hundreds of thousands of postings.
    bound: Vec<i64>,
    min_len: usize,
    /// Whether texts past [`MAX_LEN`] tokens (stored as `MAX_LEN`) may qualify.
    capped_ok: bool,
}

impl<'a> PostingFilter<'a> {
    fn new(
        positions: &'a [u32],
        n: usize,
        min_percent: u32,
        min_len: usize,
        max_len: usize,
    ) -> PostingFilter<'a> {
        let last = max_len.min(MAX_LEN as usize - 1);
        PostingFilter {
            positions,
            bound: (min_len..=last)
                .map(|m| max_edits(n, m, min_percent) as i64)
                .collect(),
            min_len,
            capped_ok: max_len >= MAX_LEN as usize,
        }
    }

    /// How many of the term's probed query positions the posting's text may have
    /// aligned with an equal token; 0 if its length rules it out.
    #[inline]
    fn found(&self, p: Posting) -> u32 {
        if p.len >= MAX_LEN {
            // Length unknown past the cap: admissible when the range reaches it.
            return if self.capped_ok {
                self.positions.len() as u32
            } else {
                0
            };
        }
        let Some(&d) = (p.len as usize)
            .checked_sub(self.min_len)
            .and_then(|i| self.bound.get(i))
        else {
            return 0;
        };
        if p.at == 0 {
            // Several occurrences (or position unknown): any probed position may be
            // aligned with one of them.
            self.positions.len() as u32
        } else {
            // One occurrence: at most one query position is aligned with it, and
            // only one within d(m) of it.
            let j = i64::from(p.at) - 1;
            u32::from(
                self.positions
                    .iter()
                    .any(|&i| (i64::from(i) - j).abs() <= d),
            )
        }
    }
}

/// Two tallies in text-id order merged into one (the counts of a text in both
/// added).
fn merge(a: &[Count], b: &[Count]) -> Vec<Count> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1, a[i].2));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// A tally made of sorted runs (starting at the indices `runs`, the first 0) sorted
/// into one, merged pairwise (a few runs: per index segment and length class).
fn merge_runs(list: Vec<Count>, runs: &[usize]) -> Vec<Count> {
    if runs.len() <= 1 {
        return list;
    }
    let mut parts: Vec<Vec<Count>> = runs
        .iter()
        .zip(runs[1..].iter().chain([&list.len()]))
        .map(|(&from, &to)| list[from..to].to_vec())
        .collect();
    while parts.len() > 1 {
        let mut merged = Vec::with_capacity(parts.len().div_ceil(2));
        let mut pairs = parts.chunks_exact(2);
        for pair in pairs.by_ref() {
            merged.push(merge(&pair[0], &pair[1]));
        }
        if let [last] = pairs.remainder() {
            merged.push(last.clone());
        }
        parts = merged;
    }
    parts.pop().unwrap_or_default()
}

/// The first index at or after `from` whose text id is at least `id` (galloping:
/// a short posting list against many tallies reads few of them).
fn seek(counts: &[Count], from: usize, id: i64) -> usize {
    let (mut lo, mut hi, mut step) = (from, from, 1);
    while hi < counts.len() && counts[hi].0 < id {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    let hi = hi.min(counts.len());
    lo + counts[lo..hi].partition_point(|c| c.0 < id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::distance::levenshtein;
    use crate::memory::postings::{len_class, len_classes, MIXED};
    use proptest::prelude::*;
    use rustc_hash::FxHashMap;

    /// An in-memory index over token sequences (text id = position + 1), giving a
    /// term's postings as the file does: per length class (only the classes of the
    /// lengths asked for), each class in id order; for an even term, as one list of
    /// any length (as the file keeps a short list).
    struct VecIndex {
        texts: Vec<Vec<u32>>,
        postings: FxHashMap<u32, Vec<i64>>,
        /// Postings of each class in two runs (odd ids, then even ones), as an index
        /// of two segments gives them.
        two_segments: bool,
    }

    fn as_two_segments(index: &mut VecIndex) {
        index.two_segments = true;
    }

    impl VecIndex {
        fn new(texts: Vec<Vec<u32>>) -> VecIndex {
            let mut postings: FxHashMap<u32, Vec<i64>> = FxHashMap::default();
            for (i, t) in texts.iter().enumerate() {
                let mut seen = t.clone();
                seen.sort_unstable();
                seen.dedup();
                for term in seen {
                    postings.entry(term).or_default().push(i as i64 + 1);
                }
            }
            VecIndex {
                texts,
                postings,
                two_segments: false,
            }
        }

        fn stats(&self, query: &[u32]) -> Vec<Option<TermStat>> {
            query
                .iter()
                .map(|&id| {
                    self.postings.get(&id).map(|p| TermStat {
                        id,
                        df: p.len() as u64,
                    })
                })
                .collect()
        }
    }

    impl TokenIndex for VecIndex {
        fn postings<F: FnMut(Posting)>(
            &mut self,
            term: u32,
            lens: (usize, usize),
            mut visit: F,
        ) -> Result<()> {
            let classes = len_classes(lens.0, lens.1);
            let mixed = term.is_multiple_of(2);
            let class = |id: i64| {
                if mixed {
                    MIXED
                } else {
                    len_class(self.texts[id as usize - 1].len() as u32)
                }
            };
            let mut ids: Vec<i64> = self
                .postings
                .get(&term)
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .copied()
                .filter(|&id| mixed || classes.contains(&class(id)))
                .collect();
            let two = self.two_segments;
            ids.sort_by_key(|&id| (two && id % 2 == 0, class(id), id));
            for id in ids {
                let text = &self.texts[id as usize - 1];
                let mut at = text
                    .iter()
                    .enumerate()
                    .filter(|(_, &t)| t == term)
                    .map(|(i, _)| i);
                let first = at.next().unwrap();
                visit(Posting {
                    variant: id as u64,
                    len: text.len().min(MAX_LEN as usize) as u32,
                    at: if at.next().is_none() && first < MAX_LEN as usize {
                        first as u32 + 1
                    } else {
                        0
                    },
                });
            }
            Ok(())
        }

        fn tokens(&mut self, id: i64, tokens: &mut Vec<u32>) -> Result<Option<i64>> {
            tokens.clear();
            tokens.extend_from_slice(&self.texts[id as usize - 1]);
            Ok(Some(0))
        }
    }

    fn brute_force(texts: &[Vec<u32>], query: &[u32], min: u32) -> Vec<(i64, usize)> {
        let mut out: Vec<(i64, usize)> = texts
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let d = levenshtein(query, t);
                (base_percent(d, query.len(), t.len()) >= min).then_some((i as i64 + 1, d))
            })
            .collect();
        out.sort_unstable();
        out
    }

    fn indexed(index: &mut VecIndex, query: &[u32], min: u32) -> Vec<(i64, usize)> {
        let stats = index.stats(query);
        let mut s = SearchStats::default();
        let mut out: Vec<(i64, usize)> = find(index, &stats, min, &|_| true, &|_| false, &mut s)
            .unwrap()
            .into_iter()
            .map(|c| (c.id, c.edits))
            .collect();
        out.sort_unstable();
        out
    }

    /// Texts of a small vocabulary (so tokens repeat and collide), with near
    /// duplicates, and queries derived from them by random edits.
    fn corpus() -> impl Strategy<Value = (Vec<Vec<u32>>, Vec<u32>, u32)> {
        let text = prop::collection::vec(0u32..30, 1..25);
        (
            prop::collection::vec(text, 1..40),
            any::<prop::sample::Index>(),
            prop::collection::vec((0u8..3, 0usize..30, 0u32..40), 0..6),
            prop::sample::select(vec![30u32, 50, 60, 70, 75, 80, 90, 95, 100]),
        )
            .prop_map(|(texts, pick, edits, min)| {
                let mut q = pick.get(&texts).clone();
                for (op, pos, tok) in edits {
                    let pos = pos % (q.len() + 1);
                    match op {
                        0 if pos < q.len() && q.len() > 1 => {
                            q.remove(pos);
                        }
                        1 => q.insert(pos, tok),
                        _ if pos < q.len() => q[pos] = tok,
                        _ => {}
                    }
                }
                (texts, q, min)
            })
    }

    proptest! {
        #![proptest_config(crate::test_support::proptest_cases(3000))]
        #[test]
        fn indexed_search_equals_brute_force((texts, query, min) in corpus()) {
            let mut index = VecIndex::new(texts.clone());
            let truth = brute_force(&texts, &query, min);
            prop_assert_eq!(indexed(&mut index, &query, min), truth.clone());
            as_two_segments(&mut index);
            prop_assert_eq!(indexed(&mut index, &query, min), truth);
        }
    }

    /// Many texts of a few common words: the search probes more terms after the first
    /// K (phase 2) and must credit every text it counted, also when a term's postings
    /// come in two runs.
    #[test]
    fn extra_terms_credit_every_counted_text_in_any_segment_order() {
        let mut seed = 7u64;
        let mut next = move |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let texts: Vec<Vec<u32>> = (0..600)
            .map(|_| (0..4 + next(6)).map(|_| next(10) as u32).collect())
            .collect();
        let mut phase_two = 0;
        for q in 0..60 {
            let mut query = texts[q * 7].clone();
            let at = next(query.len() as u64) as usize;
            query[at] = 20 + next(5) as u32;
            for min in [50, 60, 70] {
                let truth = brute_force(&texts, &query, min);
                for two_segments in [false, true] {
                    let mut index = VecIndex::new(texts.clone());
                    if two_segments {
                        as_two_segments(&mut index);
                    }
                    let stats = index.stats(&query);
                    let k = max_edits(query.len(), query.len(), min) + 1;
                    let mut s = SearchStats::default();
                    let mut found: Vec<(i64, usize)> =
                        find(&mut index, &stats, min, &|_| true, &|_| false, &mut s)
                            .unwrap()
                            .into_iter()
                            .map(|c| (c.id, c.edits))
                            .collect();
                    found.sort_unstable();
                    assert_eq!(found, truth, "query {query:?}, min {min}");
                    phase_two += usize::from(s.probed > k);
                }
            }
        }
        assert!(phase_two > 50, "{phase_two}");
    }

    #[test]
    fn long_texts_past_the_length_cap_are_found() {
        let long: Vec<u32> = (0..1100).map(|i| i % 500).collect();
        let mut q = long.clone();
        q[3] = 9999;
        let texts = vec![long, vec![1, 2, 3]];
        let mut index = VecIndex::new(texts.clone());
        assert_eq!(indexed(&mut index, &q, 90), brute_force(&texts, &q, 90));
        assert_eq!(indexed(&mut index, &q, 90).len(), 1);
    }
}
