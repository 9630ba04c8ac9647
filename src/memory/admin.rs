//! Managing a memory: statistics, deleting units by id or filter, reading all units
//! back (for export).

use std::collections::VecDeque;

use rusqlite::types::Value;
use serde::Serialize;

use super::counts::{COUNT_LANG, COUNT_PAIR, COUNT_TEXT_BYTES, COUNT_UNITS};
use super::db::DbResultExt;
use super::schema;
use super::store::{self, LangCache, VariantsBlob, UNIT_SELECT};
use super::{Memory, WriteOptions};
use crate::error::Result;
use crate::text::LangTag;
use crate::unit::TranslationUnit;

/// Units per language pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LanguagePairStats {
    /// The units' source language.
    pub source: String,
    /// A language they are translated into.
    pub target: String,
    /// How many units.
    pub units: u64,
}

/// The languages a memory holds (see [`Memory::languages`]).
#[derive(Debug, Clone, Serialize)]
pub struct Languages {
    /// Number of units.
    pub units: u64,
    /// Number of variants over all units.
    pub variants: u64,
    /// Bytes of stored text (all variants).
    pub text_bytes: u64,
    /// Variants per language tag, by tag.
    pub languages: Vec<(String, u64)>,
    /// Units per (source, target) language pair, most units first. A unit in more
    /// than two languages counts for its source language and each other one.
    pub pairs: Vec<LanguagePairStats>,
}

impl Languages {
    /// True if `pairs` lists every two languages some unit holds together: every
    /// unit has two variants.
    pub fn pairs_complete(&self) -> bool {
        self.variants == 2 * self.units
    }
}

/// What a memory holds.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Number of units.
    pub units: u64,
    /// Number of variants (language versions) over all units.
    pub variants: u64,
    /// Variants per language tag.
    pub languages: Vec<(String, u64)>,
    /// Units per (source, target) language pair.
    pub pairs: Vec<LanguagePairStats>,
    /// Earliest and latest creation date.
    pub created: Option<(jiff::Timestamp, jiff::Timestamp)>,
    /// Earliest and latest change date.
    pub changed: Option<(jiff::Timestamp, jiff::Timestamp)>,
    /// Distinct terms in the fuzzy index.
    pub terms: u64,
    /// Variants the concordance index has not seen yet.
    pub concordance_pending: u64,
    /// Size of the file (and its write-ahead log) in bytes.
    pub file_bytes: u64,
    /// Of `file_bytes`, the write-ahead log's: a write in progress (an import) or
    /// pages not yet copied into the file.
    pub wal_bytes: u64,
    /// Bytes of stored text (all variants).
    pub text_bytes: u64,
    /// The schema version.
    pub schema_version: u32,
}

/// Which units to delete (all conditions must hold; ids are a condition too when
/// given).
#[derive(Debug, Clone, Default)]
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

/// A stored unit with its id.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRecord {
    /// The id in the memory.
    pub id: i64,
    /// The unit.
    pub unit: TranslationUnit,
}

impl Memory {
    /// Counts and ranges describing the memory.
    pub fn stats(&self) -> Result<Stats> {
        let _snapshot = self.read_snapshot()?;
        let c = &self.conn;
        let count = |sql: &str| -> Result<u64> {
            c.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|v| v.max(0) as u64)
                .db()
        };
        let terms = count("SELECT count(*) FROM terms")?;
        let Languages {
            units,
            variants,
            text_bytes,
            languages,
            pairs,
        } = self.languages()?;
        let range = |col: &str| -> Result<Option<(jiff::Timestamp, jiff::Timestamp)>> {
            let (lo, hi): (Option<i64>, Option<i64>) = c
                .query_row(
                    &format!("SELECT min({col}), max({col}) FROM units"),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .db()?;
            Ok(store::from_seconds(lo).zip(store::from_seconds(hi)))
        };
        let (file_bytes, wal_bytes) = match &self.path {
            Some(p) => {
                let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
                let wal = size(&std::path::PathBuf::from(format!("{}-wal", p.display())));
                (size(p) + wal, wal)
            }
            None => {
                let pages = count("PRAGMA page_count")?;
                let size = count("PRAGMA page_size")?;
                (pages * size, 0)
            }
        };
        Ok(Stats {
            units,
            variants,
            languages,
            pairs,
            created: range("created")?,
            changed: range("changed")?,
            terms,
            concordance_pending: self.concordance_pending()?.max(0) as u64,
            file_bytes,
            wal_bytes,
            text_bytes,
            schema_version: schema::version(c)?,
        })
    }

