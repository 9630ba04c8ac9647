//! The index entries of the units a write transaction adds, built in memory and
//! written as one new segment of the fuzzy index (see [`super::index`]): per term its
//! posting lists (one per length class), and the texts' words keys.

use rusqlite::Connection;
use rustc_hash::FxHashSet;

use super::analysis::AnalyzedVariant;
use super::index::{self, SegmentInfo};
use super::postings::{text_id, text_unit, words_key32, ClassedLists, WordsEntry};
use super::tokens::text_check;
use super::vocabulary::Vocabulary;
use crate::error::{Error, Result};

/// When the postings waiting in memory reach this many bytes, they are written as a
/// segment and a new one is started (bounds the memory of huge imports).
const SEGMENT_BYTES: usize = 256 << 20;

/// Move the log into the lists when it has this many entries (12 MiB: sorted within
/// the processor's cache, and little left for the commit to sort).
const LOG_ENTRIES: usize = 1 << 20;

/// A posting waiting in the log (12 bytes: millions wait at once).
#[derive(Debug, Clone, Copy, Default)]
struct LogEntry {
    /// Term index.
    term: u32,
    /// The unit, relative to the first unit of the segment being built.
    unit: u32,
    /// Variant index (10 bits), token count (10 bits), position + 1 or 0 (10 bits).
    packed: u32,
}

/// The segment being built.
#[derive(Debug)]
pub(super) struct PendingIndex {
    /// The postings of the units added since the last segment, per term index (those
    /// in `log` not yet included).
    lists: Vec<ClassedLists>,
    bytes: usize,
    /// Postings in the order they were made, moved into `lists` by term now and then
    /// (appending to 100,000 lists at random is slow).
    log: Vec<LogEntry>,
    /// [`PendingIndex::drain_log`]'s buffer.
    log_sorted: Vec<LogEntry>,
    words: Vec<WordsEntry>,
    /// Units from this one on have their index entries here.
    from: i64,
    /// Units removed whose entries are still here, with their terms.
    removed: FxHashSet<i64>,
    removed_terms: Vec<u32>,
}

impl PendingIndex {
    /// An empty segment for units from `from` on.
    pub(super) fn new(from: i64) -> PendingIndex {
        PendingIndex {
            lists: Vec::new(),
            bytes: 0,
            log: Vec::with_capacity(LOG_ENTRIES),
            log_sorted: Vec::new(),
            words: Vec::new(),
            from,
            removed: FxHashSet::default(),
            removed_terms: Vec::new(),
        }
    }

    /// The first unit whose entries are (or will be) here.
    pub(super) fn from(&self) -> i64 {
        self.from
    }

    /// True when the segment is big enough to be written.
    pub(super) fn full(&self) -> bool {
        self.bytes >= SEGMENT_BYTES
    }

    /// Adds the entries of text `index` of unit `unit`: its postings (term indices
    /// through `local`, the batch vocabulary resolved) and its words key. Returns the
    /// text's id.
    pub(super) fn add_text(
        &mut self,
        unit: i64,
        index: usize,
        a: &AnalyzedVariant,
        postings: &[(u32, u32)],
        local: &[u32],
        vocab: &mut Vocabulary,
    ) -> Result<i64> {
        let len = a.stored_len();
        let offset = u32::try_from(unit - self.from)
            .map_err(|_| Error::invalid("too many units in one transaction"))?;
        let packed = ((index as u32) << 20) | (len << 10);
        for &(t, at) in postings {
            self.log.push(LogEntry {
                term: local[t as usize],
                unit: offset,
                packed: packed | at,
            });
        }
        if self.log.len() >= LOG_ENTRIES {
            self.drain_log(vocab);
        }
        let text = text_id(unit, index);
        self.words.push(WordsEntry {
            key: words_key32(a.key),
            text,
            check: text_check(a.hash),
        });
        Ok(text)
    }

