//! Finding the units whose source is the one of a unit being added (same language,
//! same text): the duplicates the writer merges, keeps or skips. Candidates come from
//! the texts this transaction added and from the words entries of the stored
//! segments, and are confirmed against the stored units.

use rusqlite::Connection;
use rustc_hash::FxHashMap;

use super::index;
use super::postings::{text_id, text_index, text_unit, words_key32, WordsEntry};
use super::store::{self, VariantsBlob};
use super::tokens::{text_check, text_hash};
use crate::error::Result;

/// A words key shared by at least this many texts of the stored segments is indexed
/// by text hash once it has been looked up [`CROWDED_LOOKUPS`] times.
const CROWDED_KEY: usize = 64;
const CROWDED_LOOKUPS: u32 = 16;

/// [`SourceHashes`] is emptied when it holds more texts than this.
const SOURCE_HASHES_TEXTS: usize = 1 << 22;

/// The markup of a variant without text (inline codes only), which tells such
/// variants apart; `None` for a variant with text.
pub(super) fn tags_only<'a>(text: &str, markup: Option<&'a str>) -> Option<&'a str> {
    if text.is_empty() {
        markup
    } else {
        None
    }
}

/// A source text added by the writer, in a chain of those with the same words key and
/// text hash.
#[derive(Debug, Clone, Copy)]
struct AddedText {
    text: i64,
    hash: u64,
    previous: Option<u32>,
}

/// The stored texts of crowded words keys by text hash. Texts that differ only in
/// numbers (numbered items, software strings, catalogues) share a words key, and
/// the words entries tell them apart by one byte of hash only: without this index,
/// looking up a source among n such stored texts reads n entries and n/256 units,
/// and an import of such units into a memory holding them is quadratic. Stored
/// texts never change (merges keep them, deletions leave ids that the check of the
/// stored unit rejects), so an index stays valid until the segments change.
#[derive(Debug, Default)]
struct SourceHashes {
    /// Per crowded key: text ids by the hash of their stored text.
    keys: FxHashMap<u32, FxHashMap<u64, Vec<i64>>>,
    /// Lookups so far of each crowded key not indexed yet.
    lookups: FxHashMap<u32, u32>,
    texts: usize,
}

impl SourceHashes {
    fn clear(&mut self) {
        self.keys.clear();
        self.lookups.clear();
        self.texts = 0;
    }
}

/// What the writer knows to find units by source.
#[derive(Debug, Default)]
pub(super) struct SameSource {
    /// Source texts added by this transaction by words key and text hash: the last
    /// one's index in `added_texts`, which links each to the previous one with the
    /// same key and hash. (By the key alone, the chain of a repetitive import — units
    /// that differ only in numbers share a key — grew with every unit, and walking it
    /// made the import quadratic.)
    added: FxHashMap<(i64, u64), u32>,
    added_texts: Vec<AddedText>,
    /// The stored segments' words chunks read so far.
    words_cache: index::WordsCache,
    /// Stored source candidates by text hash, for the words keys that many stored
    /// texts share (see [`SourceHashes`]).
    source_hashes: SourceHashes,
}

impl SameSource {
    /// Text `text`, with words key `key` and text hash `hash`, is the source of a
    /// unit this transaction added.
    pub(super) fn added(&mut self, text: i64, key: i64, hash: u64) {
        let i = self.added_texts.len() as u32;
        let previous = self.added.insert((key, hash), i);
        self.added_texts.push(AddedText {
            text,
            hash,
            previous,
        });
    }

    /// A segment was added to the file.
    pub(super) fn segment_written(&mut self) {
        self.source_hashes.clear();
    }

    /// Stored segments were rewritten (entries removed).
    pub(super) fn segments_rewritten(&mut self) {
        self.words_cache.clear();
        self.source_hashes.clear();
    }

    /// Forgets everything (the index is rebuilt).
    pub(super) fn clear(&mut self) {
        self.segments_rewritten();
        self.added.clear();
        self.added_texts.clear();
    }