    /// The languages a memory holds: units per language pair, variants per language
    /// (from the running totals of `counts`: no unit is read, however big the memory).
    pub fn languages(&self) -> Result<Languages> {
        let _snapshot = self.read_snapshot()?;
        let c = &self.conn;
        let mut units = 0u64;
        let mut variants = 0u64;
        let mut text_bytes = 0u64;
        let mut languages = Vec::new();
        let mut pairs = Vec::new();
        {
            let mut stmt = c
                .prepare("SELECT kind, a, b, n FROM counts WHERE n > 0")
                .db()?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .db()?;
            for row in rows {
                let (kind, a, b, n) = row.db()?;
                match kind {
                    COUNT_TEXT_BYTES => text_bytes = n as u64,
                    COUNT_UNITS => units = n as u64,
                    COUNT_LANG => {
                        variants += n as u64;
                        languages.push((self.tag_name(a), n as u64))
                    }
                    COUNT_PAIR => pairs.push(LanguagePairStats {
                        source: self.tag_name(a),
                        target: self.tag_name(b),
                        units: n as u64,
                    }),
                    _ => {}
                }
            }
        }
        languages.sort();
        pairs.sort_by(|a, b| b.units.cmp(&a.units).then(a.source.cmp(&b.source)));
        Ok(Languages {
            units,
            variants,
            text_bytes,
            languages,
            pairs,
        })
    }

    fn tag_name(&self, id: i64) -> String {
        self.langs
            .tag(id)
            .map_or_else(|| format!("#{id}"), |t| t.to_string())
    }

    /// The ids of the units a filter selects, in increasing order.
    pub fn select(&self, filter: &DeleteFilter) -> Result<Vec<i64>> {
        let _snapshot = self.read_snapshot()?;
        select_ids(&self.conn, &self.langs, filter)
    }

    /// Deletes the units a filter selects, in one transaction; returns their ids.
    /// An empty filter deletes nothing.
    pub fn delete(&mut self, filter: &DeleteFilter) -> Result<Vec<i64>> {
        if filter.is_empty() {
            return Ok(Vec::new());
        }
        // Selected inside the write transaction: no other process can change the
        // memory between choosing the units and deleting them.
        let mut writer = self.writer(WriteOptions::default())?;
        let ids = writer.select(filter)?;
        writer.delete(&ids)?;
        writer.commit()?;
        Ok(ids)
    }

    /// A unit by id.
    pub fn unit(&self, id: i64) -> Result<Option<TranslationUnit>> {
        Ok(store::read_unit(&self.conn, &self.langs, id)?.map(|r| r.unit))
    }

    /// Every unit, in id order, read in batches (the memory is never loaded whole).
    /// All batches come from one snapshot, taken at the first: a write committed by
    /// another process meanwhile is not seen in part (an export has all of an import
    /// or none of it).
    pub fn units(&self) -> Units<'_> {
        Units {
            memory: self,
            snapshot: None,
            after: 0,
            buffer: VecDeque::new(),
            done: false,
        }
    }
}

/// Iterator over the units of a memory; see [`Memory::units`].
pub struct Units<'m> {
    memory: &'m Memory,
    /// The read transaction all batches are read in (none if the caller had one open).
    snapshot: Option<rusqlite::Transaction<'m>>,
    after: i64,
    buffer: VecDeque<UnitRecord>,
    done: bool,
}

impl std::fmt::Debug for Units<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Units")
            .field("after", &self.after)
            .field("done", &self.done)
            .finish()
    }
}

impl Units<'_> {
    fn fill(&mut self) -> Result<()> {
        if self.snapshot.is_none() {
            self.snapshot = self.memory.read_snapshot()?;
        }
        let conn = &self.memory.conn;
        let langs = &self.memory.langs;
        let mut stmt = conn
            .prepare_cached(&format!(
                "{UNIT_SELECT} WHERE u.id > ?1 ORDER BY u.id LIMIT 1000"
            ))
            .db()?;
        let rows = stmt
            .query_map([self.after], |r| store::unit_from_row(r, langs))
            .db()?;
        let batch: Vec<store::UnitRow> = rows.collect::<rusqlite::Result<_>>().db()?;
        let Some(last) = batch.last() else {
            self.done = true;
            return Ok(());
        };
        self.after = last.id;
        for row in batch {
            self.buffer.push_back(UnitRecord {
                id: row.id,
                unit: row.unit,
            });
        }
        Ok(())
    }
}

impl Iterator for Units<'_> {
    type Item = Result<UnitRecord>;

    fn next(&mut self) -> Option<Result<UnitRecord>> {
        if self.buffer.is_empty() && !self.done {
            if let Err(e) = self.fill() {
                self.done = true;
                return Some(Err(e));
            }
        }
        self.buffer.pop_front().map(Ok)
    }
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
