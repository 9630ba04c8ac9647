//! Adding units to a memory: one transaction, duplicates merged or kept by policy,
//! the fuzzy index of the new units built in memory and written as one segment at
//! commit (see [`super::index`]).

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use super::analysis::{
    fingerprint, fingerprint_seed, source_index, AnalyzedBatch, AnalyzedUnit, AnalyzedVariant,
};
use super::counts::{self, Counts};
use super::db::{db_error, DbResultExt};
use super::index::{self, SegmentInfo};
use super::postings::{
    decode_ids, for_each_posting, put_varint, text_id, text_index, text_unit, words_key32,
    PostingList, WordsEntry,
};
use super::store::{self, primary_tag, LangCache, StoredVariant, VariantsBlob};
use super::tokens::{nfc, text_check, text_hash, words_key, Analyzed};
use super::Memory;
use crate::error::{Error, Result};
use crate::text::LangTag;
use crate::unit::{Provenance, TranslationUnit};

/// What to do with a unit whose source (same language, same text) is already stored
/// with different translations. A unit whose variants are all stored already (same
/// source, same targets) is always merged: its metadata updates the stored unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    /// Keep both: the new unit is an alternative translation (the default).
    #[default]
    Keep,
    /// Keep the stored units, drop the new one (even if it is identical).
    Skip,
    /// Remove the stored units with that source and store the new one.
    Replace,
}

/// Settings of a [`Writer`].
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The duplicate policy.
    pub on_duplicate: OnDuplicate,
    /// Recorded as creator (and changer) of units that do not name one.
    pub user: Option<String>,
    /// The time recorded for units without a creation date (default: now).
    pub now: Option<jiff::Timestamp>,
}

/// The markup of a variant without text (inline codes only), which tells such
/// variants apart; `None` for a variant with text.
fn tags_only<'a>(text: &str, markup: Option<&'a str>) -> Option<&'a str> {
    if text.is_empty() {
        markup
    } else {
        None
    }
}

/// What [`Writer::add`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AddOutcome {
    /// Stored as a new unit.
    Inserted {
        /// Its id.
        unit: i64,
    },
    /// The same unit was stored already; its metadata was updated.
    Merged {
        /// The stored unit's id (new if the stored unit gained languages).
        unit: i64,
    },
    /// Stored units with the same source were removed and this one stored.
    Replaced {
        /// The new unit's id.
        unit: i64,
        /// The ids of the removed units.
        removed: Vec<i64>,
    },
    /// Not stored, because a unit with the same source exists (`OnDuplicate::Skip`).
    Skipped {
        /// The stored unit with that source.
        existing: i64,
    },
}

/// When the postings waiting in memory reach this many bytes, they are written as a
/// segment and a new one is started (bounds the memory of huge imports).
const SEGMENT_BYTES: usize = 256 << 20;

/// A term of the dictionary, as the writer knows it.
#[derive(Debug)]
struct TermInfo {
    grp: i64,
    token: Box<str>,
    id: u32,
    /// Texts containing it: stored ones plus this transaction's.
    df: i64,
    /// In the `terms` table already.
    stored: bool,
    /// `df` changed.
    dirty: bool,
}

/// Adds units in one transaction: [`Writer::commit`] makes them permanent, dropping
/// the writer discards them. Duplicates are detected against the stored units and
/// those added earlier in the same transaction.
pub struct Writer<'m> {
    tx: Transaction<'m>,
    langs: LangCache,
    langs_out: &'m mut LangCache,
    /// Group (primary language id) of each language id.
    groups: FxHashMap<i64, i64>,
    origins: FxHashMap<String, i64>,
    options: WriteOptions,
    now: i64,
    /// The segments in the file (including those this transaction wrote).
    segments: Vec<i64>,
    /// The `terms` table had rows when the writer started.
    stored_terms: bool,
    /// The stored terms were read at once (big imports; never twice).
    terms_loaded: bool,
    /// Every stored term is in `terms`, so a term the writer does not know is new.
    all_terms_known: bool,
    terms: Vec<TermInfo>,
    /// Terms by [`super::analysis::fingerprint`]: no string is hashed on the hot path.
    term_index: FxHashMap<u128, u32>,
    term_by_id: FxHashMap<u32, u32>,
    /// The postings of the units added since the last segment, per term (those in
    /// `log` not yet included).
    lists: Vec<PostingList>,
    pending_bytes: usize,
    /// Postings in the order they were made, moved into `lists` by term now and then
    /// (appending to 100,000 lists at random is slow).
    log: Vec<LogEntry>,
    /// [`Writer::drain_log`]'s buffer.
    log_sorted: Vec<LogEntry>,
    words: Vec<WordsEntry>,
    /// Units from this one on have their index entries in `lists` and `words`.
    pending_from: i64,
    /// Source texts added by this transaction by words key and text hash: the last
    /// one's index in `added_texts`, which links each to the previous one with the
    /// same key and hash. (By the key alone, the chain of a repetitive import — units
    /// that differ only in numbers share a key — grew with every unit, and walking it
    /// made the import quadratic.)
    added: FxHashMap<(i64, u64), u32>,
    added_texts: Vec<AddedText>,
    /// Units removed whose entries are still in `lists`, with their terms.
    removed_pending: FxHashSet<i64>,
    removed_pending_terms: Vec<u32>,
    /// Stored index entries to remove: (term id, text id) and (words key, text id).
    removals: Vec<(u32, i64)>,
    word_removals: Vec<(u32, i64)>,
    next_unit: i64,
    next_term: i64,
    next_segment: i64,
    /// Changes to the running totals, written at commit.
    counts: Counts,
    /// Per batch: vocabulary index → term index, and → term id (the ids apart, as
    /// looking them up in `terms` at random misses the cache for every token).
    local: Vec<u32>,
    local_ids: Vec<u32>,
    /// Per batch: language index → language id.
    batch_langs: Vec<i64>,
    /// The stored segments' words chunks read so far.
    words_cache: index::WordsCache,
    /// Stored source candidates by text hash, for the words keys that many stored
    /// texts share (see [`SourceHashes`]).
    source_hashes: SourceHashes,
    scratch_blob: Vec<u8>,
    scratch_ids: Vec<u8>,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("pending_bytes", &self.pending_bytes)
            .finish()
    }
}

