//! Adding units to a memory: one transaction, duplicates merged or kept by policy
//! (found by [`super::same_source`]), the fuzzy index of the new units built in
//! memory ([`super::pending`]) over the writer's [`super::vocabulary`] and written as
//! one segment at commit (see [`super::index`]). Deleted units' entries leave the
//! stored segments through [`super::removals`]; the running totals follow in
//! [`super::counts`].

use std::borrow::Cow;

use rusqlite::{ToSql, Transaction, TransactionBehavior};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::analysis::{source_index, AnalyzedBatch, AnalyzedUnit, AnalyzedVariant};
use super::counts::Counts;
use super::db::{db_error, DbResultExt};
use super::index;
use super::merge::{merge_list, merge_metadata, merge_provenance};
use super::pending::PendingIndex;
use super::postings::{decode_ids, put_varint, text_id, words_key32};
use super::removals::Removals;
use super::same_source::{tags_only, SameSource};
use super::store::{self, primary_tag, LangCache, StoredVariant, VariantsBlob};
use super::tokens::{nfc, words_key, Analyzed};
use super::vocabulary::Vocabulary;
use super::{Cancel, Memory};
use crate::error::{Error, Result};
use crate::text::LangTag;
use crate::unit::TranslationUnit;

/// What to do with a unit whose source (same language, same text) is already stored
/// with different translations. A unit whose variants are all stored already (same
/// source, same targets) is always merged: its metadata updates the stored unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[non_exhaustive]
pub struct WriteOptions {
    /// The duplicate policy.
    pub on_duplicate: OnDuplicate,
    /// Recorded as creator (and changer) of units that do not name one.
    pub user: Option<String>,
    /// The time recorded for units without a creation date (default: now).
    pub now: Option<jiff::Timestamp>,
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

/// Adds units in one transaction: [`Writer::commit`] makes them permanent, dropping
/// the writer discards them. Duplicates are detected against the stored units and
/// those added earlier in the same transaction.
pub struct Writer<'m> {
    pub(super) tx: Transaction<'m>,
    pub(super) langs: LangCache,
    langs_out: &'m mut LangCache,
    /// Group (primary language id) of each language id.
    groups: FxHashMap<i64, i64>,
    origins: FxHashMap<String, i64>,
    options: WriteOptions,
    now: i64,
    /// The segments in the file (including those this transaction wrote).
    segments: Vec<i64>,
    vocab: Vocabulary,
    /// The index entries of the units added since the last segment.
    pending: PendingIndex,
    /// Index entries of deleted units to remove from the stored segments.
    removals: Removals,
    sources: SameSource,
    next_unit: i64,
    next_segment: i64,
    /// Changes to the running totals, written at commit.
    pub(super) counts: Counts,
    /// Per batch: vocabulary index → term index, and → term id (the ids apart, as
    /// looking them up in the vocabulary at random misses the cache for every token).
    local: Vec<u32>,
    local_ids: Vec<u32>,
    /// Per batch: language index → language id.
    batch_langs: Vec<i64>,
    scratch_blob: Vec<u8>,
    scratch_ids: Vec<u8>,
    /// The connection's cancel token, checked per batch and before the commit:
    /// SQLite's progress handler never fires within the short statements of one
    /// unit, so an import would otherwise run on to its end once stopped.
    cancel: Option<Cancel>,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("pending_from", &self.pending.from())
            .finish()
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

/// A unit's metadata as its row keeps it: the columns `tuid` to `extra`, which the
/// insert of a new unit and the update of a merged one write alike. The fields are
/// what differs between the two (a new unit gets defaults and a trimmed context).
struct UnitColumns<'u> {
    unit: &'u TranslationUnit,
    created: Option<i64>,
    created_by: Option<&'u str>,
    origin: Option<i64>,
    prev: Option<Cow<'u, str>>,
    next: Option<Cow<'u, str>>,
}

impl UnitColumns<'_> {
    /// Runs `statement` with `key` (the row's id, and for an insert its source
    /// language), the columns and the variants blob bound in this order.
    fn execute(
        &self,
        statement: &mut rusqlite::Statement<'_>,
        key: &[&dyn ToSql],
        variants: &dyn ToSql,
    ) -> Result<()> {
        let (unit, p) = (self.unit, &self.unit.provenance);
        let columns: [&dyn ToSql; 12] = [
            &unit.id,
            &self.created,
            &self.created_by,
            &store::to_seconds(p.changed),
            &p.changed_by,
            &store::to_seconds(p.last_used),
            &p.usage_count.map(|u| u.min(i64::MAX as u64) as i64),
            &self.origin,
            &unit.origin.score,
            &self.prev,
            &self.next,
            &store::unit_extra(unit),
        ];
        let values = key.iter().chain(&columns).chain([&variants]);
        statement.execute(rusqlite::params_from_iter(values)).db()?;
        Ok(())
    }
}

