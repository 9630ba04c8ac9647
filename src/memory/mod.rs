//! The translation memory: translation units in one SQLite file, fuzzy lookup with
//! exact recall, concordance search.
//!
//! ```
//! use bitext::memory::{Memory, LookupOptions, Query, OnDuplicate, WriteOptions};
//! use bitext::text::LangTag;
//! use bitext::unit::TranslationUnit;
//!
//! let (en, ru) = (LangTag::parse("en").unwrap(), LangTag::parse("ru").unwrap());
//! let mut memory = Memory::in_memory().unwrap();
//! let mut writer = memory.writer(WriteOptions::default()).unwrap();
//! writer.add(&TranslationUnit::pair(en.clone(), "Open the file.", ru.clone(), "Откройте файл.")).unwrap();
//! writer.commit().unwrap();
//!
//! let query = Query::new("Open the files.", en);
//! let hits = memory.lookup(&query, &LookupOptions::new(ru)).unwrap();
//! assert_eq!(hits[0].score.percent, 75);
//! assert_eq!(hits[0].target.text, "Откройте файл.");
//! ```
//!
//! How it is organised, in layers: a module uses the layers above its own and the
//! modules listed before it in its layer, never one below or after it (the
//! [`Memory`] type itself aside, which the writer and the last layer work on):
//!
//! 1. Foundations, which know nothing of the file: `db` turns SQLite errors into
//!    ours (`.db()?`); `distance` the edit distances, `tokens` the match tokens,
//!    `postings` the index's byte formats, `score` the match percentage,
//!    `search` the exact-recall candidate search over any `search::TokenIndex`,
//!    `limits` the sizes a unit may have, `cancel` the token that stops a
//!    connection's work.
//! 2. The file: `schema` (layout, version), `store` (rows, the packed variants
//!    blob, languages, meta values), `counts` (the running totals), `index` (the
//!    fuzzy index's segments), `migrate` (older schemas to this one).
//! 3. The parts of a write: `analysis` (units prepared for storage, in parallel:
//!    [`AnalyzedBatch`]), `vocabulary` (the term dictionary), `pending` (the new
//!    units' segment), `removals` (deleted units' entries), `same_source` (finding
//!    duplicates), `merge` (folding a duplicate's metadata).
//! 4. [`Writer`] (`writer`): adds and deletes units in one transaction.
//! 5. What uses a memory: `open` and `new_file` (opening and creating files),
//!    `lookup`, `request` (a lookup as a front end receives it), `concordance`, `units`, `stats` (reading), `maintenance` (delete by
//!    filter, re-index).
//!
//! [`Memory`] and its whole public API are here, in this file; each method hands the
//! work to the module named beside it.
//!
//! The modules are private: the public surface is [`Memory`] and the types it takes
//! and returns, re-exported here. The fuzz targets reach the scorer and tokenizer
//! through the hidden `fuzzing` module.

mod analysis;
mod cancel;
mod concordance;
mod counts;
mod db;
mod distance;
mod index;
mod limits;
mod lookup;
mod maintenance;
mod merge;
mod migrate;
mod new_file;
mod open;
mod pending;
mod postings;
mod removals;
mod request;
mod same_source;
mod schema;
mod score;
mod search;
mod stats;
mod store;
mod tokens;
mod units;
mod vocabulary;
mod writer;

use std::cell::{Cell, Ref, RefCell};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use analysis::has_content;
pub use analysis::AnalyzedBatch;
pub use cancel::Cancel;
pub use concordance::{ConcordanceHit, ConcordanceOptions, Highlight};
pub use limits::{check_name, MAX_TEXT_BYTES};
pub use lookup::{Hit, LookupOptions, Query};
pub use maintenance::DeleteFilter;
pub use new_file::NewMemory;
pub use request::{LookupRequest, QueryRecord};
pub use score::{diff_line, DiffOp, DiffPiece, MatchKind, Penalty, Score};
pub use search::SearchStats;
pub use stats::{LanguagePairStats, Languages, Stats};
pub(crate) use tokens::nfc;
pub use tokens::Analyzed;
pub use units::{UnitRecord, Units};
pub use writer::{AddOutcome, OnDuplicate, WriteOptions, Writer};

/// What the fuzz targets (`fuzz/checks/`, replayed by `tests/fuzz_replay.rs`) check
/// directly: the edit distances, the scorer and the tokenizer's pieces. Not part of
/// the API; the modules stay private so that the library's surface is the one above.
#[doc(hidden)]
pub mod fuzzing {
    pub use super::distance::{alignment, bounded_levenshtein, Edit};
    pub use super::score::{diff, inline_tags, max_edits, score, Side};
    pub use super::tokens::{fold, nfc, words_key};
    pub use crate::text::distance::levenshtein;
}

use crate::error::Result;
use crate::unit::TranslationUnit;
use db::DbResultExt;
use store::LangCache;