    /// Unit `unit`, added to this segment, was removed again, with `terms` (term
    /// indices) in its texts: its entries are dropped when the segment is written.
    pub(super) fn remove_unit(&mut self, unit: i64, terms: impl IntoIterator<Item = u32>) {
        self.removed_terms.extend(terms);
        self.removed.insert(unit);
    }

    /// Moves the postings of the log into the lists, term by term (a counting sort,
    /// stable: each term's postings stay in text order), counting them in the terms'
    /// frequencies.
    fn drain_log(&mut self, vocab: &mut Vocabulary) {
        let terms = vocab.len();
        if self.lists.len() < terms {
            self.lists.resize_with(terms, ClassedLists::default);
        }
        if self.log.is_empty() {
            return;
        }
        let mut start = vec![0u32; terms + 1];
        for e in &self.log {
            start[e.term as usize + 1] += 1;
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        // Kept between drains: a fresh buffer of this size costs page faults each time.
        let mut sorted = std::mem::take(&mut self.log_sorted);
        sorted.clear();
        sorted.resize(self.log.len(), LogEntry::default());
        let mut next = start.clone();
        for e in &self.log {
            let slot = &mut next[e.term as usize];
            sorted[*slot as usize] = *e;
            *slot += 1;
        }
        self.log.clear();
        for term in 0..terms {
            let (from, to) = (start[term] as usize, start[term + 1] as usize);
            if from == to {
                continue;
            }
            let list = &mut self.lists[term];
            let before = list.bytes();
            for e in &sorted[from..to] {
                list.push(
                    self.from + i64::from(e.unit),
                    (e.packed >> 20) as usize,
                    (e.packed >> 10) & 1023,
                    e.packed & 1023,
                );
            }
            self.bytes += list.bytes() - before;
            vocab.add_df(term as u32, (to - from) as i64);
        }
        self.log_sorted = sorted;
    }

    /// Writes the entries waiting as segment `segment` (none if there are none: the
    /// id is then not used); returns whether it was written. The next segment starts
    /// at unit `next_unit`.
    pub(super) fn write(
        &mut self,
        conn: &Connection,
        vocab: &mut Vocabulary,
        segment: i64,
        next_unit: i64,
    ) -> Result<bool> {
        self.drain_log(vocab);
        // Units removed after being added: drop their entries.
        if !self.removed.is_empty() {
            let gone = std::mem::take(&mut self.removed);
            let mut terms = std::mem::take(&mut self.removed_terms);
            terms.sort_unstable();
            terms.dedup();
            for idx in terms {
                self.lists[idx as usize].retain(|p| !gone.contains(&text_unit(p.variant as i64)));
            }
            self.words.retain(|w| !gone.contains(&text_unit(w.text)));
        }
        let mut order: Vec<(u32, u32)> = self
            .lists
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(i, _)| (vocab.id(i as u32), i as u32))
            .collect();
        if order.is_empty() && self.words.is_empty() {
            self.from = next_unit;
            return Ok(false);
        }
        order.sort_unstable();
        let mut postings = 0i64;
        let mut insert = index::PostingsInsert::new(conn)?;
        for (term, idx) in order {
            let lists = std::mem::take(&mut self.lists[idx as usize]);
            for (class, list) in lists.into_lists() {
                postings += i64::from(list.len);
                insert.insert(segment, index::list_key(term, class), &list)?;
            }
        }
        let mut words = std::mem::take(&mut self.words);
        words.sort_unstable();
        index::insert_words(conn, segment, &words)?;
        index::insert_segment(
            conn,
            SegmentInfo {
                id: segment,
                postings,
            },
        )?;
        self.bytes = 0;
        self.from = next_unit;
        Ok(true)
    }

    /// Forgets everything waiting (a re-index); the next entries are for units from
    /// `from` on.
    pub(super) fn clear(&mut self, from: i64) {
        self.lists.clear();
        self.log.clear();
        self.words.clear();
        self.bytes = 0;
        self.removed.clear();
        self.removed_terms.clear();
        self.from = from;
    }

    /// The next entries are for units from `from` on (the segment is empty).
    pub(super) fn restart_at(&mut self, from: i64) {
        self.from = from;
    }
}
