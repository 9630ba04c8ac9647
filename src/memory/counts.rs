//! The running totals in the `counts` table (see [`super::schema`]): every write
//! keeps them, so `stats`, `languages` and `concordance_pending` read a few rows
//! instead of scanning the units. This file owns the kinds and every statement
//! that changes them.

use rusqlite::Connection;
use rustc_hash::FxHashMap;

use super::db::DbResultExt;
use crate::error::Result;

/// `counts.kind`: stored text bytes.
pub(crate) const COUNT_TEXT_BYTES: i64 = 0;
/// `counts.kind`: variants per language.
pub(crate) const COUNT_LANG: i64 = 1;
/// `counts.kind`: units per (source, target) language pair.
pub(crate) const COUNT_PAIR: i64 = 2;
/// `counts.kind`: variants of the units the concordance index has not seen yet.
pub(crate) const COUNT_CONCORDANCE_PENDING: i64 = 3;
/// `counts.kind`: units.
pub(crate) const COUNT_UNITS: i64 = 4;

/// A write transaction's changes to the totals, kept in memory and written at
/// commit (one row update per total, not one per unit).
#[derive(Debug, Default)]
pub(crate) struct Counts {
    changes: FxHashMap<(i64, i64, i64), i64>,
    /// Units up to this id are in the concordance index.
    concordance_upto: i64,
}

impl Counts {
    /// No changes yet; the concordance index reaches unit `concordance_upto`.
    pub(crate) fn new(concordance_upto: i64) -> Counts {
        Counts {
            changes: FxHashMap::default(),
            concordance_upto,
        }
    }

    /// The concordance index was emptied: every unit counts as pending from now on.
    pub(crate) fn concordance_emptied(&mut self) {
        self.concordance_upto = 0;
    }

    /// Counts a unit in (`sign` 1) or out (`sign` -1) of the running totals: its
    /// text bytes, its variants per language, its (source, target) language pairs,
    /// and the variants the concordance index lacks.
    pub(crate) fn count_unit(
        &mut self,
        id: i64,
        langs: &[i64],
        source: usize,
        text_bytes: usize,
        sign: i64,
    ) {
        let changes = &mut self.changes;
        *changes.entry((COUNT_TEXT_BYTES, 0, 0)).or_default() += sign * text_bytes as i64;
        *changes.entry((COUNT_UNITS, 0, 0)).or_default() += sign;
        if id > self.concordance_upto {
            *changes
                .entry((COUNT_CONCORDANCE_PENDING, 0, 0))
                .or_default() += sign * langs.len() as i64;
        }
        for (k, &lang) in langs.iter().enumerate() {
            *changes.entry((COUNT_LANG, lang, 0)).or_default() += sign;
            if k != source {
                *changes
                    .entry((COUNT_PAIR, langs[source], lang))
                    .or_default() += sign;
            }
        }
    }

    /// Adds the changes to the `counts` table and forgets them.
    pub(crate) fn flush(&mut self, conn: &Connection) -> Result<()> {
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO counts(kind, a, b, n) VALUES(?1, ?2, ?3, ?4)
                 ON CONFLICT(kind, a, b) DO UPDATE SET n = n + excluded.n",
            )
            .db()?;
        for (&(kind, a, b), &n) in &self.changes {
            if n != 0 {
                stmt.execute([kind, a, b, n]).db()?;
            }
        }
        drop(stmt);
        conn.execute("DELETE FROM counts WHERE n = 0", []).db()?;
        self.changes.clear();
        Ok(())
    }
}

/// The variants the concordance index has not seen (including those of the last,
/// incomplete block, which it never holds).
pub(crate) fn concordance_pending(conn: &Connection) -> Result<i64> {
    conn.query_row(
        &format!("SELECT coalesce(sum(n), 0) FROM counts WHERE kind = {COUNT_CONCORDANCE_PENDING}"),
        [],
        |r| r.get(0),
    )
    .db()
}

/// `n` more variants are in the concordance index.
pub(crate) fn concordance_indexed(conn: &Connection, n: i64) -> Result<()> {
    conn.execute(
        &format!("UPDATE counts SET n = max(n - ?1, 0) WHERE kind = {COUNT_CONCORDANCE_PENDING}"),
        [n],
    )
    .db()?;
    conn.execute("DELETE FROM counts WHERE n = 0", []).db()?;
    Ok(())
}

/// The concordance index was emptied: every stored variant is pending.
pub(crate) fn concordance_emptied(conn: &Connection) -> Result<()> {
    conn.execute_batch(&format!(
        "DELETE FROM counts WHERE kind = {COUNT_CONCORDANCE_PENDING};
         INSERT INTO counts(kind, a, b, n)
             SELECT {COUNT_CONCORDANCE_PENDING}, 0, 0, coalesce(sum(n), 0)
             FROM counts WHERE kind = {COUNT_LANG};
         DELETE FROM counts WHERE n = 0;"
    ))
    .db()
}