/// How to open a memory file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OpenOptions {
    /// Create the file (and its directory) if it does not exist.
    pub create: bool,
    /// Open for reading only (lookups, concordance, export, stats).
    pub read_only: bool,
    /// How long a write waits for another process's write to finish before failing.
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            create: false,
            read_only: false,
            busy_timeout: Duration::from_secs(10),
        }
    }
}

/// How many SQLite steps a statement takes between two checks of its connection's
/// [`Cancel`] token (each check is an atomic load and a clock read: at this spacing
/// they cost well under 1 % of a search).
pub const CANCEL_CHECK_STEPS: i32 = 1000;

/// SQLite's default: a checkpoint after a commit leaves the log this many pages long.
const DEFAULT_AUTO_CHECKPOINT_PAGES: i64 = 1000;

/// An open translation memory.
///
/// It sees what other connections (processes, or other `Memory` values on the same
/// file) commit: each read checks SQLite's `data_version` (one cheap statement) and,
/// when it changed, reloads what is kept from the file (the language table) before
/// using it.
pub struct Memory {
    conn: Connection,
    path: Option<PathBuf>,
    /// The language table, as of `data_version` (a `RefCell`: reads take `&self`).
    langs: RefCell<LangCache>,
    /// SQLite's `PRAGMA data_version` when `langs` was loaded: it changes when
    /// another connection commits, never for this one's own writes (which keep
    /// `langs` current themselves).
    data_version: Cell<i64>,
    /// The token that stops this connection's work ([`Memory::set_cancel`]).
    cancel: Option<Cancel>,
    /// [`Memory::languages`] as last read, kept until another connection commits
    /// (`data_version` moves) or this one writes.
    languages: RefCell<Option<Languages>>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory").field("path", &self.path).finish()
    }
}

impl Memory {
    // Opening (`open`, `new_file`).

