//! What a memory holds: counts, languages and pairs, dates and sizes (`bitext
//! stats`), read from the running totals of [`super::counts`] without a scan.

use serde::Serialize;

use super::counts::{COUNT_LANG, COUNT_PAIR, COUNT_TEXT_BYTES, COUNT_UNITS};
use super::db::DbResultExt;
use super::schema;
use super::store;
use super::Memory;
use crate::error::Result;

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

/// [`Memory::stats`].
pub(super) fn stats(memory: &Memory) -> Result<Stats> {
    let _snapshot = memory.read_snapshot()?;
    let c = &memory.conn;
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
    } = languages(memory)?;
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
    let (file_bytes, wal_bytes) = match &memory.path {
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
        concordance_pending: memory.concordance_pending()?.max(0) as u64,
        file_bytes,
        wal_bytes,
        text_bytes,
        schema_version: schema::version(c)?,
    })
}

/// [`Memory::languages`]: no unit is read, however big the memory.
pub(super) fn languages(memory: &Memory) -> Result<Languages> {
    let _snapshot = memory.read_snapshot()?;
    let c = &memory.conn;
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
                    languages.push((tag_name(memory, a), n as u64))
                }
                COUNT_PAIR => pairs.push(LanguagePairStats {
                    source: tag_name(memory, a),
                    target: tag_name(memory, b),
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

fn tag_name(memory: &Memory, id: i64) -> String {
    memory
        .langs
        .tag(id)
        .map_or_else(|| format!("#{id}"), |t| t.to_string())
}
