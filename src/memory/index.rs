//! The fuzzy index in the file: segments of posting lists and words runs.
//!
//! Every write transaction that adds texts writes its index entries as a new
//! *segment*: per term, one `postings` row per length class of its texts
//! ([`super::postings::len_class`]) or, for a list shorter than
//! [`super::postings::SPLIT_MIN`], one [`MIXED`] row of any length (`key = segment
//! << 36 | term << 4 | class`, so a term's rows are adjacent and a lookup reads the
//! ones it needs in one range), and the sorted words keys in `words` chunks (`key =
//! segment << 32 | first key`). Rows are appended at the end of their tables, so
//! adding units to a large memory never rewrites the index of the units already
//! stored. A term's list is the union of its rows: in segment order, then class order
//! (within a row, text ids increase; older segments hold older units).
//! When the newest segment grows to a quarter of the one before it (or there are
//! more than [`MAX_SEGMENTS`]), the two are merged into one, so a memory has a
//! handful of segments and each posting is rewritten a few times in its life. A
//! merge joins the rows of equal keys: mixed rows stay mixed even when the joined
//! list passes `SPLIT_MIN` (still correct, only read whole; `bitext reindex` splits
//! them), which happens to a memory grown by many small writes.
//! Deleting units rewrites the rows of their terms and words keys.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use rusqlite::{Connection, OptionalExtension, Transaction};
use rustc_hash::{FxHashMap, FxHashSet};

use super::db::DbResultExt;
use super::postings::{
    for_each_posting, for_each_words_entry, words_chunks, Posting, PostingList, WordsEntry,
    LEN_CLASSES, MIXED,
};
use crate::error::{Error, Result};

/// Merge segments when there are more than this many.
pub const MAX_SEGMENTS: usize = 8;

/// A segment's newest neighbour is merged into it when at least this fraction of its
/// size.
const MERGE_RATIO: i64 = 4;

/// A segment of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentInfo {
    pub id: i64,
    /// Number of postings.
    pub postings: i64,
}

/// The live segments, oldest first.
pub(crate) fn segments(conn: &Connection) -> Result<Vec<SegmentInfo>> {
    let mut stmt = conn
        .prepare_cached("SELECT id, postings FROM segments ORDER BY id")
        .db()?;
    let rows = stmt
        .query_map([], |r| {
            Ok(SegmentInfo {
                id: r.get(0)?,
                postings: r.get(1)?,
            })
        })
        .db()?;
    rows.collect::<rusqlite::Result<_>>().db()
}

/// Bits of a postings key below the segment: the term and the length class.
const LIST_BITS: u32 = 36;

/// Which list of a segment a postings row holds: the term and the length class.
#[inline]
pub(crate) fn list_key(term: u32, class: u8) -> i64 {
    debug_assert!(class < LEN_CLASSES);
    (i64::from(term) << 4) | i64::from(class)
}

/// The key of a postings row: `list` ([`list_key`]) in `segment`.
#[inline]
pub(crate) fn postings_key(segment: i64, list: i64) -> i64 {
    (segment << LIST_BITS) | list
}

/// The postings keys of `segment`: from the first, below the second.
#[inline]
fn segment_postings(segment: i64) -> [i64; 2] {
    [segment << LIST_BITS, (segment + 1) << LIST_BITS]
}

/// The postings keys of `term`'s `classes` in `segment`, first and last.
#[inline]
fn term_postings(segment: i64, term: u32, classes: RangeInclusive<u8>) -> [i64; 2] {
    [
        postings_key(segment, list_key(term, *classes.start())),
        postings_key(segment, list_key(term, *classes.end())),
    ]
}

/// Every length class.
pub(crate) const ALL_CLASSES: RangeInclusive<u8> = 0..=LEN_CLASSES - 1;

fn damaged(what: String) -> Error {
    Error::damaged(format!(
        "the memory's index is damaged ({what}); run `bitext reindex`"
    ))
}

/// Calls `visit` for every posting of `term` in its [`MIXED`] lists and the length
/// classes `classes`: segment by segment, class by class (each such run in increasing
/// text-id order).
pub(crate) fn visit_postings(
    conn: &Connection,
    segments: &[i64],
    term: u32,
    classes: RangeInclusive<u8>,
    mut visit: impl FnMut(Posting),
) -> Result<()> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT data FROM postings WHERE key >= ?1 AND key <= ?2 \
             AND (key & 15 = 0 OR key & 15 >= ?3)",
        )
        .db()?;
    // The rows from the mixed list to the last class, less the classes below the
    // first (skipped on the key: their data is not read).
    let first = i64::from(*classes.start());
    for &seg in segments {
        let [_, last] = term_postings(seg, term, classes.clone());
        let mut rows = stmt
            .query([postings_key(seg, list_key(term, MIXED)), last, first])
            .db()?;
        while let Some(row) = rows.next().db()? {
            let data = row.get_ref(0).db()?.as_blob().db()?;
            if !for_each_posting(data, &mut visit) {
                return Err(damaged(format!("postings of term {term}")));
            }
        }
    }
    Ok(())
}