/// A posting waiting in the writer's log (12 bytes: millions wait at once).
#[derive(Debug, Clone, Copy, Default)]
struct LogEntry {
    /// Term index.
    term: u32,
    /// The unit, relative to the first unit of the segment being built.
    unit: u32,
    /// Variant index (10 bits), token count (10 bits), position + 1 or 0 (10 bits).
    packed: u32,
}

/// A batch with this many terms the writer does not know makes it read all stored
/// terms at once ([`Writer::load_stored_terms`]) …
const LOAD_TERMS_AFTER: usize = 2048;
/// … unless the memory has more than this many (their memory would outweigh the
/// searches saved).
const LOAD_TERMS_MAX: i64 = 4_000_000;

/// Move the log into the lists when it has this many entries (12 MiB: sorted within
/// the processor's cache, and little left for the commit to sort).
const LOG_ENTRIES: usize = 1 << 20;

/// A source text added by the writer, in a chain of those with the same words key and
/// text hash.
#[derive(Debug, Clone, Copy)]
struct AddedText {
    text: i64,
    hash: u64,
    previous: Option<u32>,
}

/// A words key shared by at least this many texts of the stored segments is indexed
/// by text hash once it has been looked up [`CROWDED_LOOKUPS`] times.
const CROWDED_KEY: usize = 64;
const CROWDED_LOOKUPS: u32 = 16;

/// [`SourceHashes`] is emptied when it holds more texts than this.
const SOURCE_HASHES_TEXTS: usize = 1 << 22;

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

/// A variant ready to be stored: its language and analysis.
struct Prepared<'a> {
    lang: i64,
    analysis: &'a AnalyzedVariant,
    text: &'a str,
    /// Its tokens and postings (see [`AnalyzedBatch::tokens`], `postings`).
    tokens: &'a [u32],
    postings: &'a [(u32, u32)],
}

impl<'m> Writer<'m> {
    /// The ids of the units `filter` selects, as this transaction sees them.
    pub(crate) fn select(&self, filter: &super::DeleteFilter) -> Result<Vec<i64>> {
        super::admin::select_ids(&self.tx, &self.langs, filter)
    }

