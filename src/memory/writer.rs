//! Adding units to a memory: one transaction, duplicates merged or kept by policy,
//! the fuzzy index updated in batches.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::postings::{
    decode_ids, encode_ids, for_each_posting, push_posting, put_varint, Posting, CHUNK_BYTES,
    MAX_LEN,
};
use super::schema::db_error;
use super::store::{self, primary_tag, LangCache};
use super::tokens::{nfc, words_key, Analyzed};
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

/// A posting waiting to be written, with its term (16 bytes: millions wait at once).
#[derive(Debug, Clone, Copy, Default)]
struct Pending {
    variant: u64,
    term: u32,
    len: u16,
    at: u16,
}

impl Pending {
    fn posting(&self) -> Posting {
        Posting {
            variant: self.variant,
            len: u32::from(self.len),
            at: u32::from(self.at),
        }
    }
}

/// Appends the postings of one variant (its tokens given as term indexes) to `out`:
/// one per distinct term, with the term's position when it occurs once.
fn variant_postings(
    variant: i64,
    terms: &[u32],
    scratch: &mut Vec<(u32, u32)>,
    out: &mut Vec<Pending>,
) {
    scratch.clear();
    scratch.extend(terms.iter().enumerate().map(|(i, &t)| (t, i as u32)));
    scratch.sort_unstable();
    let len = terms.len() as u32;
    let mut i = 0;
    while i < scratch.len() {
        let (term, first) = scratch[i];
        let mut j = i + 1;
        while j < scratch.len() && scratch[j].0 == term {
            j += 1;
        }
        let at = if j - i == 1 && first < MAX_LEN {
            first + 1
        } else {
            0
        };
        out.push(Pending {
            variant: variant as u64,
            term,
            len: len.min(MAX_LEN) as u16,
            at: at as u16,
        });
        i = j;
    }
}

#[derive(Debug)]
struct TermInfo {
    grp: i64,
    token: Box<str>,
    id: i64,
    df: i64,
    chunks: i64,
    stored: bool,
    dirty: bool,
}

/// `counts.kind`: stored text bytes.
pub(crate) const COUNT_TEXT_BYTES: i64 = 0;
/// `counts.kind`: variants per language.
pub(crate) const COUNT_LANG: i64 = 1;
/// `counts.kind`: units per (source, target) language pair.
pub(crate) const COUNT_PAIR: i64 = 2;

/// Flush postings to the database when this many are waiting.
const FLUSH_POSTINGS: usize = 4_000_000;

/// Adds units in one transaction: [`Writer::commit`] makes them permanent, dropping
/// the writer discards them. Duplicates are detected against the stored units and
/// those added earlier in the same transaction.
pub struct Writer<'m> {
    tx: Transaction<'m>,
    langs: LangCache,
    langs_out: &'m mut LangCache,
    options: WriteOptions,
    now: i64,
    terms: Vec<TermInfo>,
    /// Terms by [`fingerprint`]: no string is hashed or compared on the hot path.
    term_index: FxHashMap<u128, u32>,
    term_by_id: FxHashMap<i64, u32>,
    pending: Vec<Pending>,
    removals: Vec<(u32, i64)>,
    next_unit: i64,
    next_variant: i64,
    next_term: i64,
    concordance_upto: i64,
    /// Changes to the `counts` table, written at commit.
    counts: FxHashMap<(i64, i64, i64), i64>,
    scratch_ids: Vec<u32>,
    scratch_blob: Vec<u8>,
    scratch_pairs: Vec<(u32, u32)>,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("pending_postings", &self.pending.len())
            .finish()
    }
}

/// A variant ready to be stored.
struct Prepared {
    lang: i64,
    group: i64,
    analyzed: Analyzed,
    fingerprints: Vec<u128>,
    key: i64,
}