/// The chunk of `segment`'s words run that would hold `key`: (row key, first key,
/// data).
fn words_chunk(conn: &Connection, segment: i64, key: u32) -> Result<Option<(i64, u32, Vec<u8>)>> {
    conn.prepare_cached(
        "SELECT key, data FROM words WHERE key <= ?1 AND key >= ?2 ORDER BY key DESC LIMIT 1",
    )
    .db()?
    .query_row([(segment << 32) | i64::from(key), segment << 32], |r| {
        let row_key: i64 = r.get(0)?;
        Ok((row_key, row_key as u32, r.get::<_, Vec<u8>>(1)?))
    })
    .optional()
    .db()
}

/// Decodes the chunk of `segment`'s words run that would hold `key`, calling `visit`
/// with each of its entries (all keys of the chunk); its (row key, first key), or
/// `None` if the segment has no such chunk.
fn visit_words_chunk(
    conn: &Connection,
    segment: i64,
    key: u32,
    visit: impl FnMut(WordsEntry),
) -> Result<Option<(i64, u32)>> {
    let Some((row_key, first, data)) = words_chunk(conn, segment, key)? else {
        return Ok(None);
    };
    if !for_each_words_entry(first, &data, visit) {
        return Err(damaged(format!("words keys of segment {segment}")));
    }
    Ok(Some((row_key, first)))
}

/// Decoded words chunks of stored segments. A writer keeps one so that looking up the
/// sources of a big import decodes each chunk once, not once per unit. It must be
/// cleared whenever stored words rows change (removals, merges, re-indexing).
#[derive(Debug, Default)]
pub(crate) struct WordsCache {
    /// Per segment, the chunks by first key.
    segments: FxHashMap<i64, BTreeMap<u32, Vec<WordsEntry>>>,
    entries: usize,
}

/// The cache is emptied when it holds more entries than this (16 bytes each).
const WORDS_CACHE_ENTRIES: usize = 1 << 22;

impl WordsCache {
    /// Forgets every chunk.
    pub(crate) fn clear(&mut self) {
        self.segments.clear();
        self.entries = 0;
    }

    /// Appends to `out` the entries with words key `key` of segment `seg`, decoding
    /// (and keeping) its chunk only if no kept chunk settles the key.
    fn segment_entries(
        &mut self,
        conn: &Connection,
        seg: i64,
        key: u32,
        out: &mut Vec<WordsEntry>,
    ) -> Result<()> {
        let chunks = self.segments.entry(seg).or_default();
        // A chunk holds every entry of the keys from its first to its last: a key
        // in that range is settled by the chunk alone.
        let cached = chunks
            .range(..=key)
            .next_back()
            .map(|(_, entries)| entries)
            .filter(|entries| entries.last().is_some_and(|e| e.key >= key));
        if let Some(entries) = cached {
            let from = entries.partition_point(|e| e.key < key);
            out.extend(entries[from..].iter().take_while(|e| e.key == key));
            return Ok(());
        }
        let mut entries = Vec::new();
        let Some((_, first)) = visit_words_chunk(conn, seg, key, |e| entries.push(e))? else {
            return Ok(());
        };
        out.extend(entries.iter().filter(|e| e.key == key));
        if chunks.contains_key(&first) {
            return Ok(());
        }
        self.entries += entries.len();
        chunks.insert(first, entries);
        if self.entries > WORDS_CACHE_ENTRIES {
            self.clear();
        }
        Ok(())
    }
}

/// Appends to `out` the entries with words key `key` (32 bits) of every segment,
/// through `cache` if there is one (a writer's).
pub(crate) fn words_entries(
    conn: &Connection,
    segments: &[i64],
    key: u32,
    mut cache: Option<&mut WordsCache>,
    out: &mut Vec<WordsEntry>,
) -> Result<()> {
    for &seg in segments {
        match cache.as_deref_mut() {
            Some(cache) => cache.segment_entries(conn, seg, key, out)?,
            None => {
                visit_words_chunk(conn, seg, key, |e| {
                    if e.key == key {
                        out.push(e);
                    }
                })?;
            }
        }
    }
    Ok(())
}

/// The statement that writes posting lists, prepared once for a segment's many
/// (a statement-cache lookup per list costs more than the insert of a short one).
pub(crate) struct PostingsInsert<'c>(rusqlite::CachedStatement<'c>);

