//! Maintenance of a memory: deleting units by id or filter, and rebuilding the fuzzy
//! index from the stored texts (when the tokenisation rules change, or on request).
//! Both run through a [`Writer`] in one transaction.

use rusqlite::types::Value;

use super::analysis::AnalyzedBatch;
use super::counts;
use super::db::{db_error, DbResultExt};
use super::store::{self, LangCache, StoredVariant, VariantsBlob};
use super::{Memory, WriteOptions, Writer};
use crate::error::{Error, Result};
use crate::text::LangTag;
use crate::unit::TranslationUnit;

/// Which units to delete (all conditions must hold; ids are a condition too when
/// given).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DeleteFilter {
    /// Only these unit ids.
    pub ids: Vec<i64>,
    /// Units with a variant in this language (or a more specific form).
    pub lang: Option<LangTag>,
    /// Units imported or aligned from this file (exact name as stored).
    pub origin: Option<String>,
    /// Units created or changed by this user.
    pub user: Option<String>,
    /// Units created before this time.
    pub created_before: Option<jiff::Timestamp>,
    /// Units created at or after this time.
    pub created_after: Option<jiff::Timestamp>,
}

impl DeleteFilter {
    /// True if no condition is set (which would select everything).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.lang.is_none()
            && self.origin.is_none()
            && self.user.is_none()
            && self.created_before.is_none()
            && self.created_after.is_none()
    }
}

/// [`Memory::select`].
pub(super) fn select(memory: &Memory, filter: &DeleteFilter) -> Result<Vec<i64>> {
    let _snapshot = memory.read_snapshot()?;
    select_ids(&memory.conn, &memory.langs(), filter)
}

/// [`Memory::delete`].
pub(super) fn delete(memory: &mut Memory, filter: &DeleteFilter) -> Result<Vec<i64>> {
    if filter.is_empty() {
        return Ok(Vec::new());
    }
    // Selected inside the write transaction: no other process can change the
    // memory between choosing the units and deleting them.
    let mut writer = memory.writer(WriteOptions::default())?;
    let ids = select_ids(&writer.tx, &writer.langs, filter)?;
    writer.delete(&ids)?;
    writer.commit()?;
    Ok(ids)
}

/// [`Memory::reindex`].
pub(super) fn reindex(memory: &mut Memory) -> Result<()> {
    let mut writer = memory.writer(WriteOptions::default())?;
    rebuild_index(&mut writer)?;
    writer.commit()
}

/// Rebuilds the fuzzy index from the stored texts (see [`Memory::reindex`]), and
/// empties the concordance index (rebuilt by the next concordance search).
fn rebuild_index(w: &mut Writer<'_>) -> Result<()> {
    w.tx.execute_batch(
        "DELETE FROM terms; DELETE FROM postings; DELETE FROM words; DELETE FROM segments;",
    )
    .db()?;
    super::schema::recreate_concordance(&w.tx)?;
    w.forget_index();
    let mut after = 0i64;
    loop {
        let rows: Vec<store::UnitRow> = {
            let mut stmt =
                w.tx.prepare_cached(&format!(
                    "{} WHERE u.id > ?1 ORDER BY u.id LIMIT 4096",
                    store::UNIT_SELECT
                ))
                .db()?;
            let rows = stmt
                .query_map([after], |r| store::unit_from_row(r, &w.langs))
                .db()?;
            rows.collect::<rusqlite::Result<_>>().db()?
        };
        let Some(last) = rows.last() else { break };
        after = last.id;
        let units: Vec<TranslationUnit> = rows.iter().map(|r| r.unit.clone()).collect();
        let batch = AnalyzedBatch::of(&units);
        w.resolve_vocabulary(&batch)?;
        for (row, a) in rows.iter().zip(&batch.units) {
            let a = a
                .as_ref()
                .map_err(|e| Error::invalid(format!("unit {} cannot be indexed: {e}", row.id)))?;
            // The stored variants with their tokens as the new vocabulary numbers them.
            let blob = store::with_variants(&w.tx, row.id, |_, old| -> Result<Vec<u8>> {
                let mut blob = Vec::with_capacity(old.len());
                VariantsBlob::header(&mut blob, row.langs.len());
                let mut ids = Vec::new();
                for (stored, av) in VariantsBlob::new(old).zip(batch.variants(a)) {
                    let stored = stored.map_err(|e| store::damaged_unit(row.id, e))?;
                    ids.clear();
                    w.encode_tokens(batch.tokens(av), &mut ids);
                    StoredVariant {
                        tokens: &ids,
                        ..stored
                    }
                    .encode(&mut blob);
                }
                Ok(blob)
            })?
            .unwrap_or_else(|| Err(db_error(rusqlite::Error::QueryReturnedNoRows)))?;
            for (k, av) in batch.variants(a).iter().enumerate() {
                w.index_text(row.id, k, av, batch.postings(av), false)?;
            }
            w.tx.prepare_cached("UPDATE units SET variants = ?2 WHERE id = ?1")
                .db()?
                .execute(rusqlite::params![row.id, blob])
                .db()?;
        }
        if w.segment_full() {
            w.write_segment()?;
            w.restart_pending_at(0);
        }
    }
    w.write_segment()?;
    w.counts.concordance_emptied();
    store::meta_set(&w.tx, "concordance_upto", "0")?;
    counts::concordance_emptied(&w.tx)?;
    store::meta_set(
        &w.tx,
        "tokenizer_version",
        &super::tokens::TOKENIZER_VERSION.to_string(),
    )
}

/// The ids of the units `filter` selects, in increasing order, read through `conn`
/// (a snapshot, or the write transaction that deletes them).
pub(crate) fn select_ids(
    conn: &rusqlite::Connection,
    langs_cache: &LangCache,
    filter: &DeleteFilter,
) -> Result<Vec<i64>> {
    let mut sql = String::from("SELECT u.id, u.variants FROM units u WHERE 1");
    let mut params: Vec<Value> = Vec::new();
    if !filter.ids.is_empty() {
        let list: Vec<String> = filter.ids.iter().map(|i| i.to_string()).collect();
        sql.push_str(&format!(" AND u.id IN ({})", list.join(",")));
    }
    let langs = match &filter.lang {
        Some(lang) => {
            let ids = langs_cache.matching(lang, false);
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            Some(ids)
        }
        None => None,
    };
    if let Some(origin) = &filter.origin {
        params.push(Value::Text(origin.clone()));
        sql.push_str(&format!(
            " AND u.origin = (SELECT id FROM origins WHERE name = ?{})",
            params.len()
        ));
    }
    if let Some(user) = &filter.user {
        params.push(Value::Text(user.clone()));
        sql.push_str(&format!(
            " AND (u.created_by = ?{0} OR u.changed_by = ?{0})",
            params.len()
        ));
    }
    if let Some(t) = filter.created_before {
        params.push(Value::Integer(t.as_second()));
        sql.push_str(&format!(" AND u.created < ?{}", params.len()));
    }
    if let Some(t) = filter.created_after {
        params.push(Value::Integer(t.as_second()));
        sql.push_str(&format!(" AND u.created >= ?{}", params.len()));
    }
    sql.push_str(" ORDER BY u.id");
    let mut stmt = conn.prepare(&sql).db()?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params)).db()?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().db()? {
        let id: i64 = row.get(0).db()?;
        if let Some(langs) = &langs {
            let blob = row.get_ref(1).db()?.as_blob().db()?;
            let has = VariantsBlob::new(blob).any(|v| v.is_ok_and(|v| langs.contains(&v.lang)));
            if !has {
                continue;
            }
        }
        out.push(id);
    }
    Ok(out)
}