impl<'m> Writer<'m> {
    pub(crate) fn new(memory: &'m mut Memory, options: WriteOptions) -> Result<Writer<'m>> {
        let Memory {
            conn,
            langs,
            path,
            data_version,
            cancel,
            ..
        } = memory;
        let cancel = cancel.clone();
        if let Some(cancel) = &cancel {
            cancel.check()?;
        }
        // Waits up to the busy timeout for another writer; the error names the file.
        let tx = Transaction::new(conn, TransactionBehavior::Immediate).map_err(|e| {
            let e = db_error(e);
            match path {
                Some(p) => e.in_file(p),
                None => e,
            }
        })?;
        // Languages another connection added must be known (not added twice).
        store::refresh(&tx, path.as_deref(), langs, data_version)?;
        let langs = langs.get_mut();
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
            vocab: Vocabulary::new(stored_terms, next_term),
            pending: PendingIndex::new(next_unit),
            removals: Removals::default(),
            sources: SameSource::default(),
            next_unit,
            next_segment,
            counts: Counts::new(concordance_upto),
            local: Vec::new(),
            local_ids: Vec::new(),
            batch_langs: Vec::new(),
            scratch_blob: Vec::new(),
            scratch_ids: Vec::new(),
            cancel,
        })
    }

    /// `Err(Cancelled)` once the connection's token says stop.
    fn check_cancel(&self) -> Result<()> {
        match &self.cancel {
            Some(cancel) => cancel.check(),
            None => Ok(()),
        }
    }

    /// Writes everything and ends the transaction.
    pub fn commit(mut self) -> Result<()> {
        self.check_cancel()?;
        self.apply_removals()?;
        self.write_segment()?;
        self.vocab.flush(&self.tx)?;
        self.counts.flush(&self.tx)?;
        index::merge_if_needed(&self.tx, &mut self.next_segment)?;
        for (key, value) in [
            ("next_unit", self.next_unit),
            ("next_term", self.vocab.next_term()),
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
        self.check_cancel()?;
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
        if self.pending.full() {
            self.apply_removals()?;
            self.write_segment()?;
        }
        Ok(out)
    }

    /// Maps a batch's vocabulary to the writer's terms (looked up or created).
    pub(super) fn resolve_vocabulary(&mut self, batch: &AnalyzedBatch) -> Result<()> {
        if self.vocab.should_load_all(batch) {
            self.vocab.load_stored(&self.tx, &self.langs)?;
        }
        let mut local = std::mem::take(&mut self.local);
        local.clear();
        local.reserve(batch.vocab.len());
        for term in &batch.vocab {
            let idx = match self.vocab.index_of(term.fp) {
                Some(i) => i,
                None => {
                    let group = self.lang_id(batch.group(term))?;
                    self.vocab
                        .find_or_add(&self.tx, group, batch.token(term), term.fp)?
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
            .extend(local.iter().map(|&idx| self.vocab.id(idx)));
        self.local = local;
        Ok(())
    }

    /// Appends the term ids of `tokens` (batch vocabulary indices, resolved) to `out`
    /// as varints: a stored variant's tokens.
    pub(super) fn encode_tokens(&self, tokens: &[u32], out: &mut Vec<u8>) {
        for &t in tokens {
            put_varint(out, u64::from(self.local_ids[t as usize]));
        }
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
        let existing = self.sources.find(
            &self.tx,
            &self.segments,
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
            self.encode_tokens(prep.tokens, &mut ids);
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
        let columns = UnitColumns {
            unit,
            created: Some(store::to_seconds(p.created).unwrap_or(self.now)),
            created_by: p.created_by.as_deref().or(self.options.user.as_deref()),
            origin,
            prev: unit.context.prev.as_deref().map(|s| nfc(s.trim())),
            next: unit.context.next.as_deref().map(|s| nfc(s.trim())),
        };
        let sql = "INSERT INTO units(id, source_lang, tuid, created, created_by, changed,
                   changed_by, last_used, usage_count, origin, origin_score, prev, next, extra,
                   variants)
                   VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
        let mut insert = self.tx.prepare_cached(sql).db()?;
        columns.execute(&mut insert, &[&id, &source_lang], &blob)?;
        self.scratch_blob = blob;
        Ok(id)
    }

    /// Adds the index entries of text `index` of unit `unit` (the batch vocabulary of
    /// `a` must be the resolved one); `source`: it is its unit's source text.
    pub(super) fn index_text(
        &mut self,
        unit: i64,
        index: usize,
        a: &AnalyzedVariant,
        postings: &[(u32, u32)],
        source: bool,
    ) -> Result<()> {
        let text = self
            .pending
            .add_text(unit, index, a, postings, &self.local, &mut self.vocab)?;
        if source {
            self.sources.added(text, a.key, a.hash);
        }
        Ok(())
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
            let blob = store::with_variants(&self.tx, row.id, |_, old| -> Result<Vec<u8>> {
                let mut blob = Vec::with_capacity(old.len() + 64);
                VariantsBlob::header(&mut blob, merged.variants.len());
                for (stored, v) in VariantsBlob::new(old).zip(&merged.variants) {
                    let stored = stored.map_err(|e| store::damaged_unit(row.id, e))?;
                    let extra = store::variant_extra(v);
                    StoredVariant {
                        markup: v.markup.as_deref(),
                        extra: extra.as_deref(),
                        ..stored
                    }
                    .encode(&mut blob);
                }
                Ok(blob)
            })?;
            Some(blob.unwrap_or_else(|| Err(db_error(rusqlite::Error::QueryReturnedNoRows)))?)
        } else {
            None
        };
        let origin = match &merged.origin.file {
            Some(name) => Some(self.origin_id(name)?),
            None => None,
        };
        let p = &merged.provenance;
        let columns = UnitColumns {
            unit: &merged,
            created: store::to_seconds(p.created),
            created_by: p.created_by.as_deref(),
            origin,
            prev: merged.context.prev.as_deref().map(Cow::Borrowed),
            next: merged.context.next.as_deref().map(Cow::Borrowed),
        };
        let sql = "UPDATE units SET tuid = ?2, created = ?3, created_by = ?4, changed = ?5,
                   changed_by = ?6, last_used = ?7, usage_count = ?8, origin = ?9,
                   origin_score = ?10, prev = ?11, next = ?12, extra = ?13,
                   variants = coalesce(?14, variants) WHERE id = ?1";
        let mut update = self.tx.prepare_cached(sql).db()?;
        columns.execute(&mut update, &[&row.id], &blob)
    }

    /// Deletes the given units; returns how many existed.
    pub fn delete(&mut self, ids: &[i64]) -> Result<usize> {
        self.delete_units(ids)
    }

    /// Removes units (and their index entries); returns how many existed.
    fn delete_units(&mut self, ids: &[i64]) -> Result<usize> {
        let mut deleted = 0;
        for &id in ids {
            let row = store::with_variants(&self.tx, id, |source_lang, blob| {
                (source_lang, blob.to_vec())
            })?;
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
            let pending = id >= self.pending.from();
            let mut pending_terms = Vec::new();
            let mut ids = Vec::new();
            for (k, v) in variants.iter().enumerate() {
                let text = text_id(id, k);
                if decode_ids(v.tokens, &mut ids) {
                    ids.sort_unstable();
                    ids.dedup();
                    for &term in &ids {
                        if pending {
                            if let Some(idx) = self.vocab.index_of_id(term) {
                                pending_terms.push(idx);
                                self.vocab.add_df(idx, -1);
                            }
                        } else {
                            self.removals.posting(term, text);
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
                    self.removals.words(words_key32(key), text);
                }
            }
            if pending {
                self.pending.remove_unit(id, pending_terms);
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
    pub(super) fn write_segment(&mut self) -> Result<()> {
        let written =
            self.pending
                .write(&self.tx, &mut self.vocab, self.next_segment, self.next_unit)?;
        if written {
            self.segments.push(self.next_segment);
            self.next_segment += 1;
            self.sources.segment_written();
        }
        Ok(())
    }

    /// Removes the index entries of deleted stored units from the segments.
    fn apply_removals(&mut self) -> Result<()> {
        if self.removals.is_empty() {
            return Ok(());
        }
        self.sources.segments_rewritten();
        self.removals
            .apply(&self.tx, &self.segments, &mut self.vocab)
    }

    /// True when the entries waiting in memory are due to be written as a segment.
    pub(super) fn segment_full(&self) -> bool {
        self.pending.full()
    }

    /// Forgets the whole fuzzy index, in memory and (the caller empties the tables)
    /// in the file: the next entries are for units from id 0 on (a re-index).
    pub(super) fn forget_index(&mut self) {
        self.vocab.clear();
        self.segments.clear();
        self.sources.clear();
        self.pending.clear(0);
        self.removals.clear();
    }

    /// The segment written, the next entries are for units from `from` on.
    pub(super) fn restart_pending_at(&mut self, from: i64) {
        self.pending.restart_at(from);
    }
}