    /// Opens (or, with `options.create`, creates) the memory at `path`, upgrading an
    /// older schema. Errors name the path.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<Memory> {
        open::open(path, options)
    }

    /// Starts a memory at `path`, which must not exist, built in a temporary file
    /// beside it (`.NAME.bitext-new-PID.tmp`) until [`NewMemory::publish`] puts it at
    /// `path`, complete. Errors name `path`.
    pub fn create_new(path: &Path, options: &OpenOptions) -> Result<NewMemory> {
        new_file::create_new(path, options).map_err(|e| e.in_file(path))
    }

    /// A memory that lives in RAM only (for tests and one-off work).
    pub fn in_memory() -> Result<Memory> {
        open::in_memory()
    }
    /// A read transaction for the duration of a search (none if one is open already):
    /// the search sees one snapshot, and SQLite does not lock and unlock the file
    /// around every statement. What is kept from the file is brought up to date with
    /// that snapshot (`store::refresh`), so a language another connection added is
    /// known to the search.
    pub(crate) fn read_snapshot(&self) -> Result<Option<rusqlite::Transaction<'_>>> {
        if let Some(cancel) = &self.cancel {
            cancel.check()?;
        }
        let snapshot = if self.conn.is_autocommit() {
            Some(self.conn.unchecked_transaction().db()?)
        } else {
            None
        };
        self.sync()?;
        Ok(snapshot)
    }

    /// Brings what is kept from the file up to date with what other connections
    /// committed (`store::refresh`); the cached [`Languages`] go when it moved.
    /// Returns whether anything had.
    fn sync(&self) -> Result<bool> {
        let changed = store::refresh(
            &self.conn,
            self.path.as_deref(),
            &self.langs,
            &self.data_version,
        )?;
        if changed {
            self.languages.take();
        }
        Ok(changed)
    }

    /// The language table (as of the last [`Memory::read_snapshot`] or write).
    pub(crate) fn langs(&self) -> Ref<'_, LangCache> {
        self.langs.borrow()
    }

    /// Changes how long a write waits for another process's write to finish (set at
    /// open by [`OpenOptions::busy_timeout`]); `Duration::ZERO` fails at once.
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<()> {
        self.conn.busy_timeout(timeout).db()
    }

    /// Leaves the write-ahead log's checkpoints to [`Memory::checkpoint`] instead of
    /// SQLite's automatic one after each commit (`false`), or gives them back to it
    /// (`true`): a program that commits on low-priority threads can then copy the
    /// log back into the file on a thread of normal priority, as readers read
    /// committed pages from the log, more slowly, until that copy is done.
    pub fn set_auto_checkpoint(&self, on: bool) -> Result<()> {
        let pages = if on { DEFAULT_AUTO_CHECKPOINT_PAGES } else { 0 };
        self.conn
            .pragma_update(None, "wal_autocheckpoint", pages)
            .db()
    }

    /// Copies what the write-ahead log holds back into the file, as far as no
    /// reader still needs it (SQLite's passive checkpoint: it waits for nobody).
    /// Nothing to do for a memory without a log.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .db()
    }

    /// Makes this connection's work stop when `cancel` is cancelled or past its
    /// deadline (see [`Cancel`]): a search checks it as it starts, and every SQL
    /// statement every [`CANCEL_CHECK_STEPS`] steps; the call then fails with
    /// [`crate::ErrorKind::Cancelled`] (a write is rolled back). `None` removes it.
    pub fn set_cancel(&mut self, cancel: Option<Cancel>) -> Result<()> {
        match &cancel {
            Some(token) => {
                let token = token.clone();
                self.conn
                    .progress_handler(CANCEL_CHECK_STEPS, Some(move || token.is_cancelled()))
                    .db()?;
            }
            None => self.conn.progress_handler(0, None::<fn() -> bool>).db()?,
        }
        self.cancel = cancel;
        Ok(())
    }

    /// Catches up with what other connections committed since the last read (every
    /// read does this itself; a long-lived holder may call it to learn whether
    /// anything changed). Cheap when nothing did (SQLite's `data_version`, no table
    /// read).
    pub fn refresh(&mut self) -> Result<bool> {
        self.sync()
    }

    /// The file's path (`None` for an in-memory one).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Starts a write transaction. Nothing is visible to others, or kept, until
    /// [`Writer::commit`]; dropping the writer rolls everything back.
    pub fn writer(&mut self, options: WriteOptions) -> Result<Writer<'_>> {
        self.languages.take();
        Writer::new(self, options)
    }
    // Reading (`lookup`, `concordance`, `units`, `stats`).

    /// The best matches for `query` in `options.target`, best first: every stored
    /// source scoring at least `options.min_percent` is considered (exact recall), at
    /// most `options.max` are returned, one per unit.
    pub fn lookup(&self, query: &Query, options: &LookupOptions) -> Result<Vec<Hit>> {
        lookup::lookup(self, query, options, &mut SearchStats::default())
    }

    /// [`Memory::lookup`], also counting the work done.
    pub fn lookup_with_stats(
        &self,
        query: &Query,
        options: &LookupOptions,
        stats: &mut SearchStats,
    ) -> Result<Vec<Hit>> {
        lookup::lookup(self, query, options, stats)
    }

    /// Units containing `term` (case-insensitive, in NFC), newest first.
    pub fn concordance(
        &self,
        term: &str,
        options: &ConcordanceOptions,
    ) -> Result<Vec<ConcordanceHit>> {
        concordance::concordance(self, term, options)
    }

    /// How many variants the concordance index has not seen yet and the next
    /// [`Memory::update_concordance`] would add. Cheap: no scan.
    pub fn concordance_pending(&self) -> Result<i64> {
        concordance::pending(self)
    }

    /// Adds the units written since the last update to the concordance index (whole
    /// blocks of eight unit ids), in one transaction; calls `progress(variants done)`
    /// now and then. Returns how many variants were added.
    pub fn update_concordance(&mut self, progress: impl FnMut(u64)) -> Result<u64> {
        concordance::update(self, None, progress)
    }

    /// [`Memory::update_concordance`] for the next `max_units` unit ids or so only
    /// (whole blocks of eight), in one short transaction: a server brings a large
    /// memory's index up to date in slices, letting writes in between. Returns how
    /// many variants were added; [`Memory::concordance_pending`] says what is left.
    pub fn update_concordance_some(&mut self, max_units: u64) -> Result<u64> {
        concordance::update(self, Some(max_units), |_| {})
    }

    /// A unit by id.
    pub fn unit(&self, id: i64) -> Result<Option<TranslationUnit>> {
        units::unit(self, id)
    }

    /// Every unit, in id order, read in batches (the memory is never loaded whole).
    /// All batches come from one snapshot, taken at the first: a write committed by
    /// another process meanwhile is not seen in part (an export has all of an import
    /// or none of it).
    pub fn units(&self) -> Units<'_> {
        units::units(self)
    }

    /// Counts and ranges describing the memory.
    pub fn stats(&self) -> Result<Stats> {
        stats::stats(self)
    }

    /// The languages a memory holds: units per language pair, variants per language
    /// (from the running totals of `counts`: no unit is read, however big the memory;
    /// read again only when something changed).
    pub fn languages(&self) -> Result<Languages> {
        self.sync()?;
        if let Some(known) = self.languages.borrow().as_ref() {
            return Ok(known.clone());
        }
        let languages = stats::languages(self)?;
        *self.languages.borrow_mut() = Some(languages.clone());
        Ok(languages)
    }

    // Maintenance (`maintenance`).

    /// The ids of the units a filter selects, in increasing order.
    pub fn select(&self, filter: &DeleteFilter) -> Result<Vec<i64>> {
        maintenance::select(self, filter)
    }

    /// Deletes the units a filter selects, in one transaction; returns their ids.
    /// An empty filter deletes nothing.
    pub fn delete(&mut self, filter: &DeleteFilter) -> Result<Vec<i64>> {
        self.languages.take();
        maintenance::delete(self, filter)
    }

    /// Rebuilds the fuzzy index (terms, postings, token sequences, words keys) from
    /// the stored texts, in one transaction. Needed when the tokenisation rules change.
    pub fn reindex(&mut self) -> Result<()> {
        self.languages.take();
        maintenance::reindex(self)
    }
}

#[cfg(test)]
mod tests;