    /// Units whose source variant has language `lang` and text `text` (NFC, with
    /// words key `key` and hash `hash`); for a source without text (inline codes
    /// only), also its `markup`. `segments`: the stored segments.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn find(
        &mut self,
        conn: &Connection,
        segments: &[i64],
        key: i64,
        lang: i64,
        text: &str,
        hash: u64,
        markup: Option<&str>,
    ) -> Result<Vec<i64>> {
        let mut candidates: Vec<i64> = Vec::new();
        let mut next = self.added.get(&(key, hash)).copied();
        while let Some(i) = next {
            let a = &self.added_texts[i as usize];
            if a.hash == hash {
                candidates.push(a.text);
            }
            next = a.previous;
        }
        if !segments.is_empty() {
            let key32 = words_key32(key);
            if let Some(by_hash) = self.source_hashes.keys.get(&key32) {
                candidates.extend(by_hash.get(&hash).into_iter().flatten());
            } else {
                let mut entries = Vec::new();
                let cache = Some(&mut self.words_cache);
                index::words_entries(conn, segments, key32, cache, &mut entries)?;
                if self.crowded(key32, entries.len()) {
                    let by_hash = hash_stored_texts(conn, &entries)?;
                    candidates.extend(by_hash.get(&hash).into_iter().flatten());
                    self.source_hashes.texts += entries.len();
                    if self.source_hashes.texts > SOURCE_HASHES_TEXTS {
                        self.source_hashes.clear();
                    }
                    self.source_hashes.keys.insert(key32, by_hash);
                } else {
                    let check = text_check(hash);
                    candidates.extend(entries.iter().filter(|e| e.check == check).map(|e| e.text));
                }
            }
        }
        let mut out = Vec::new();
        if candidates.is_empty() {
            return Ok(out);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut reader = store::VariantsReader::new(conn)?;
        for t in candidates {
            let (unit, index) = (text_unit(t), text_index(t));
            let same = reader.read(unit, |source_lang, blob| {
                // Only the stored unit's source variant counts: the first variant in
                // its source language, or its first variant.
                let mut source = None;
                let mut first = None;
                for (k, v) in VariantsBlob::new(blob).enumerate() {
                    let Ok(v) = v else { break };
                    if k == 0 {
                        first = Some((k, v));
                    }
                    if source_lang == Some(v.lang) {
                        source = Some((k, v));
                        break;
                    }
                }
                source.or(first).is_some_and(|(k, v)| {
                    k == index
                        && v.lang == lang
                        && v.text == text
                        && tags_only(v.text, v.markup) == tags_only(text, markup)
                })
            })?;
            if same == Some(true) && !out.contains(&unit) {
                out.push(unit);
            }
        }
        Ok(out)
    }

    /// Counts a lookup of words key `key32`, which `n` stored texts share; `true` when
    /// the key is crowded enough and looked up often enough to be indexed by hash.
    fn crowded(&mut self, key32: u32, n: usize) -> bool {
        if n < CROWDED_KEY {
            return false;
        }
        let lookups = self.source_hashes.lookups.entry(key32).or_insert(0);
        *lookups += 1;
        if *lookups < CROWDED_LOOKUPS {
            return false;
        }
        self.source_hashes.lookups.remove(&key32);
        true
    }
}

/// The texts of words entries `entries` by the hash of their stored text (the
/// units' texts, read once).
fn hash_stored_texts(
    conn: &Connection,
    entries: &[WordsEntry],
) -> Result<FxHashMap<u64, Vec<i64>>> {
    let mut units: Vec<i64> = entries.iter().map(|e| text_unit(e.text)).collect();
    units.sort_unstable();
    units.dedup();
    let mut texts: FxHashMap<i64, Vec<usize>> = FxHashMap::default();
    for e in entries {
        texts
            .entry(text_unit(e.text))
            .or_default()
            .push(text_index(e.text));
    }
    let mut by_hash: FxHashMap<u64, Vec<i64>> = FxHashMap::default();
    let mut reader = store::VariantsReader::new(conn)?;
    for unit in units {
        let wanted = &texts[&unit];
        reader.read(unit, |_, blob| {
            for (k, v) in VariantsBlob::new(blob).enumerate() {
                let Ok(v) = v else { break };
                if wanted.contains(&k) {
                    by_hash
                        .entry(text_hash(v.text))
                        .or_default()
                        .push(text_id(unit, k));
                }
            }
        })?;
    }
    Ok(by_hash)
}