    pub(crate) fn new(memory: &'m mut Memory, options: WriteOptions) -> Result<Writer<'m>> {
        let Memory { conn, langs, path } = memory;
        // Waits up to the busy timeout for another writer; the error names the file.
        let tx = Transaction::new(conn, TransactionBehavior::Immediate).map_err(|e| {
            let e = db_error(e);
            match path {
                Some(p) => e.in_file(p),
                None => e,
            }
        })?;
        let counter = |key: &str, sql: &str| -> Result<i64> {
            if let Some(v) = store::meta_get(&tx, key)?.and_then(|v| v.parse().ok()) {
                return Ok(v);
            }
            tx.query_row(sql, [], |r| r.get::<_, i64>(0)).db()
        };
        let next_unit = counter("next_unit", "SELECT coalesce(max(id), 0) + 1 FROM units")?;
        let next_term = counter("next_term", "SELECT coalesce(max(id), 0) + 1 FROM terms")?;
        let next_segment = counter(
            "next_segment",
            "SELECT coalesce(max(id), 0) + 1 FROM segments",
        )?;
        let concordance_upto = counter("concordance_upto", "SELECT 0")?;
        let segments = index::segments(&tx)?.iter().map(|s| s.id).collect();
        let stored_terms = tx
            .query_row("SELECT EXISTS (SELECT 1 FROM terms)", [], |r| r.get(0))
            .db()?;
        let now = options.now.unwrap_or_else(jiff::Timestamp::now).as_second();
        Ok(Writer {
            langs: langs.clone(),
            langs_out: langs,
            groups: FxHashMap::default(),
            origins: FxHashMap::default(),
            tx,
            options,
            now,
            segments,
            stored_terms,
            terms_loaded: false,
            all_terms_known: false,
            terms: Vec::new(),
            term_index: FxHashMap::default(),
            term_by_id: FxHashMap::default(),
            lists: Vec::new(),
            pending_bytes: 0,
            log: Vec::with_capacity(LOG_ENTRIES),
            log_sorted: Vec::new(),
            words: Vec::new(),
            pending_from: next_unit,
            added: FxHashMap::default(),
            added_texts: Vec::new(),
            removed_pending: FxHashSet::default(),
            removed_pending_terms: Vec::new(),
            removals: Vec::new(),
            word_removals: Vec::new(),
            next_unit,
            next_term,
            next_segment,
            counts: Counts::new(concordance_upto),
            local: Vec::new(),
            local_ids: Vec::new(),
            batch_langs: Vec::new(),
            words_cache: index::WordsCache::default(),
            source_hashes: SourceHashes::default(),
            scratch_blob: Vec::new(),
            scratch_ids: Vec::new(),
        })
    }

    /// Writes everything and ends the transaction.
    pub fn commit(mut self) -> Result<()> {
        self.apply_removals()?;
        self.write_segment()?;
        self.flush_terms()?;
        self.counts.flush(&self.tx)?;
        index::merge_if_needed(&self.tx, &mut self.next_segment)?;
        for (key, value) in [
            ("next_unit", self.next_unit),
            ("next_term", self.next_term),
            ("next_segment", self.next_segment),
        ] {
            store::meta_set(&self.tx, key, &value.to_string())?;
        }
        self.tx.commit().db()?;
        *self.langs_out = std::mem::take(&mut self.langs);
        Ok(())
    }

    /// The id of a language tag, added if new.
    fn lang_id(&mut self, tag: &LangTag) -> Result<i64> {
        if let Some(id) = self.langs.id(tag.as_str()) {
            return Ok(id);
        }
        self.tx
            .execute("INSERT INTO langs(tag) VALUES(?1)", [tag.as_str()])
            .db()?;
        let id = self.tx.last_insert_rowid();
        self.langs.insert(id, tag.clone());
        Ok(id)
    }

    /// The group of a language id: the id of its primary language's tag.
    fn group_of(&mut self, lang: i64) -> Result<i64> {
        if let Some(&g) = self.groups.get(&lang) {
            return Ok(g);
        }
        let tag = self
            .langs
            .tag(lang)
            .cloned()
            .ok_or_else(|| Error::invalid(format!("unknown language id {lang}")))?;
        let group = self.lang_id(&primary_tag(&tag))?;
        self.groups.insert(lang, group);
        Ok(group)
    }

    /// Adds one unit. Errors of kind `Invalid` reject only this unit (fewer than two
    /// non-empty variants); others (database errors) mean the transaction should be
    /// abandoned.
    pub fn add(&mut self, unit: &TranslationUnit) -> Result<AddOutcome> {
        let batch = AnalyzedBatch::of(std::slice::from_ref(unit));
        self.add_analyzed_batch(std::slice::from_ref(unit), batch)?
            .pop()
            .expect("one outcome per unit")
    }

    /// Adds units, analysing them in parallel first. The outer error means the
    /// transaction failed; an inner one rejects only its unit (as [`Writer::add`]).
    pub fn add_batch(&mut self, units: &[TranslationUnit]) -> Result<Vec<Result<AddOutcome>>> {
        let analyzed = AnalyzedBatch::of(units);
        self.add_analyzed_batch(units, analyzed)
    }

    /// Adds units analysed beforehand by [`AnalyzedBatch::of`] (which needs no writer,
    /// so the next batch can be analysed while this one is stored).
    ///
    /// # Panics
    /// If `analyzed` was not made from `units`.
    pub fn add_analyzed_batch(
        &mut self,
        units: &[TranslationUnit],
        analyzed: AnalyzedBatch,
    ) -> Result<Vec<Result<AddOutcome>>> {
        assert_eq!(
            units.len(),
            analyzed.units.len(),
            "the batch was analysed from other units"
        );
        self.resolve_vocabulary(&analyzed)?;
        let mut out = Vec::with_capacity(units.len());
        let mut analyzed = analyzed;
        let analyses = std::mem::take(&mut analyzed.units);
        for (unit, a) in units.iter().zip(analyses) {
            match a {
                Err(e) => out.push(Err(e)),
                Ok(a) => out.push(Ok(self.add_analyzed(unit, &a, &analyzed)?)),
            }
        }
        if self.pending_bytes >= SEGMENT_BYTES {
            self.apply_removals()?;
            self.write_segment()?;
        }
        Ok(out)
    }

    /// Maps a batch's vocabulary to the writer's terms (looked up or created).
    fn resolve_vocabulary(&mut self, batch: &AnalyzedBatch) -> Result<()> {
        if self.stored_terms
            && !self.terms_loaded
            && self.next_term <= LOAD_TERMS_MAX
            && batch.vocab.len() >= LOAD_TERMS_AFTER
        {
            let unknown = batch
                .vocab
                .iter()
                .filter(|t| !self.term_index.contains_key(&t.fp))
                .count();
            if unknown >= LOAD_TERMS_AFTER {
                self.load_stored_terms()?;
            }
        }
        let mut local = std::mem::take(&mut self.local);
        local.clear();
        local.reserve(batch.vocab.len());
        for term in &batch.vocab {
            let idx = match self.term_index.get(&term.fp) {
                Some(&i) => i,
                None => {
                    let group = self.lang_id(batch.group(term))?;
                    self.new_term(group, batch.token(term), term.fp)?
                }
            };
            local.push(idx);
        }
        let mut batch_langs = std::mem::take(&mut self.batch_langs);
        batch_langs.clear();
        for tag in &batch.langs {
            batch_langs.push(self.lang_id(tag)?);
        }
        self.batch_langs = batch_langs;
        self.local_ids.clear();
        self.local_ids
            .extend(local.iter().map(|&idx| self.terms[idx as usize].id));
        self.local = local;
        Ok(())
    }

    /// Reads every stored term the writer does not know yet: one pass over the table
    /// instead of one search per new term of a big import.
    fn load_stored_terms(&mut self) -> Result<()> {
        let mut seeds: FxHashMap<i64, Option<[u64; 2]>> = FxHashMap::default();
        let mut complete = true;
        let mut stmt = self
            .tx
            .prepare("SELECT grp, token, id, df FROM terms")
            .db()?;
        let mut rows = stmt.query([]).db()?;
        while let Some(row) = rows.next().db()? {
            let grp: i64 = row.get(0).db()?;
            let token = row
                .get_ref(1)
                .and_then(|v| v.as_str().map_err(Into::into))
                .db()?;
            let (id, df): (i64, i64) = (row.get(2).db()?, row.get(3).db()?);
            let langs = &self.langs;
            let seed = *seeds
                .entry(grp)
                .or_insert_with(|| langs.tag(grp).map(|t| fingerprint_seed(t.as_str())));
            let (Some(seed), Ok(id)) = (seed, u32::try_from(id)) else {
                // Left to the search by name in `new_term`.
                complete = false;
                continue;
            };
            let fp = fingerprint(seed, token);
            if self.term_index.contains_key(&fp) {
                continue;
            }
            let index = self.terms.len() as u32;
            self.terms.push(TermInfo {
                grp,
                token: token.into(),
                id,
                df,
                stored: true,
                dirty: false,
            });
            self.lists.push(PostingList::default());
            self.term_by_id.insert(id, index);
            self.term_index.insert(fp, index);
        }
        self.terms_loaded = true;
        self.all_terms_known = complete;
        Ok(())
    }

    /// Loads (or creates) a term the writer has not seen yet; returns its index.
    fn new_term(&mut self, grp: i64, token: &str, fp: u128) -> Result<u32> {
        let found: Option<(i64, i64)> = if self.stored_terms && !self.all_terms_known {
            self.tx
                .prepare_cached("SELECT id, df FROM terms WHERE grp = ?1 AND token = ?2")
                .db()?
                .query_row((grp, token), |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .db()?
        } else {
            None
        };
        let info = match found {
            Some((id, df)) => TermInfo {
                grp,
                token: token.into(),
                id: id as u32,
                df,
                stored: true,
                dirty: false,
            },
            None => {
                let id = self.next_term;
                if id > i64::from(u32::MAX) {
                    return Err(Error::invalid("the memory has too many distinct terms"));
                }
                self.next_term += 1;
                TermInfo {
                    grp,
                    token: token.into(),
                    id: id as u32,
                    df: 0,
                    stored: false,
                    dirty: true,
                }
            }
        };
        let index = self.terms.len() as u32;
        self.term_by_id.insert(info.id, index);
        self.terms.push(info);
        self.lists.push(PostingList::default());
        self.term_index.insert(fp, index);
        Ok(index)
    }

    fn prepare<'a>(
        &mut self,
        unit: &'a TranslationUnit,
        analyzed: &'a AnalyzedUnit,
        batch: &'a AnalyzedBatch,
    ) -> Result<Vec<Prepared<'a>>> {
        let variants = batch.variants(analyzed);
        let mut prepared = Vec::with_capacity(variants.len());
        for (v, a) in unit.variants.iter().zip(variants) {
            prepared.push(Prepared {
                lang: self.batch_langs[a.lang as usize],
                analysis: a,
                text: a.text(&v.text),
                tokens: batch.tokens(a),
                postings: batch.postings(a),
            });
        }
        Ok(prepared)
    }

