//! Candidate search with exact recall, independent of the storage.
//!
//! The problem: find every stored text whose base score against the query is at least
//! `min` %, without comparing the query with every text.
//!
//! A stored text of `m` tokens reaches `min` against a query of `n` tokens exactly
//! when its token edit distance is at most `d(m) = ⌊(100 − min) · max(n, m) / 100⌋`
//! ([`max_edits`]). Such a text has at least `max(n, m) − d(m)` query positions
//! aligned with equal tokens (each edit touches at most one query position), so among
//! any `K` chosen query positions at least `K − n + max(n, m) − d(m)` are present in
//! it. With `K = d(n) + 1` this is at least 1 for every admissible `m`: probing the
//! posting lists of `K` query positions finds every qualifying text. We choose the
//! `K` positions with the rarest tokens (tokens absent from the memory cost nothing),
//! count for each text how many probed positions it contains, and keep a text only
//! if the count reaches the bound for its length (the count filter) and its length is
//! in `[⌈min·n/100⌉, ⌊100·n/min⌋]` (the length filter). The survivors are verified
//! with a bounded edit distance. Nothing that qualifies is ever filtered out, so the
//! result equals that of comparing with every text.

use rustc_hash::FxHashMap;

use super::distance::bounded_levenshtein;
use super::postings::MAX_LEN;
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
    /// Calls `visit(text id, token count)` for every stored text containing `term`.
    fn postings(&mut self, term: u32, visit: &mut dyn FnMut(i64, u32)) -> Result<()>;

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
pub fn find(
    index: &mut dyn TokenIndex,
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

    // The k rarest positions; unknown tokens are free (df 0, no postings).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| query[i].map_or(0, |t| t.df));
    let mut probe: Vec<(u32, u32)> = Vec::new(); // (term, multiplicity among probed)
    for &i in &order[..k] {
        if let Some(t) = query[i] {
            match probe.iter_mut().find(|(id, _)| *id == t.id) {
                Some((_, count)) => *count += 1,
                None => probe.push((t.id, 1)),
            }
        }
    }
    stats.probed += k;

    let mut counts: FxHashMap<i64, (u32, u32)> = FxHashMap::default();
    for &(term, mult) in &probe {
        index.postings(term, &mut |id, len| {
            stats.postings += 1;
            let len_ok = (len as usize >= min_len && len as usize <= max_len)
                || (len >= MAX_LEN && max_len >= MAX_LEN as usize);
            if len_ok {
                let e = counts.entry(id).or_insert((0, len));
                e.0 += mult;
            }
        })?;
    }

    let query_ids: Vec<u32> = query.iter().map(|t| t.map_or(UNKNOWN, |t| t.id)).collect();
    let mut survivors: Vec<(i64, u32)> = counts
        .into_iter()
        .filter(|&(id, (count, len))| {
            let m = len as usize;
            let need = (k + n.max(m) - n) as i64 - max_edits(n, m, min_percent) as i64;
            i64::from(count) >= need && !skip(id)
        })
        .map(|(id, (_, len))| (id, len))
        .collect();
    survivors.sort_unstable();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::distance::levenshtein;
    use proptest::prelude::*;

    /// An in-memory index over token sequences (text id = position + 1).
    struct VecIndex {
        texts: Vec<Vec<u32>>,
        postings: FxHashMap<u32, Vec<i64>>,
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
            VecIndex { texts, postings }
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
        fn postings(&mut self, term: u32, visit: &mut dyn FnMut(i64, u32)) -> Result<()> {
            for &id in self.postings.get(&term).map(Vec::as_slice).unwrap_or(&[]) {
                visit(
                    id,
                    self.texts[id as usize - 1].len().min(MAX_LEN as usize) as u32,
                );
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
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn indexed_search_equals_brute_force((texts, query, min) in corpus()) {
            let mut index = VecIndex::new(texts.clone());
            prop_assert_eq!(indexed(&mut index, &query, min), brute_force(&texts, &query, min));
        }
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