impl<'c> PostingsInsert<'c> {
    pub(crate) fn new(tx: &'c Connection) -> Result<PostingsInsert<'c>> {
        tx.prepare_cached("INSERT INTO postings(key, last, n, data) VALUES(?1, ?2, ?3, ?4)")
            .map(PostingsInsert)
            .db()
    }

    /// Writes `list`, the postings of list key `key` ([`list_key`]) in `segment`.
    pub(crate) fn insert(&mut self, segment: i64, key: i64, list: &PostingList) -> Result<()> {
        self.0
            .execute(rusqlite::params![
                postings_key(segment, key),
                list.last_unit,
                list.len,
                list.data
            ])
            .db()?;
        Ok(())
    }
}

/// Writes the words run of a new segment (`entries` sorted).
pub(crate) fn insert_words(tx: &Connection, segment: i64, entries: &[WordsEntry]) -> Result<()> {
    let mut stmt = tx
        .prepare_cached("INSERT INTO words(key, data) VALUES(?1, ?2)")
        .db()?;
    words_chunks(entries, |first, data| {
        stmt.execute(rusqlite::params![(segment << 32) | i64::from(first), data])
            .map(|_| ())
            .db()
    })
}

/// Records a new segment.
pub(crate) fn insert_segment(tx: &Connection, info: SegmentInfo) -> Result<()> {
    tx.prepare_cached("INSERT INTO segments(id, postings) VALUES(?1, ?2)")
        .db()?
        .execute([info.id, info.postings])
        .db()?;
    Ok(())
}

/// Merges the newest segments while the policy asks for it (see the module
/// documentation); `next_id` is the next free segment id, advanced by each merge.
pub(crate) fn merge_if_needed(tx: &Transaction<'_>, next_id: &mut i64) -> Result<()> {
    loop {
        let segs = segments(tx)?;
        let n = segs.len();
        if n < 2 {
            return Ok(());
        }
        let (older, newer) = (segs[n - 2], segs[n - 1]);
        if n <= MAX_SEGMENTS && newer.postings * MERGE_RATIO < older.postings {
            return Ok(());
        }
        let id = *next_id;
        *next_id += 1;
        merge(tx, &[older, newer], id)?;
    }
}

/// Merges `segs` (consecutive, oldest first) into the new segment `into`.
pub(crate) fn merge(tx: &Transaction<'_>, segs: &[SegmentInfo], into: i64) -> Result<()> {
    // Postings: a k-way merge of the segments' rows in term order; a term's lists are
    // joined oldest first. New rows go after every segment read, so the open cursors
    // never meet them.
    {
        let mut stmts = Vec::with_capacity(segs.len());
        for _ in segs {
            stmts.push(
                tx.prepare(
                    "SELECT key, last, n, data FROM postings WHERE key >= ?1 AND key < ?2 \
                     ORDER BY key",
                )
                .db()?,
            );
        }
        let mut cursors = Vec::with_capacity(segs.len());
        for (stmt, s) in stmts.iter_mut().zip(segs) {
            cursors.push(stmt.query(segment_postings(s.id)).db()?);
        }
        // (list key, last unit, count, data)
        type Head = Option<(i64, i64, u32, Vec<u8>)>;
        let advance = |rows: &mut rusqlite::Rows<'_>| -> Result<Head> {
            match rows.next().db()? {
                None => Ok(None),
                Some(r) => Ok(Some((
                    r.get::<_, i64>(0).db()? & ((1 << LIST_BITS) - 1),
                    r.get(1).db()?,
                    r.get::<_, i64>(2).db()? as u32,
                    r.get(3).db()?,
                ))),
            }
        };
        let mut heads: Vec<Head> = Vec::with_capacity(segs.len());
        for c in cursors.iter_mut() {
            heads.push(advance(c)?);
        }
        let mut list = PostingList::default();
        let mut insert = PostingsInsert::new(tx)?;
        while let Some(key) = heads.iter().flatten().map(|h| h.0).min() {
            list.data.clear();
            list.last_unit = 0;
            list.len = 0;
            for (head, cursor) in heads.iter_mut().zip(cursors.iter_mut()) {
                if head.as_ref().is_some_and(|h| h.0 == key) {
                    let (_, last, n, data) = head.take().expect("checked");
                    if !list.append_encoded(&data, n, last) {
                        return Err(damaged(format!("postings of term {}", key >> 4)));
                    }
                    *head = advance(cursor)?;
                }
            }
            insert.insert(into, key, &list)?;
        }
    }
    // Words keys: few bytes per text; merged in memory.
    let mut entries = Vec::new();
    for s in segs {
        let mut stmt = tx
            .prepare_cached("SELECT key, data FROM words WHERE key >= ?1 AND key < ?2")
            .db()?;
        let mut rows = stmt.query([s.id << 32, (s.id + 1) << 32]).db()?;
        while let Some(r) = rows.next().db()? {
            let key: i64 = r.get(0).db()?;
            let data = r.get_ref(1).db()?.as_blob().db()?;
            if !for_each_words_entry(key as u32, data, |e| entries.push(e)) {
                return Err(damaged(format!("words keys of segment {}", s.id)));
            }
        }
    }
    entries.sort_unstable();
    insert_words(tx, into, &entries)?;
    for s in segs {
        for (table, keys) in [
            ("postings", segment_postings(s.id)),
            ("words", [s.id << 32, (s.id + 1) << 32]),
        ] {
            tx.prepare_cached(&format!("DELETE FROM {table} WHERE key >= ?1 AND key < ?2"))
                .db()?
                .execute(keys)
                .db()?;
        }
        tx.prepare_cached("DELETE FROM segments WHERE id = ?1")
            .db()?
            .execute([s.id])
            .db()?;
    }
    insert_segment(
        tx,
        SegmentInfo {
            id: into,
            postings: segs.iter().map(|s| s.postings).sum(),
        },
    )
}