    fn add_analyzed(
        &mut self,
        unit: &TranslationUnit,
        analyzed: &AnalyzedUnit,
        batch: &AnalyzedBatch,
    ) -> Result<AddOutcome> {
        let prepared = self.prepare(unit, analyzed, batch)?;
        let src = &prepared[analyzed.source];
        let src_markup = unit.variants[analyzed.source].markup.as_deref();
        let existing = self.same_source(
            src.analysis.key,
            src.lang,
            src.text,
            src.analysis.hash,
            src_markup,
        )?;
        if existing.is_empty() {
            let id = self.insert(unit, &prepared)?;
            return Ok(AddOutcome::Inserted { unit: id });
        }
        // A variant is its text; one without text (inline codes only) is its markup.
        let new_set: Vec<(i64, &str, Option<&str>)> = prepared
            .iter()
            .zip(&unit.variants)
            .map(|(p, v)| (p.lang, p.text, tags_only(p.text, v.markup.as_deref())))
            .collect();
        match self.options.on_duplicate {
            OnDuplicate::Skip => Ok(AddOutcome::Skipped {
                existing: existing[0],
            }),
            OnDuplicate::Replace => {
                self.delete_units(&existing)?;
                let id = self.insert(unit, &prepared)?;
                Ok(AddOutcome::Replaced {
                    unit: id,
                    removed: existing,
                })
            }
            OnDuplicate::Keep => {
                for &id in &existing {
                    let Some(row) = store::read_unit(&self.tx, &self.langs, id)? else {
                        continue;
                    };
                    let old_set: Vec<(i64, &str, Option<&str>)> = row
                        .langs
                        .iter()
                        .zip(&row.unit.variants)
                        .map(|(&l, v)| {
                            (l, v.text.as_str(), tags_only(&v.text, v.markup.as_deref()))
                        })
                        .collect();
                    if new_set.iter().all(|item| old_set.contains(item)) {
                        self.merge_into(&row, unit)?;
                        return Ok(AddOutcome::Merged { unit: id });
                    }
                    if old_set.iter().all(|item| new_set.contains(item)) {
                        // The new unit adds languages: store it with the merged metadata.
                        let mut merged = unit.clone();
                        merge_metadata(&mut merged, &row.unit);
                        self.delete_units(&[id])?;
                        let new_id = self.insert(&merged, &prepared)?;
                        return Ok(AddOutcome::Merged { unit: new_id });
                    }
                }
                let id = self.insert(unit, &prepared)?;
                Ok(AddOutcome::Inserted { unit: id })
            }
        }
    }

