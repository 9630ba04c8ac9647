//! The writer's view of the term dictionary (`terms`): the terms it has met, with
//! their ids and document frequencies, looked up by fingerprint (no string is hashed
//! on the hot path), new ones numbered, and the changed ones written at commit.

use rusqlite::{Connection, OptionalExtension};
use rustc_hash::FxHashMap;

use super::analysis::{fingerprint, fingerprint_seed, AnalyzedBatch};
use super::db::DbResultExt;
use super::store::LangCache;
use crate::error::{Error, Result};

/// A batch with this many terms the writer does not know makes it read all stored
/// terms at once ([`Vocabulary::load_stored`]) …
const LOAD_TERMS_AFTER: usize = 2048;
/// … unless the memory has more than this many (their memory would outweigh the
/// searches saved).
const LOAD_TERMS_MAX: i64 = 4_000_000;

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

/// The terms a write transaction has met, by index (the order it met them).
#[derive(Debug)]
pub(super) struct Vocabulary {
    /// The `terms` table had rows when the writer started.
    stored_terms: bool,
    /// The stored terms were read at once (big imports; never twice).
    terms_loaded: bool,
    /// Every stored term is in `terms`, so a term the writer does not know is new.
    all_terms_known: bool,
    terms: Vec<TermInfo>,
    /// Terms by [`super::analysis::fingerprint`].
    by_fingerprint: FxHashMap<u128, u32>,
    by_id: FxHashMap<u32, u32>,
    next_term: i64,
}

impl Vocabulary {
    /// The vocabulary of a writer starting on a file whose `terms` table has rows
    /// (`stored_terms`) and whose next term id is `next_term`.
    pub(super) fn new(stored_terms: bool, next_term: i64) -> Vocabulary {
        Vocabulary {
            stored_terms,
            terms_loaded: false,
            all_terms_known: false,
            terms: Vec::new(),
            by_fingerprint: FxHashMap::default(),
            by_id: FxHashMap::default(),
            next_term,
        }
    }

    /// How many terms it holds (indices are `0..len`).
    pub(super) fn len(&self) -> usize {
        self.terms.len()
    }

    /// The id the next new term gets.
    pub(super) fn next_term(&self) -> i64 {
        self.next_term
    }

    /// The index of the term with fingerprint `fp`, if met.
    #[inline]
    pub(super) fn index_of(&self, fp: u128) -> Option<u32> {
        self.by_fingerprint.get(&fp).copied()
    }

    /// The index of the term with id `id`, if met.
    pub(super) fn index_of_id(&self, id: u32) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    /// The id of the term at `index`.
    #[inline]
    pub(super) fn id(&self, index: u32) -> u32 {
        self.terms[index as usize].id
    }

    /// `n` more (or, negative, fewer) texts contain the term at `index`.
    #[inline]
    pub(super) fn add_df(&mut self, index: u32, n: i64) {
        let info = &mut self.terms[index as usize];
        info.df += n;
        info.dirty = true;
    }

    /// Whether `batch` has so many terms not met yet that reading every stored term
    /// at once ([`Vocabulary::load_stored`]) beats searching them one by one.
    pub(super) fn should_load_all(&self, batch: &AnalyzedBatch) -> bool {
        self.stored_terms
            && !self.terms_loaded
            && self.next_term <= LOAD_TERMS_MAX
            && batch.vocab.len() >= LOAD_TERMS_AFTER
            && batch
                .vocab
                .iter()
                .filter(|t| !self.by_fingerprint.contains_key(&t.fp))
                .count()
                >= LOAD_TERMS_AFTER
    }

    /// Reads every stored term not met yet: one pass over the table instead of one
    /// search per new term of a big import.
    pub(super) fn load_stored(&mut self, conn: &Connection, langs: &LangCache) -> Result<()> {
        let mut seeds: FxHashMap<i64, Option<[u64; 2]>> = FxHashMap::default();
        let mut complete = true;
        let mut stmt = conn.prepare("SELECT grp, token, id, df FROM terms").db()?;
        let mut rows = stmt.query([]).db()?;
        while let Some(row) = rows.next().db()? {
            let grp: i64 = row.get(0).db()?;
            let token = row
                .get_ref(1)
                .and_then(|v| v.as_str().map_err(Into::into))
                .db()?;
            let (id, df): (i64, i64) = (row.get(2).db()?, row.get(3).db()?);
            let seed = *seeds
                .entry(grp)
                .or_insert_with(|| langs.tag(grp).map(|t| fingerprint_seed(t.as_str())));
            let (Some(seed), Ok(id)) = (seed, u32::try_from(id)) else {
                // Left to the search by name in `find_or_add`.
                complete = false;
                continue;
            };
            let fp = fingerprint(seed, token);
            if self.by_fingerprint.contains_key(&fp) {
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
            self.by_id.insert(id, index);
            self.by_fingerprint.insert(fp, index);
        }
        self.terms_loaded = true;
        self.all_terms_known = complete;
        Ok(())
    }

    /// The index of a term not met yet (fingerprint `fp`), read from the file or,
    /// if new, numbered.
    pub(super) fn find_or_add(
        &mut self,
        conn: &Connection,
        grp: i64,
        token: &str,
        fp: u128,
    ) -> Result<u32> {
        let found: Option<(i64, i64)> = if self.stored_terms && !self.all_terms_known {
            conn.prepare_cached("SELECT id, df FROM terms WHERE grp = ?1 AND token = ?2")
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
        self.by_id.insert(info.id, index);
        self.terms.push(info);
        self.by_fingerprint.insert(fp, index);
        Ok(index)
    }

    /// Fewer texts contain these terms (by id, with how many fewer): those met are
    /// updated at commit, the others in the table now, found with one pass over it.
    pub(super) fn remove_df(&mut self, conn: &Connection, removed: &[(u32, i64)]) -> Result<()> {
        let mut unknown: FxHashMap<u32, i64> = FxHashMap::default();
        for &(term, n) in removed {
            match self.by_id.get(&term) {
                Some(&index) => self.add_df(index, -n),
                None => *unknown.entry(term).or_default() += n,
            }
        }
        if unknown.is_empty() {
            return Ok(());
        }
        let rows: Vec<(i64, String, i64, i64)> = {
            let mut stmt = conn.prepare("SELECT grp, token, id, df FROM terms").db()?;
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
                conn.prepare_cached("UPDATE terms SET df = ?3 WHERE grp = ?1 AND token = ?2")
                    .db()?
                    .execute(rusqlite::params![grp, token, df])
                    .db()?;
            } else {
                conn.prepare_cached("DELETE FROM terms WHERE grp = ?1 AND token = ?2")
                    .db()?
                    .execute(rusqlite::params![grp, token])
                    .db()?;
            }
        }
        Ok(())
    }

    /// Writes the terms whose frequency changed: new ones inserted, those no text
    /// contains any more deleted.
    pub(super) fn flush(&mut self, conn: &Connection) -> Result<()> {
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
        let prepare = |sql| conn.prepare_cached(sql).db();
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

    /// Forgets every term: the `terms` table was emptied (a re-index), ids start at 1.
    pub(super) fn clear(&mut self) {
        self.stored_terms = false;
        self.all_terms_known = false;
        self.terms.clear();
        self.by_fingerprint.clear();
        self.by_id.clear();
        self.next_term = 1;
    }
}