impl<'m> Writer<'m> {
    pub(crate) fn new(memory: &'m mut Memory, options: WriteOptions) -> Result<Writer<'m>> {
        let Memory { conn, langs, .. } = memory;
        let tx = Transaction::new(conn, TransactionBehavior::Immediate).map_err(db_error)?;
        let counter = |key: &str, sql: &str| -> Result<i64> {
            if let Some(v) = store::meta_get(&tx, key)?.and_then(|v| v.parse().ok()) {
                return Ok(v);
            }
            tx.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map_err(db_error)
        };
        let next_unit = counter("next_unit", "SELECT coalesce(max(id), 0) + 1 FROM units")?;
        let next_variant = counter(
            "next_variant",
            "SELECT coalesce(max(id), 0) + 1 FROM variants",
        )?;
        let next_term = counter("next_term", "SELECT 1")?;
        let concordance_upto = counter("concordance_upto", "SELECT 0")?;
        let now = options.now.unwrap_or_else(jiff::Timestamp::now).as_second();
        Ok(Writer {
            langs: langs.clone(),
            langs_out: langs,
            tx,
            options,
            now,
            terms: Vec::new(),
            term_index: FxHashMap::default(),
            term_by_id: FxHashMap::default(),
            pending: Vec::new(),
            removals: Vec::new(),
            next_unit,
            next_variant,
            next_term,
            concordance_upto,
            counts: FxHashMap::default(),
            scratch_ids: Vec::new(),
            scratch_blob: Vec::new(),
            scratch_pairs: Vec::new(),
        })
    }

    /// Writes everything and ends the transaction.
    pub fn commit(mut self) -> Result<()> {
        self.flush()?;
        self.flush_counts()?;
        for (key, value) in [
            ("next_unit", self.next_unit),
            ("next_variant", self.next_variant),
            ("next_term", self.next_term),
        ] {
            store::meta_set(&self.tx, key, &value.to_string())?;
        }
        self.tx.commit().map_err(db_error)?;
        *self.langs_out = std::mem::take(&mut self.langs);
        Ok(())
    }

    /// The id of a language tag, added if new (with its primary language, which
    /// names the term group).
    fn lang_id(&mut self, tag: &LangTag) -> Result<i64> {
        if let Some(id) = self.langs.id(tag.as_str()) {
            return Ok(id);
        }
        self.tx
            .execute("INSERT INTO langs(tag) VALUES(?1)", [tag.as_str()])
            .map_err(db_error)?;
        let id = self.tx.last_insert_rowid();
        self.langs.insert(id, tag.clone());
        Ok(id)
    }

    fn prepare(&mut self, analyzed: AnalyzedUnit) -> Result<(usize, Vec<Prepared>)> {
        let mut prepared = Vec::with_capacity(analyzed.variants.len());
        for v in analyzed.variants {
            let lang = self.lang_id(&v.lang)?;
            let group = self.lang_id(&v.primary)?;
            prepared.push(Prepared {
                lang,
                group,
                analyzed: v.analyzed,
                fingerprints: v.fingerprints,
                key: v.key,
            });
        }
        Ok((analyzed.source, prepared))
    }

    /// Adds one unit. Errors of kind `Invalid` reject only this unit (fewer than two
    /// non-empty variants); others (database errors) mean the transaction should be
    /// abandoned.
    pub fn add(&mut self, unit: &TranslationUnit) -> Result<AddOutcome> {
        let analyzed = analyze_unit(unit)?;
        self.add_analyzed(unit, analyzed)
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
            analyzed.0.len(),
            "the batch was analysed from other units"
        );
        let mut out = Vec::with_capacity(units.len());
        for (unit, a) in units.iter().zip(analyzed.0) {
            match a {
                Err(e) => out.push(Err(e)),
                Ok(a) => out.push(Ok(self.add_analyzed(unit, a)?)),
            }
        }
        Ok(out)
    }

