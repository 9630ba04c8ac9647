//! Reading units back: one by id, or all of them in id order (for export).

use std::collections::VecDeque;

use serde::Serialize;

use super::db::DbResultExt;
use super::store::{self, UNIT_SELECT};
use super::Memory;
use crate::error::Result;
use crate::unit::TranslationUnit;

/// A stored unit with its id.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRecord {
    /// The id in the memory.
    pub id: i64,
    /// The unit.
    pub unit: TranslationUnit,
}

/// [`Memory::unit`].
pub(super) fn unit(memory: &Memory, id: i64) -> Result<Option<TranslationUnit>> {
    let _snapshot = memory.read_snapshot()?;
    Ok(store::read_unit(&memory.conn, &memory.langs(), id)?.map(|r| r.unit))
}

/// [`Memory::units`].
pub(super) fn units(memory: &Memory) -> Units<'_> {
    Units {
        memory,
        snapshot: None,
        after: 0,
        buffer: VecDeque::new(),
        done: false,
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
        let langs = &self.memory.langs();
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