    /// Units whose source variant has language `lang` and text `text` (NFC, with
    /// words key `key` and hash `hash`); for a source without text (inline codes
    /// only), also its `markup`.
    fn same_source(
        &mut self,
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
        if !self.segments.is_empty() {
            let key32 = words_key32(key);
            if let Some(by_hash) = self.source_hashes.keys.get(&key32) {
                candidates.extend(by_hash.get(&hash).into_iter().flatten());
            } else {
                let mut entries = Vec::new();
                self.words_cache
                    .words_entries(&self.tx, &self.segments, key32, &mut entries)?;
                if self.crowded(key32, entries.len()) {
                    let by_hash = self.hash_stored_texts(&entries)?;
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
        let mut stmt = self
            .tx
            .prepare_cached("SELECT source_lang, variants FROM units WHERE id = ?1")
            .db()?;
        for t in candidates {
            let (unit, index) = (text_unit(t), text_index(t));
            let mut rows = stmt.query([unit]).db()?;
            let Some(row) = rows.next().db()? else {
                continue;
            };
            let source_lang: Option<i64> = row.get(0).db()?;
            let blob = row.get_ref(1).db()?.as_blob().db()?;
            // Only the stored unit's source variant counts: the first variant in its
            // source language, or its first variant.
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
            if let Some((k, v)) = source.or(first) {
                if k == index
                    && v.lang == lang
                    && v.text == text
                    && tags_only(v.text, v.markup) == tags_only(text, markup)
                    && !out.contains(&unit)
                {
                    out.push(unit);
                }
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

    /// The texts of words entries `entries` by the hash of their stored text (the
    /// units' texts, read once).
    fn hash_stored_texts(&self, entries: &[WordsEntry]) -> Result<FxHashMap<u64, Vec<i64>>> {
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
        let mut stmt = self
            .tx
            .prepare_cached("SELECT variants FROM units WHERE id = ?1")
            .db()?;
        for unit in units {
            let mut rows = stmt.query([unit]).db()?;
            let Some(row) = rows.next().db()? else {
                continue;
            };
            let blob = row.get_ref(0).db()?.as_blob().db()?;
            let wanted = &texts[&unit];
            for (k, v) in VariantsBlob::new(blob).enumerate() {
                let Ok(v) = v else { break };
                if wanted.contains(&k) {
                    by_hash
                        .entry(text_hash(v.text))
                        .or_default()
                        .push(text_id(unit, k));
                }
            }
        }
        Ok(by_hash)
    }

    /// The id of an origin name, added if new.
    fn origin_id(&mut self, name: &str) -> Result<i64> {
        store::origin_id(&self.tx, &mut self.origins, name)
    }

    fn insert(&mut self, unit: &TranslationUnit, prepared: &[Prepared<'_>]) -> Result<i64> {
        let id = self.next_unit;
        self.next_unit += 1;
        let source = source_index(unit);
        let source_lang = match &unit.source_lang {
            Some(tag) if *tag == unit.variants[source].lang => Some(prepared[source].lang),
            Some(tag) => Some(self.lang_id(tag)?),
            None => None,
        };
        let origin = match &unit.origin.file {
            Some(name) => Some(self.origin_id(name)?),
            None => None,
        };
        let langs: Vec<i64> = prepared.iter().map(|p| p.lang).collect();
        let text_bytes = prepared.iter().map(|p| p.text.len()).sum();
        self.counts.count_unit(id, &langs, source, text_bytes, 1);
        let mut blob = std::mem::take(&mut self.scratch_blob);
        blob.clear();
        VariantsBlob::header(&mut blob, prepared.len());
        let mut ids = std::mem::take(&mut self.scratch_ids);
        for (k, (v, prep)) in unit.variants.iter().zip(prepared).enumerate() {
            ids.clear();
            for &t in prep.tokens {
                put_varint(&mut ids, u64::from(self.local_ids[t as usize]));
            }
            let extra = store::variant_extra(v);
            StoredVariant {
                lang: prep.lang,
                text: prep.text,
                tokens: &ids,
                markup: v.markup.as_deref(),
                extra: extra.as_deref(),
            }
            .encode(&mut blob);
            self.index_text(id, k, prep.analysis, prep.postings, k == source)?;
        }
        self.scratch_ids = ids;
        let p = &unit.provenance;
        let created = store::to_seconds(p.created).unwrap_or(self.now);
        let created_by = p.created_by.as_ref().or(self.options.user.as_ref());
        self.tx
            .prepare_cached(
                "INSERT INTO units(id, source_lang, tuid, created, created_by, changed,
                 changed_by, last_used, usage_count, origin, origin_score, prev, next, extra,
                 variants)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .db()?
            .execute(rusqlite::params![
                id,
                source_lang,
                unit.id,
                created,
                created_by,
                store::to_seconds(p.changed),
                p.changed_by,
                store::to_seconds(p.last_used),
                p.usage_count.map(|u| u.min(i64::MAX as u64) as i64),
                origin,
                unit.origin.score,
                unit.context
                    .prev
                    .as_deref()
                    .map(|s| nfc(s.trim()).into_owned()),
                unit.context
                    .next
                    .as_deref()
                    .map(|s| nfc(s.trim()).into_owned()),
                store::unit_extra(unit),
                &blob,
            ])
            .db()?;
        self.scratch_blob = blob;
        Ok(id)
    }

    /// Adds the index entries of text `index` of unit `unit` (the batch vocabulary of
    /// `a` must be the resolved one); `source`: it is its unit's source text.
    fn index_text(
        &mut self,
        unit: i64,
        index: usize,
        a: &AnalyzedVariant,
        postings: &[(u32, u32)],
        source: bool,
    ) -> Result<()> {
        let len = a.stored_len();
        let offset = u32::try_from(unit - self.pending_from)
            .map_err(|_| Error::invalid("too many units in one transaction"))?;
        let packed = ((index as u32) << 20) | (len << 10);
        for &(t, at) in postings {
            self.log.push(LogEntry {
                term: self.local[t as usize],
                unit: offset,
                packed: packed | at,
            });
        }
        if self.log.len() >= LOG_ENTRIES {
            self.drain_log();
        }
        let text = text_id(unit, index);
        self.words.push(WordsEntry {
            key: words_key32(a.key),
            text,
            check: text_check(a.hash),
        });
        if source {
            let i = self.added_texts.len() as u32;
            let previous = self.added.insert((a.key, a.hash), i);
            self.added_texts.push(AddedText {
                text,
                hash: a.hash,
                previous,
            });
        }
        Ok(())
    }

    /// Moves the postings of the log into the lists, term by term (a counting sort,
    /// stable: each term's postings stay in text order).
    fn drain_log(&mut self) {
        if self.log.is_empty() {
            return;
        }
        let mut start = vec![0u32; self.terms.len() + 1];
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
        for term in 0..self.terms.len() {
            let (from, to) = (start[term] as usize, start[term + 1] as usize);
            if from == to {
                continue;
            }
            let list = &mut self.lists[term];
            let before = list.data.len();
            for e in &sorted[from..to] {
                list.push(
                    self.pending_from + i64::from(e.unit),
                    (e.packed >> 20) as usize,
                    (e.packed >> 10) & 1023,
                    e.packed & 1023,
                );
            }
            self.pending_bytes += list.data.len() - before;
            let info = &mut self.terms[term];
            info.df += (to - from) as i64;
            info.dirty = true;
        }
        self.log_sorted = sorted;
    }

    /// Updates a stored unit's metadata with a duplicate's.
    fn merge_into(&mut self, row: &store::UnitRow, new: &TranslationUnit) -> Result<()> {
        let mut merged = row.unit.clone();
        let mut incoming = new.clone();
        if incoming.provenance.created.is_none() {
            incoming.provenance.changed = incoming
                .provenance
                .changed
                .or_else(|| jiff::Timestamp::from_second(self.now).ok());
            if incoming.provenance.changed_by.is_none() {
                incoming.provenance.changed_by = self.options.user.clone();
            }
        }
        incoming.context.prev = incoming.context.prev.map(|s| nfc(s.trim()).into_owned());
        incoming.context.next = incoming.context.next.map(|s| nfc(s.trim()).into_owned());
        merge_metadata(&mut merged, &incoming);
        // Variant metadata: merge each new variant into the stored one it equals.
        for v in &new.variants {
            let text = nfc(&v.text);
            let Some(m) = merged
                .variants
                .iter_mut()
                .find(|o| o.lang == v.lang && o.text == text.as_ref())
            else {
                continue;
            };
            merge_provenance(&mut m.provenance, &v.provenance);
            merge_list(&mut m.props, &v.props);
            merge_list(&mut m.notes, &v.notes);
            if m.markup.is_none() {
                m.markup = v.markup.clone();
            }
        }
        let blob = if merged.variants != row.unit.variants {
            let old: Vec<u8> = self
                .tx
                .prepare_cached("SELECT variants FROM units WHERE id = ?1")
                .db()?
                .query_row([row.id], |r| r.get(0))
                .db()?;
            let mut blob = Vec::with_capacity(old.len() + 64);
            VariantsBlob::header(&mut blob, merged.variants.len());
            for (stored, v) in VariantsBlob::new(&old).zip(&merged.variants) {
                let stored = stored.map_err(|e| store::damaged_unit(row.id, e))?;
                let extra = store::variant_extra(v);
                StoredVariant {
                    markup: v.markup.as_deref(),
                    extra: extra.as_deref(),
                    ..stored
                }
                .encode(&mut blob);
            }
            Some(blob)
        } else {
            None
        };
        let p = &merged.provenance;
        let origin = match &merged.origin.file {
            Some(name) => Some(self.origin_id(name)?),
            None => None,
        };
        self.tx
            .prepare_cached(
                "UPDATE units SET tuid = ?2, created = ?3, created_by = ?4, changed = ?5,
                 changed_by = ?6, last_used = ?7, usage_count = ?8, origin = ?9,
                 origin_score = ?10, prev = ?11, next = ?12, extra = ?13,
                 variants = coalesce(?14, variants) WHERE id = ?1",
            )
            .db()?
            .execute(rusqlite::params![
                row.id,
                merged.id,
                store::to_seconds(p.created),
                p.created_by,
                store::to_seconds(p.changed),
                p.changed_by,
                store::to_seconds(p.last_used),
                p.usage_count.map(|u| u.min(i64::MAX as u64) as i64),
                origin,
                merged.origin.score,
                merged.context.prev,
                merged.context.next,
                store::unit_extra(&merged),
                blob,
            ])
            .db()?;
        Ok(())
    }

    /// Removes units (and their index entries); returns how many existed.
    pub(crate) fn delete_units(&mut self, ids: &[i64]) -> Result<usize> {
        let mut deleted = 0;
        for &id in ids {
            let row: Option<(Option<i64>, Vec<u8>)> = self
                .tx
                .prepare_cached("SELECT source_lang, variants FROM units WHERE id = ?1")
                .db()?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .db()?;
            let Some((source_lang, blob)) = row else {
                continue;
            };
            let variants: Vec<StoredVariant<'_>> = VariantsBlob::new(&blob)
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| store::damaged_unit(id, e))?;
            let langs: Vec<i64> = variants.iter().map(|v| v.lang).collect();
            let source = source_lang
                .and_then(|sl| langs.iter().position(|&l| l == sl))
                .unwrap_or(0);
            let text_bytes = variants.iter().map(|v| v.text.len()).sum();
            self.counts.count_unit(id, &langs, source, text_bytes, -1);
            let pending = id >= self.pending_from;
            let mut ids = Vec::new();
            for (k, v) in variants.iter().enumerate() {
                let text = text_id(id, k);
                if decode_ids(v.tokens, &mut ids) {
                    ids.sort_unstable();
                    ids.dedup();
                    for &term in &ids {
                        if pending {
                            if let Some(&idx) = self.term_by_id.get(&term) {
                                self.removed_pending_terms.push(idx);
                                let info = &mut self.terms[idx as usize];
                                info.df -= 1;
                                info.dirty = true;
                            }
                        } else {
                            self.removals.push((term, text));
                        }
                    }
                }
                if !pending {
                    let group = self.group_of(v.lang)?;
                    let primary = self
                        .langs
                        .tag(group)
                        .map(|t| t.to_string())
                        .unwrap_or_default();
                    let key = words_key(&primary, &Analyzed::new(v.text));
                    self.word_removals.push((words_key32(key), text));
                }
            }
            if pending {
                self.removed_pending.insert(id);
            }
            self.tx
                .prepare_cached("DELETE FROM units WHERE id = ?1")
                .db()?
                .execute([id])
                .db()?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Writes the index entries waiting in memory as a new segment.
    fn write_segment(&mut self) -> Result<()> {
        self.drain_log();
        // Units removed after being added: drop their entries.
        if !self.removed_pending.is_empty() {
            let gone = std::mem::take(&mut self.removed_pending);
            let mut terms = std::mem::take(&mut self.removed_pending_terms);
            terms.sort_unstable();
            terms.dedup();
            for idx in terms {
                let list = &mut self.lists[idx as usize];
                let mut kept = PostingList::default();
                let ok = for_each_posting(&list.data, |p| {
                    if !gone.contains(&text_unit(p.variant as i64)) {
                        kept.push_posting(p);
                    }
                });
                debug_assert!(ok);
                *list = kept;
            }
            self.words.retain(|w| !gone.contains(&text_unit(w.text)));
        }
        let mut order: Vec<(u32, u32)> = self
            .lists
            .iter()
            .enumerate()
            .filter(|(_, l)| l.len > 0)
            .map(|(i, _)| (self.terms[i].id, i as u32))
            .collect();
        if order.is_empty() && self.words.is_empty() {
            self.pending_from = self.next_unit;
            return Ok(());
        }
        order.sort_unstable();
        let segment = self.next_segment;
        self.next_segment += 1;
        let mut postings = 0i64;
        let mut insert = index::PostingsInsert::new(&self.tx)?;
        for (term, idx) in order {
            let list = std::mem::take(&mut self.lists[idx as usize]);
            postings += i64::from(list.len);
            insert.insert(segment, term, &list)?;
        }
        let mut words = std::mem::take(&mut self.words);
        words.sort_unstable();
        index::insert_words(&self.tx, segment, &words)?;
        index::insert_segment(
            &self.tx,
            SegmentInfo {
                id: segment,
                postings,
            },
        )?;
        self.segments.push(segment);
        self.source_hashes.clear();
        self.pending_bytes = 0;
        self.pending_from = self.next_unit;
        Ok(())
    }

    /// Removes the index entries of deleted stored units from the segments.
    fn apply_removals(&mut self) -> Result<()> {
        if self.removals.is_empty() && self.word_removals.is_empty() {
            return Ok(());
        }
        self.words_cache.clear();
        self.source_hashes.clear();
        let segments = self.segments.clone();
        let mut per_segment = vec![0i64; segments.len()];
        let mut removals = std::mem::take(&mut self.removals);
        removals.sort_unstable();
        removals.dedup();
        let mut unknown: FxHashMap<u32, i64> = FxHashMap::default();
        let mut start = 0;
        while start < removals.len() {
            let term = removals[start].0;
            let end = start + removals[start..].iter().take_while(|r| r.0 == term).count();
            let gone: FxHashSet<i64> = removals[start..end].iter().map(|r| r.1).collect();
            let removed =
                index::remove_postings(&self.tx, &segments, term, &gone, &mut per_segment)?;
            if removed > 0 {
                match self.term_by_id.get(&term) {
                    Some(&idx) => {
                        let info = &mut self.terms[idx as usize];
                        info.df -= removed;
                        info.dirty = true;
                    }
                    None => *unknown.entry(term).or_default() += removed,
                }
            }
            start = end;
        }
        if !unknown.is_empty() {
            // Terms the writer never loaded: found by id with one pass over the table.
            let rows: Vec<(i64, String, i64, i64)> = {
                let mut stmt = self
                    .tx
                    .prepare("SELECT grp, token, id, df FROM terms")
                    .db()?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .db()?;
                let mut out = Vec::new();
                for row in rows {
                    let row: (i64, String, i64, i64) = row.db()?;
                    if unknown.contains_key(&(row.2 as u32)) {
                        out.push(row);
                    }
                }
                out
            };
            for (grp, token, id, df) in rows {
                let df = df - unknown[&(id as u32)];
                if df > 0 {
                    self.tx
                        .prepare_cached("UPDATE terms SET df = ?3 WHERE grp = ?1 AND token = ?2")
                        .db()?
                        .execute(rusqlite::params![grp, token, df])
                        .db()?;
                } else {
                    self.tx
                        .prepare_cached("DELETE FROM terms WHERE grp = ?1 AND token = ?2")
                        .db()?
                        .execute(rusqlite::params![grp, token])
                        .db()?;
                }
            }
        }
        let mut word_removals = std::mem::take(&mut self.word_removals);
        word_removals.sort_unstable();
        word_removals.dedup();
        let mut start = 0;
        while start < word_removals.len() {
            let key = word_removals[start].0;
            let end = start
                + word_removals[start..]
                    .iter()
                    .take_while(|r| r.0 == key)
                    .count();
            let gone: FxHashSet<i64> = word_removals[start..end].iter().map(|r| r.1).collect();
            index::remove_words(&self.tx, &segments, key, &gone)?;
            start = end;
        }
        index::shrink_segments(&self.tx, &segments, &per_segment)
    }

    fn flush_terms(&mut self) -> Result<()> {
        // In key order: B-tree inserts then walk the tree forwards instead of at random.
        let mut dirty: Vec<u32> = (0..self.terms.len() as u32)
            .filter(|&i| self.terms[i as usize].dirty)
            .collect();
        // On all cores: at the end of an import this is all there is to do.
        let terms = &self.terms;
        rayon::slice::ParallelSliceMut::par_sort_unstable_by(&mut dirty[..], |&a, &b| {
            let (a, b) = (&terms[a as usize], &terms[b as usize]);
            (a.grp, a.token.as_bytes()).cmp(&(b.grp, b.token.as_bytes()))
        });
        let prepare = |sql| self.tx.prepare_cached(sql).db();
        let mut delete = prepare("DELETE FROM terms WHERE grp = ?1 AND token = ?2")?;
        let mut update = prepare("UPDATE terms SET df = ?3 WHERE grp = ?1 AND token = ?2")?;
        let mut insert = prepare("INSERT INTO terms(grp, token, id, df) VALUES(?1, ?2, ?3, ?4)")?;
        for i in dirty {
            let info = &mut self.terms[i as usize];
            if info.df <= 0 {
                if info.stored {
                    delete
                        .execute(rusqlite::params![info.grp, &*info.token])
                        .db()?;
                    info.stored = false;
                }
            } else if info.stored {
                update
                    .execute(rusqlite::params![info.grp, &*info.token, info.df])
                    .db()?;
            } else {
                insert
                    .execute(rusqlite::params![info.grp, &*info.token, info.id, info.df])
                    .db()?;
                info.stored = true;
            }
            info.dirty = false;
        }
        Ok(())
    }

    /// Deletes the given units; returns how many existed.
    pub fn delete(&mut self, ids: &[i64]) -> Result<usize> {
        self.delete_units(ids)
    }

    /// Rebuilds the fuzzy index from the stored texts (see [`Memory::reindex`]), and
    /// empties the concordance index (rebuilt by the next concordance search).
    pub(crate) fn rebuild_index(&mut self) -> Result<()> {
        self.tx
            .execute_batch(
                "DELETE FROM terms; DELETE FROM postings; DELETE FROM words; DELETE FROM segments;",
            )
            .db()?;
        super::schema::recreate_concordance(&self.tx)?;
        self.stored_terms = false;
        self.all_terms_known = false;
        self.segments.clear();
        self.words_cache.clear();
        self.source_hashes.clear();
        self.terms.clear();
        self.term_index.clear();
        self.term_by_id.clear();
        self.lists.clear();
        self.log.clear();
        self.words.clear();
        self.added.clear();
        self.added_texts.clear();
        self.pending_bytes = 0;
        self.removals.clear();
        self.word_removals.clear();
        self.removed_pending.clear();
        self.removed_pending_terms.clear();
        self.pending_from = 0;
        self.next_term = 1;
        let mut after = 0i64;
        loop {
            let rows: Vec<store::UnitRow> = {
                let mut stmt = self
                    .tx
                    .prepare_cached(&format!(
                        "{} WHERE u.id > ?1 ORDER BY u.id LIMIT 4096",
                        store::UNIT_SELECT
                    ))
                    .db()?;
                let rows = stmt
                    .query_map([after], |r| store::unit_from_row(r, &self.langs))
                    .db()?;
                rows.collect::<rusqlite::Result<_>>().db()?
            };
            let Some(last) = rows.last() else { break };
            after = last.id;
            let units: Vec<TranslationUnit> = rows.iter().map(|r| r.unit.clone()).collect();
            let batch = AnalyzedBatch::of(&units);
            self.resolve_vocabulary(&batch)?;
            for (row, a) in rows.iter().zip(&batch.units) {
                let a = a.as_ref().map_err(|e| {
                    Error::invalid(format!("unit {} cannot be indexed: {e}", row.id))
                })?;
                let old: Vec<u8> = self
                    .tx
                    .prepare_cached("SELECT variants FROM units WHERE id = ?1")
                    .db()?
                    .query_row([row.id], |r| r.get(0))
                    .db()?;
                let mut blob = Vec::with_capacity(old.len());
                VariantsBlob::header(&mut blob, row.langs.len());
                let mut ids = Vec::new();
                for (k, (stored, av)) in VariantsBlob::new(&old).zip(batch.variants(a)).enumerate()
                {
                    let stored = stored.map_err(|e| store::damaged_unit(row.id, e))?;
                    ids.clear();
                    for &t in batch.tokens(av) {
                        put_varint(&mut ids, u64::from(self.local_ids[t as usize]));
                    }
                    StoredVariant {
                        tokens: &ids,
                        ..stored
                    }
                    .encode(&mut blob);
                    self.index_text(row.id, k, av, batch.postings(av), false)?;
                }
                self.tx
                    .prepare_cached("UPDATE units SET variants = ?2 WHERE id = ?1")
                    .db()?
                    .execute(rusqlite::params![row.id, blob])
                    .db()?;
            }
            if self.pending_bytes >= SEGMENT_BYTES {
                self.write_segment()?;
                self.pending_from = 0;
            }
        }
        self.write_segment()?;
        self.counts.concordance_emptied();
        store::meta_set(&self.tx, "concordance_upto", "0")?;
        counts::concordance_emptied(&self.tx)?;
        store::meta_set(
            &self.tx,
            "tokenizer_version",
            &super::tokens::TOKENIZER_VERSION.to_string(),
        )
    }
}

/// Folds a duplicate's metadata into a stored unit's: earliest creation, latest
/// change and use, highest usage count; origin, context and id kept unless missing;
/// properties and notes united.
fn merge_metadata(stored: &mut TranslationUnit, new: &TranslationUnit) {
    merge_provenance(&mut stored.provenance, &new.provenance);
    if stored.id.is_none() {
        stored.id = new.id.clone();
    }
    if stored.origin.file.is_none() {
        stored.origin.file = new.origin.file.clone();
    }
    if stored.origin.score.is_none() {
        stored.origin.score = new.origin.score;
    }
    if stored.context.prev.is_none() && stored.context.next.is_none() {
        stored.context = new.context.clone();
    }
    merge_list(&mut stored.props, &new.props);
    merge_list(&mut stored.notes, &new.notes);
}

fn merge_provenance(stored: &mut Provenance, new: &Provenance) {
    if let Some(c) = new.created {
        if stored.created.is_none_or(|s| c < s) {
            stored.created = Some(c);
            stored.created_by = new.created_by.clone().or(stored.created_by.take());
        }
    }
    if let Some(c) = new.changed {
        if stored.changed.is_none_or(|s| c > s) {
            stored.changed = Some(c);
            stored.changed_by = new.changed_by.clone().or(stored.changed_by.take());
        }
    }
    if let Some(u) = new.last_used {
        if stored.last_used.is_none_or(|s| u > s) {
            stored.last_used = Some(u);
        }
    }
    if let Some(n) = new.usage_count {
        stored.usage_count = Some(stored.usage_count.unwrap_or(0).max(n));
    }
}

fn merge_list<T: PartialEq + Clone>(stored: &mut Vec<T>, new: &[T]) {
    for item in new {
        if !stored.contains(item) {
            stored.push(item.clone());
        }
    }
}