    fn add_analyzed(
        &mut self,
        unit: &TranslationUnit,
        analyzed: AnalyzedUnit,
    ) -> Result<AddOutcome> {
        let (source_index, prepared) = self.prepare(analyzed)?;
        let src = &prepared[source_index];
        let existing = self.same_source(src.key, src.lang, &src.analyzed.text)?;
        if existing.is_empty() {
            let id = self.insert(unit, &prepared)?;
            return Ok(AddOutcome::Inserted { unit: id });
        }
        let new_set: Vec<(i64, &str)> = prepared
            .iter()
            .map(|p| (p.lang, p.analyzed.text.as_str()))
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
                    let old_set: Vec<(i64, String)> = row
                        .unit
                        .variants
                        .iter()
                        .map(|v| (self.langs.id(v.lang.as_str()).unwrap_or(-1), v.text.clone()))
                        .collect();
                    let contains = |set: &[(i64, String)], item: &(i64, &str)| {
                        set.iter().any(|(l, t)| *l == item.0 && t == item.1)
                    };
                    if new_set.iter().all(|item| contains(&old_set, item)) {
                        self.merge_into(&row, unit)?;
                        return Ok(AddOutcome::Merged { unit: id });
                    }
                    let old_in_new = old_set
                        .iter()
                        .all(|(l, t)| new_set.iter().any(|(l2, t2)| l == l2 && t == t2));
                    if old_in_new {
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

    /// Units whose source variant has language `lang` and text `text` (NFC).
    fn same_source(&mut self, key: i64, lang: i64, text: &str) -> Result<Vec<i64>> {
        let mut matches: Vec<(i64, i64)> = Vec::new();
        {
            let mut stmt = self
                .tx
                .prepare_cached("SELECT id, unit, lang, text FROM variants WHERE words_key = ?1")
                .map_err(db_error)?;
            let mut rows = stmt.query([key]).map_err(db_error)?;
            while let Some(row) = rows.next().map_err(db_error)? {
                let vlang: i64 = row.get(2).map_err(db_error)?;
                if vlang != lang {
                    continue;
                }
                let vtext = row
                    .get_ref(3)
                    .map_err(db_error)?
                    .as_str()
                    .map_err(|e| db_error(e.into()))?;
                if vtext == text {
                    matches.push((row.get(0).map_err(db_error)?, row.get(1).map_err(db_error)?));
                }
            }
        }
        let mut out = Vec::new();
        for (vid, unit) in matches {
            // Only the stored unit's source variant counts: the first variant in its
            // source language, or its first variant.
            let (source_lang, first, n): (Option<i64>, i64, i64) = self
                .tx
                .prepare_cached(
                    "SELECT source_lang, first_variant, n_variants FROM units WHERE id = ?1",
                )
                .map_err(db_error)?
                .query_row([unit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(db_error)?;
            let source = match source_lang {
                Some(sl) => self
                    .tx
                    .prepare_cached(
                        "SELECT min(id) FROM variants WHERE id >= ?1 AND id < ?2 AND lang = ?3",
                    )
                    .map_err(db_error)?
                    .query_row((first, first + n, sl), |r| r.get::<_, Option<i64>>(0))
                    .map_err(db_error)?
                    .unwrap_or(first),
                None => first,
            };
            if source == vid && !out.contains(&unit) {
                out.push(unit);
            }
        }
        Ok(out)
    }

    fn insert(&mut self, unit: &TranslationUnit, prepared: &[Prepared]) -> Result<i64> {
        let id = self.next_unit;
        self.next_unit += 1;
        let first = self.next_variant;
        self.next_variant += prepared.len() as i64;
        let source_lang = match &unit.source_lang {
            Some(tag) => Some(self.lang_id(tag)?),
            None => None,
        };
        let langs: Vec<i64> = prepared.iter().map(|p| p.lang).collect();
        let text_bytes = prepared.iter().map(|p| p.analyzed.text.len()).sum();
        self.count_unit(&langs, source_index(unit), text_bytes, 1);
        let p = &unit.provenance;
        let created = store::to_seconds(p.created).unwrap_or(self.now);
        let created_by = p.created_by.clone().or_else(|| self.options.user.clone());
        {
            let mut stmt = self
                .tx
                .prepare_cached(
                    "INSERT INTO units(id, first_variant, n_variants, source_lang, tuid, created,
                     created_by, changed, changed_by, last_used, usage_count, origin_file,
                     origin_score, prev, next, extra)
                     VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                )
                .map_err(db_error)?;
            stmt.execute(rusqlite::params![
                id,
                first,
                prepared.len() as i64,
                source_lang,
                unit.id,
                created,
                created_by,
                store::to_seconds(p.changed),
                p.changed_by,
                store::to_seconds(p.last_used),
                p.usage_count.map(|u| u.min(i64::MAX as u64) as i64),
                unit.origin.file,
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
            ])
            .map_err(db_error)?;
        }
        for (k, (v, prep)) in unit.variants.iter().zip(prepared).enumerate() {
            let vid = first + k as i64;
            let mut ids = std::mem::take(&mut self.scratch_ids);
            ids.clear();
            for (t, &fp) in prep.analyzed.tokens.iter().zip(&prep.fingerprints) {
                let token = prep.analyzed.folded(t);
                ids.push(self.term(prep.group, token, fp)?);
            }
            let mut blob = std::mem::take(&mut self.scratch_blob);
            blob.clear();
            for &i in &ids {
                put_varint(&mut blob, self.terms[i as usize].id as u64);
            }
            variant_postings(vid, &ids, &mut self.scratch_pairs, &mut self.pending);
            self.scratch_ids = ids;
            let mut stmt = self
                .tx
                .prepare_cached(
                    "INSERT INTO variants(id, unit, lang, words_key, tokens, text, markup, extra)
                     VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(db_error)?;
            stmt.execute(rusqlite::params![
                vid,
                id,
                prep.lang,
                prep.key,
                &blob,
                prep.analyzed.text,
                v.markup,
                store::variant_extra(v),
            ])
            .map_err(db_error)?;
            self.scratch_blob = blob;
        }
        if self.pending.len() >= FLUSH_POSTINGS {
            self.flush_postings()?;
        }
        Ok(id)
    }

    /// The index (in `self.terms`) of a term, looked up or created.
    fn term(&mut self, grp: i64, token: &str, fp: u128) -> Result<u32> {
        if let Some(&i) = self.term_index.get(&fp) {
            return Ok(i);
        }
        let found: Option<(i64, i64, i64)> = self
            .tx
            .prepare_cached("SELECT id, df, chunks FROM terms WHERE grp = ?1 AND token = ?2")
            .map_err(db_error)?
            .query_row((grp, token), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(db_error)?;
        let info = match found {
            Some((id, df, chunks)) => TermInfo {
                grp,
                token: token.into(),
                id,
                df,
                chunks,
                stored: true,
                dirty: false,
            },
            None => {
                let id = self.next_term;
                self.next_term += 1;
                if id > i64::from(u32::MAX) {
                    return Err(Error::invalid("the memory has too many distinct terms"));
                }
                TermInfo {
                    grp,
                    token: token.into(),
                    id,
                    df: 0,
                    chunks: 0,
                    stored: false,
                    dirty: true,
                }
            }
        };
        let index = self.terms.len() as u32;
        self.term_by_id.insert(info.id, index);
        self.terms.push(info);
        self.term_index.insert(fp, index);
        Ok(index)
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
        let p = &merged.provenance;
        self.tx
            .prepare_cached(
                "UPDATE units SET tuid = ?2, created = ?3, created_by = ?4, changed = ?5,
                 changed_by = ?6, last_used = ?7, usage_count = ?8, origin_file = ?9,
                 origin_score = ?10, prev = ?11, next = ?12, extra = ?13 WHERE id = ?1",
            )
            .map_err(db_error)?
            .execute(rusqlite::params![
                row.id,
                merged.id,
                store::to_seconds(p.created),
                p.created_by,
                store::to_seconds(p.changed),
                p.changed_by,
                store::to_seconds(p.last_used),
                p.usage_count.map(|u| u.min(i64::MAX as u64) as i64),
                merged.origin.file,
                merged.origin.score,
                merged.context.prev,
                merged.context.next,
                store::unit_extra(&merged),
            ])
            .map_err(db_error)?;
        // Variant metadata: merge each new variant into the stored one it equals.
        let stored =
            store::read_variants(&self.tx, &self.langs, row.first_variant, row.n_variants)?;
        for v in &new.variants {
            let text = nfc(&v.text);
            let Some((vid, _, old)) = stored
                .iter()
                .find(|(_, _, o)| o.lang == v.lang && o.text == text.as_ref())
            else {
                continue;
            };
            let mut m = old.clone();
            merge_provenance(&mut m.provenance, &v.provenance);
            merge_list(&mut m.props, &v.props);
            merge_list(&mut m.notes, &v.notes);
            if m.markup.is_none() {
                m.markup = v.markup.clone();
            }
            if m != *old {
                self.tx
                    .prepare_cached("UPDATE variants SET markup = ?2, extra = ?3 WHERE id = ?1")
                    .map_err(db_error)?
                    .execute(rusqlite::params![vid, m.markup, store::variant_extra(&m)])
                    .map_err(db_error)?;
            }
        }
        Ok(())
    }

    /// Removes units (and their variants, index entries and concordance entries).
    pub(crate) fn delete_units(&mut self, ids: &[i64]) -> Result<usize> {
        let mut deleted = 0;
        for &id in ids {
            let Some((first, n, source_lang)) = self
                .tx
                .prepare_cached(
                    "SELECT first_variant, n_variants, source_lang FROM units WHERE id = ?1",
                )
                .map_err(db_error)?
                .query_row([id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                    ))
                })
                .optional()
                .map_err(db_error)?
            else {
                continue;
            };
            let rows: Vec<(i64, i64, String, Vec<u8>)> = {
                let mut stmt = self
                    .tx
                    .prepare_cached(
                        "SELECT id, lang, text, tokens FROM variants WHERE id >= ?1 AND id < ?2",
                    )
                    .map_err(db_error)?;
                let rows = stmt
                    .query_map([first, first + n], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .map_err(db_error)?;
                rows.collect::<rusqlite::Result<_>>().map_err(db_error)?
            };
            let langs: Vec<i64> = rows.iter().map(|r| r.1).collect();
            let source = source_lang
                .and_then(|sl| langs.iter().position(|&l| l == sl))
                .unwrap_or(0);
            let text_bytes = rows.iter().map(|r| r.2.len()).sum();
            self.count_unit(&langs, source, text_bytes, -1);
            for (vid, lang, text, tokens) in rows {
                if vid <= self.concordance_upto {
                    self.tx
                        .prepare_cached(
                            "INSERT INTO concordance(concordance, rowid, text) VALUES('delete', ?1, ?2)",
                        )
                        .map_err(db_error)?
                        .execute(rusqlite::params![vid, text])
                        .map_err(db_error)?;
                }
                let tag = self.langs.tag(lang).cloned();
                let group = match tag {
                    Some(tag) => self.langs.group(&tag),
                    None => None,
                };
                let mut ids = Vec::new();
                if let Some(group) = group {
                    if decode_ids(&tokens, &mut ids) {
                        ids.sort_unstable();
                        ids.dedup();
                        for term_id in ids {
                            if let Some(idx) = self.term_by_id(group, i64::from(term_id))? {
                                self.removals.push((idx, vid));
                            }
                        }
                    }
                }
            }
            self.tx
                .prepare_cached("DELETE FROM variants WHERE id >= ?1 AND id < ?2")
                .map_err(db_error)?
                .execute([first, first + n])
                .map_err(db_error)?;
            self.tx
                .prepare_cached("DELETE FROM units WHERE id = ?1")
                .map_err(db_error)?
                .execute([id])
                .map_err(db_error)?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// The cache index of the term with id `term_id` (whose group is `group`).
    fn term_by_id(&mut self, group: i64, term_id: i64) -> Result<Option<u32>> {
        // Terms are keyed by text; find the text of this id (rare path: deletions).
        if let Some(&idx) = self.term_by_id.get(&term_id) {
            return Ok(Some(idx));
        }
        let token: Option<String> = self
            .tx
            .prepare_cached("SELECT token FROM terms WHERE grp = ?1 AND id = ?2")
            .map_err(db_error)?
            .query_row((group, term_id), |r| r.get(0))
            .optional()
            .map_err(db_error)?;
        match token {
            Some(token) => {
                let primary = self
                    .langs
                    .tag(group)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                let fp = fingerprint(&primary, &token);
                self.term(group, &token, fp).map(Some)
            }
            None => Ok(None),
        }
    }

    /// Counts a unit in (`sign` 1) or out (`sign` -1) of the running totals: its text
    /// bytes, its variants per language, its (source, target) language pairs.
    fn count_unit(&mut self, langs: &[i64], source: usize, text_bytes: usize, sign: i64) {
        *self.counts.entry((COUNT_TEXT_BYTES, 0, 0)).or_default() += sign * text_bytes as i64;
        for (k, &lang) in langs.iter().enumerate() {
            *self.counts.entry((COUNT_LANG, lang, 0)).or_default() += sign;
            if k != source {
                *self
                    .counts
                    .entry((COUNT_PAIR, langs[source], lang))
                    .or_default() += sign;
            }
        }
    }

    fn flush_counts(&mut self) -> Result<()> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO counts(kind, a, b, n) VALUES(?1, ?2, ?3, ?4)
                 ON CONFLICT(kind, a, b) DO UPDATE SET n = n + excluded.n",
            )
            .map_err(db_error)?;
        for (&(kind, a, b), &n) in &self.counts {
            if n != 0 {
                stmt.execute([kind, a, b, n]).map_err(db_error)?;
            }
        }
        drop(stmt);
        self.tx
            .execute("DELETE FROM counts WHERE n = 0", [])
            .map_err(db_error)?;
        self.counts.clear();
        Ok(())
    }

    /// Writes waiting postings and removals, and the changed terms.
    fn flush(&mut self) -> Result<()> {
        self.flush_postings()?;
        self.flush_removals()?;
        self.flush_terms()
    }

    fn flush_postings(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        // Counting sort by term; stable, so each term's variants stay in id order.
        let pending = std::mem::take(&mut self.pending);
        let mut start = vec![0usize; self.terms.len() + 1];
        for p in &pending {
            start[p.term as usize + 1] += 1;
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut sorted = vec![Pending::default(); pending.len()];
        let mut next = start.clone();
        for p in &pending {
            let slot = &mut next[p.term as usize];
            sorted[*slot] = *p;
            *slot += 1;
        }
        drop(pending);
        for term in 0..self.terms.len() {
            let (from, to) = (start[term], start[term + 1]);
            if from < to {
                self.append_postings(term as u32, &sorted[from..to])?;
            }
        }
        sorted.clear();
        self.pending = sorted;
        Ok(())
    }

    fn append_postings(&mut self, term: u32, entries: &[Pending]) -> Result<()> {
        let info = &self.terms[term as usize];
        let (id, mut chunks) = (info.id, info.chunks);
        let mut rest = entries;
        if chunks > 0 {
            let key = (id << 20) | (chunks - 1);
            let (mut n, mut last, mut data): (i64, i64, Vec<u8>) = self
                .tx
                .prepare_cached("SELECT n, last, data FROM postings WHERE key = ?1")
                .map_err(db_error)?
                .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(db_error)?;
            if data.len() < CHUNK_BYTES {
                while let Some((p, tail)) = rest.split_first() {
                    if data.len() >= CHUNK_BYTES {
                        break;
                    }
                    push_posting(&mut data, last as u64, p.posting());
                    last = p.variant as i64;
                    n += 1;
                    rest = tail;
                }
                self.tx
                    .prepare_cached(
                        "UPDATE postings SET n = ?2, last = ?3, data = ?4 WHERE key = ?1",
                    )
                    .map_err(db_error)?
                    .execute(rusqlite::params![key, n, last, data])
                    .map_err(db_error)?;
            }
        }
        let mut data = Vec::with_capacity(CHUNK_BYTES + 16);
        while !rest.is_empty() {
            data.clear();
            let (mut n, mut last) = (0i64, 0i64);
            while let Some((p, tail)) = rest.split_first() {
                if data.len() >= CHUNK_BYTES {
                    break;
                }
                push_posting(&mut data, last as u64, p.posting());
                last = p.variant as i64;
                n += 1;
                rest = tail;
            }
            let key = (id << 20) | chunks;
            chunks += 1;
            self.tx
                .prepare_cached("INSERT INTO postings(key, n, last, data) VALUES(?1, ?2, ?3, ?4)")
                .map_err(db_error)?
                .execute(rusqlite::params![key, n, last, data])
                .map_err(db_error)?;
        }
        let info = &mut self.terms[term as usize];
        info.chunks = chunks;
        info.df += entries.len() as i64;
        info.dirty = true;
        Ok(())
    }

    fn flush_removals(&mut self) -> Result<()> {
        if self.removals.is_empty() {
            return Ok(());
        }
        let mut removals = std::mem::take(&mut self.removals);
        removals.sort_unstable();
        removals.dedup();
        let mut start = 0;
        while start < removals.len() {
            let term = removals[start].0;
            let end = start + removals[start..].iter().take_while(|r| r.0 == term).count();
            let gone: Vec<i64> = removals[start..end].iter().map(|r| r.1).collect();
            self.remove_postings(term, &gone)?;
            start = end;
        }
        Ok(())
    }

    /// Rewrites a term's chunks without the variants `gone` (sorted).
    fn remove_postings(&mut self, term: u32, gone: &[i64]) -> Result<()> {
        let id = self.terms[term as usize].id;
        let (lo, hi) = (id << 20, (id + 1) << 20);
        let mut kept: Vec<Pending> = Vec::new();
        let mut removed = 0i64;
        {
            let mut stmt = self
                .tx
                .prepare_cached(
                    "SELECT data FROM postings WHERE key >= ?1 AND key < ?2 ORDER BY key",
                )
                .map_err(db_error)?;
            let mut rows = stmt.query([lo, hi]).map_err(db_error)?;
            while let Some(row) = rows.next().map_err(db_error)? {
                let data = row
                    .get_ref(0)
                    .map_err(db_error)?
                    .as_blob()
                    .map_err(|e| db_error(e.into()))?;
                for_each_posting(data, |p| {
                    if gone.binary_search(&(p.variant as i64)).is_ok() {
                        removed += 1;
                    } else {
                        kept.push(Pending {
                            variant: p.variant,
                            term,
                            len: p.len.min(MAX_LEN) as u16,
                            at: p.at.min(MAX_LEN) as u16,
                        });
                    }
                });
            }
        }
        if removed == 0 {
            return Ok(());
        }
        self.tx
            .prepare_cached("DELETE FROM postings WHERE key >= ?1 AND key < ?2")
            .map_err(db_error)?
            .execute([lo, hi])
            .map_err(db_error)?;
        let info = &mut self.terms[term as usize];
        info.chunks = 0;
        info.df = 0;
        self.append_postings(term, &kept)?;
        self.terms[term as usize].dirty = true;
        Ok(())
    }

    fn flush_terms(&mut self) -> Result<()> {
        // In key order: B-tree inserts then walk the tree forwards instead of at random.
        let mut dirty: Vec<u32> = (0..self.terms.len() as u32)
            .filter(|&i| self.terms[i as usize].dirty)
            .collect();
        dirty.sort_unstable_by(|&a, &b| {
            let (a, b) = (&self.terms[a as usize], &self.terms[b as usize]);
            (a.grp, a.token.as_bytes()).cmp(&(b.grp, b.token.as_bytes()))
        });
        for i in dirty {
            let info = &mut self.terms[i as usize];
            if info.df == 0 {
                if info.stored {
                    self.tx
                        .prepare_cached("DELETE FROM terms WHERE grp = ?1 AND token = ?2")
                        .map_err(db_error)?
                        .execute(rusqlite::params![info.grp, &*info.token])
                        .map_err(db_error)?;
                    info.stored = false;
                }
            } else if info.stored {
                self.tx
                    .prepare_cached(
                        "UPDATE terms SET df = ?3, chunks = ?4 WHERE grp = ?1 AND token = ?2",
                    )
                    .map_err(db_error)?
                    .execute(rusqlite::params![
                        info.grp,
                        &*info.token,
                        info.df,
                        info.chunks
                    ])
                    .map_err(db_error)?;
            } else {
                self.tx
                    .prepare_cached(
                        "INSERT INTO terms(grp, token, id, df, chunks) VALUES(?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(db_error)?
                    .execute(rusqlite::params![
                        info.grp,
                        &*info.token,
                        info.id,
                        info.df,
                        info.chunks
                    ])
                    .map_err(db_error)?;
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

    /// Rebuilds the fuzzy index from the stored texts (see [`Memory::reindex`]).
    pub(crate) fn rebuild_index(&mut self) -> Result<()> {
        self.tx
            .execute_batch("DELETE FROM terms; DELETE FROM postings;")
            .map_err(db_error)?;
        self.terms.clear();
        self.term_index.clear();
        self.term_by_id.clear();
        self.pending.clear();
        self.removals.clear();
        self.next_term = 1;
        let mut after = 0i64;
        loop {
            let batch: Vec<(i64, i64, String)> = {
                let mut stmt = self
                    .tx
                    .prepare_cached(
                        "SELECT id, lang, text FROM variants WHERE id > ?1 ORDER BY id LIMIT 10000",
                    )
                    .map_err(db_error)?;
                let rows = stmt
                    .query_map([after], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(db_error)?;
                rows.collect::<rusqlite::Result<_>>().map_err(db_error)?
            };
            let Some(&(last, _, _)) = batch.last() else {
                break;
            };
            after = last;
            for (vid, lang, text) in batch {
                let tag = self.langs.tag(lang).cloned().ok_or_else(|| {
                    Error::invalid(format!("variant {vid} has an unknown language"))
                })?;
                let primary = primary_tag(&tag);
                let group = self.lang_id(&primary)?;
                let analyzed = Analyzed::new(&text);
                let key = words_key(primary.as_str(), &analyzed);
                let mut ids: Vec<u32> = Vec::with_capacity(analyzed.len());
                for t in &analyzed.tokens {
                    let token = analyzed.folded(t);
                    let fp = fingerprint(primary.as_str(), token);
                    ids.push(self.term(group, token, fp)?);
                }
                let blob = encode_ids(
                    &ids.iter()
                        .map(|&i| self.terms[i as usize].id as u32)
                        .collect::<Vec<u32>>(),
                );
                variant_postings(vid, &ids, &mut self.scratch_pairs, &mut self.pending);
                self.tx
                    .prepare_cached("UPDATE variants SET words_key = ?2, tokens = ?3 WHERE id = ?1")
                    .map_err(db_error)?
                    .execute(rusqlite::params![vid, key, blob])
                    .map_err(db_error)?;
            }
            if self.pending.len() >= FLUSH_POSTINGS {
                self.flush_postings()?;
            }
        }
        self.flush()?;
        store::meta_set(
            &self.tx,
            "tokenizer_version",
            &super::tokens::TOKENIZER_VERSION.to_string(),
        )
    }
}

/// Units analysed for storage (tokens, words keys, term fingerprints): the CPU-heavy
/// part of adding units, which needs no database and runs in parallel.
pub struct AnalyzedBatch(Vec<Result<AnalyzedUnit>>);

impl AnalyzedBatch {
    /// Analyses `units` on all cores.
    pub fn of(units: &[TranslationUnit]) -> AnalyzedBatch {
        use rayon::prelude::*;
        AnalyzedBatch(units.par_iter().map(analyze_unit).collect())
    }
}

impl std::fmt::Debug for AnalyzedBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AnalyzedBatch({} units)", self.0.len())
    }
}

/// A unit's texts analysed for storage.
struct AnalyzedUnit {
    source: usize,
    variants: Vec<AnalyzedVariant>,
}

struct AnalyzedVariant {
    lang: LangTag,
    primary: LangTag,
    analyzed: Analyzed,
    fingerprints: Vec<u128>,
    key: i64,
}

/// A 128-bit fingerprint of a term (primary language and folded token), for the
/// writer's term cache: two independent 64-bit hashes, so distinct terms share one
/// with a probability of about 2^-100 even in a cache of millions.
fn fingerprint(primary: &str, token: &str) -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut fx = rustc_hash::FxBuildHasher.build_hasher();
    fx.write(primary.as_bytes());
    fx.write_u8(0xff);
    fx.write(token.as_bytes());
    let mut fnv = super::tokens::StableHasher::new();
    fnv.write(primary.as_bytes());
    fnv.write(&[0xff]);
    fnv.write(token.as_bytes());
    (u128::from(fx.finish()) << 64) | u128::from(fnv.finish() as u64)
}

fn analyze_unit(unit: &TranslationUnit) -> Result<AnalyzedUnit> {
    let filled = unit
        .variants
        .iter()
        .filter(|v| !v.text.trim().is_empty())
        .count();
    if filled < 2 {
        return Err(Error::invalid(
            "a unit needs text in at least two languages",
        ));
    }
    if filled < unit.variants.len() {
        return Err(Error::invalid("a unit has a variant with empty text"));
    }
    let variants = unit
        .variants
        .iter()
        .map(|v| {
            let primary = primary_tag(&v.lang);
            let analyzed = Analyzed::new(&v.text);
            let key = words_key(primary.as_str(), &analyzed);
            let fingerprints = analyzed
                .folded_tokens()
                .map(|t| fingerprint(primary.as_str(), t))
                .collect();
            AnalyzedVariant {
                lang: v.lang.clone(),
                primary,
                analyzed,
                fingerprints,
                key,
            }
        })
        .collect();
    Ok(AnalyzedUnit {
        source: source_index(unit),
        variants,
    })
}

/// The index of a unit's source variant: the first in its source language, else the
/// first.
pub(crate) fn source_index(unit: &TranslationUnit) -> usize {
    unit.source_lang
        .as_ref()
        .and_then(|sl| unit.variants.iter().position(|v| v.lang == *sl))
        .unwrap_or(0)
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
