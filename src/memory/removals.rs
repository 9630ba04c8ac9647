//! Removing the index entries of deleted units from the stored segments of the
//! fuzzy index (see [`super::index`]): collected while units are deleted, applied
//! term by term and words key by words key before the transaction commits.

use rusqlite::Connection;
use rustc_hash::FxHashSet;

use super::index;
use super::vocabulary::Vocabulary;
use crate::error::Result;

/// Index entries of stored segments to remove.
#[derive(Debug, Default)]
pub(super) struct Removals {
    /// (term id, text id).
    postings: Vec<(u32, i64)>,
    /// (words key, text id).
    words: Vec<(u32, i64)>,
}

impl Removals {
    /// Text `text` contains term `term` (an id).
    pub(super) fn posting(&mut self, term: u32, text: i64) {
        self.postings.push((term, text));
    }

    /// Text `text` has words key `key32`.
    pub(super) fn words(&mut self, key32: u32, text: i64) {
        self.words.push((key32, text));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.postings.is_empty() && self.words.is_empty()
    }

    /// Removes the entries from `segments` (the terms' frequencies follow in `vocab`).
    pub(super) fn apply(
        &mut self,
        conn: &Connection,
        segments: &[i64],
        vocab: &mut Vocabulary,
    ) -> Result<()> {
        let mut per_segment = vec![0i64; segments.len()];
        let mut postings = std::mem::take(&mut self.postings);
        postings.sort_unstable();
        postings.dedup();
        let mut removed: Vec<(u32, i64)> = Vec::new();
        for group in postings.chunk_by(|a, b| a.0 == b.0) {
            let term = group[0].0;
            let gone: FxHashSet<i64> = group.iter().map(|r| r.1).collect();
            let n = index::remove_postings(conn, segments, term, &gone, &mut per_segment)?;
            if n > 0 {
                removed.push((term, n));
            }
        }
        vocab.remove_df(conn, &removed)?;
        let mut words = std::mem::take(&mut self.words);
        words.sort_unstable();
        words.dedup();
        for group in words.chunk_by(|a, b| a.0 == b.0) {
            let gone: FxHashSet<i64> = group.iter().map(|r| r.1).collect();
            index::remove_words(conn, segments, group[0].0, &gone)?;
        }
        index::shrink_segments(conn, segments, &per_segment)
    }

    pub(super) fn clear(&mut self) {
        self.postings.clear();
        self.words.clear();
    }
}