/// Removes the texts `gone` from the postings of `term` in every segment; returns how
/// many postings were removed (per segment, to keep the segment sizes right).
pub(crate) fn remove_postings(
    tx: &Connection,
    segments: &[i64],
    term: u32,
    gone: &FxHashSet<i64>,
    removed_per_segment: &mut [i64],
) -> Result<i64> {
    let mut removed = 0i64;
    for (k, &seg) in segments.iter().enumerate() {
        let rows: Vec<(i64, Vec<u8>)> = tx
            .prepare_cached("SELECT key, data FROM postings WHERE key >= ?1 AND key <= ?2")
            .db()?
            .query_map(term_postings(seg, term, ALL_CLASSES), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .db()?
            .collect::<rusqlite::Result<_>>()
            .db()?;
        for (key, data) in rows {
            let here = remove_from_row(tx, key, &data, term, gone)?;
            removed_per_segment[k] += here;
            removed += here;
        }
    }
    Ok(removed)
}

/// Removes the texts `gone` from the postings row `key` (holding `data`, a list of
/// `term`); returns how many were removed.
fn remove_from_row(
    tx: &Connection,
    key: i64,
    data: &[u8],
    term: u32,
    gone: &FxHashSet<i64>,
) -> Result<i64> {
    let mut kept = PostingList::default();
    let mut here = 0i64;
    let ok = for_each_posting(data, |p| {
        if gone.contains(&(p.variant as i64)) {
            here += 1;
        } else {
            kept.push_posting(p);
        }
    });
    if !ok {
        return Err(damaged(format!("postings of term {term}")));
    }
    if here == 0 {
        return Ok(0);
    }
    if kept.len == 0 {
        tx.prepare_cached("DELETE FROM postings WHERE key = ?1")
            .db()?
            .execute([key])
            .db()?;
    } else {
        tx.prepare_cached("UPDATE postings SET last = ?2, n = ?3, data = ?4 WHERE key = ?1")
            .db()?
            .execute(rusqlite::params![key, kept.last_unit, kept.len, kept.data])
            .db()?;
    }
    Ok(here)
}

/// Removes the texts `gone` from the words entries with key `key` in every segment.
pub(crate) fn remove_words(
    tx: &Connection,
    segments: &[i64],
    key: u32,
    gone: &FxHashSet<i64>,
) -> Result<()> {
    for &seg in segments {
        let mut kept = Vec::new();
        let mut here = 0;
        let chunk = visit_words_chunk(tx, seg, key, |e| {
            if e.key == key && gone.contains(&e.text) {
                here += 1;
            } else {
                kept.push(e);
            }
        })?;
        let Some((row_key, _)) = chunk else {
            continue;
        };
        if here == 0 {
            continue;
        }
        tx.prepare_cached("DELETE FROM words WHERE key = ?1")
            .db()?
            .execute([row_key])
            .db()?;
        insert_words(tx, seg, &kept)?;
    }
    Ok(())
}

/// Updates the sizes of segments after removals (`removed[k]` postings from
/// `segments[k]`).
pub(crate) fn shrink_segments(tx: &Connection, segments: &[i64], removed: &[i64]) -> Result<()> {
    for (&seg, &r) in segments.iter().zip(removed) {
        if r == 0 {
            continue;
        }
        tx.prepare_cached("UPDATE segments SET postings = max(postings - ?2, 0) WHERE id = ?1")
            .db()?
            .execute([seg, r])
            .db()?;
    }
    Ok(())
}
