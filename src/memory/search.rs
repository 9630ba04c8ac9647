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

use rustc_hash::FxHashMap;

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
    /// Calls `visit` for every posting of `term` (every stored text containing it).
    fn postings(&mut self, term: u32, visit: &mut dyn FnMut(Posting)) -> Result<()>;

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
    // Per text: (probed positions found at a compatible place, token count).
    // Sized for the phase-1 postings up front: growing a large map costs more than
    // counting.
    let mut planned = 0u64;
    let mut cover = unknown;
    for g in &groups {
        if cover >= k {
            break;
        }
        planned += g.1;
        cover += g.2.len();
    }
    let mut counts: FxHashMap<i64, (u32, u32)> =
        FxHashMap::with_capacity_and_hasher(planned.min(1 << 20) as usize, Default::default());
    let mut covered = unknown;
    let mut next = 0;
    while covered < k && next < groups.len() {
        let (term, _, positions) = &groups[next];
        visit_term(
            index,
            *term,
            positions,
            n,
            min_percent,
            min_len,
            max_len,
            true,
            &mut counts,
            stats,
        )?;
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
            .values()
            .filter(|&&(c, len)| i64::from(c) >= need(covered, len as usize))
            .count() as u64;
        let (term, df, positions) = &groups[next];
        if passing <= 16 || *df > passing.saturating_mul(POSTINGS_PER_VERIFY) {
            break;
        }
        visit_term(
            index,
            *term,
            positions,
            n,
            min_percent,
            min_len,
            max_len,
            false,
            &mut counts,
            stats,
        )?;
        covered += positions.len();
        next += 1;
    }
    stats.probed += covered;

    let query_ids: Vec<u32> = query.iter().map(|t| t.map_or(UNKNOWN, |t| t.id)).collect();
    let mut survivors: Vec<(i64, u32)> = counts
        .into_iter()
        .filter(|&(id, (count, len))| i64::from(count) >= need(covered, len as usize) && !skip(id))
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

/// Reading this many postings costs about as much as verifying one text.
const POSTINGS_PER_VERIFY: u64 = 200;

/// Reads the postings of one query term and credits each text with the probed
/// positions it has at a compatible place. With `insert` false only texts already
/// counted are credited (phase 2 adds no candidates).
#[allow(clippy::too_many_arguments)]
fn visit_term(
    index: &mut dyn TokenIndex,
    term: u32,
    positions: &[u32],
    n: usize,
    min_percent: u32,
    min_len: usize,
    max_len: usize,
    insert: bool,
    counts: &mut FxHashMap<i64, (u32, u32)>,
    stats: &mut SearchStats,
) -> Result<()> {
    index.postings(term, &mut |p| {
        stats.postings += 1;
        let len = p.len as usize;
        let capped = p.len >= MAX_LEN;
        if !((len >= min_len && len <= max_len) || (capped && max_len >= MAX_LEN as usize)) {
            return;
        }
        let found = if p.at == 0 || capped {
            // Several occurrences (or position unknown): any probed position may be
            // aligned with one of them.
            positions.len() as u32
        } else {
            // One occurrence: at most one query position is aligned with it, and
            // only one within d(m) of it.
            let j = i64::from(p.at) - 1;
            let d = max_edits(n, len, min_percent) as i64;
            u32::from(positions.iter().any(|&i| (i64::from(i) - j).abs() <= d))
        };
        if found == 0 {
            return;
        }
        if insert {
            counts.entry(p.variant as i64).or_insert((0, p.len)).0 += found;
        } else if let Some(e) = counts.get_mut(&(p.variant as i64)) {
            e.0 += found;
        }
    })
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
        fn postings(&mut self, term: u32, visit: &mut dyn FnMut(Posting)) -> Result<()> {
            for &id in self.postings.get(&term).map(Vec::as_slice).unwrap_or(&[]) {
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
