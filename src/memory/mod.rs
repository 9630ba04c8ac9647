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
//! How it is organised:
//!
//! * [`tokens`] and [`score`] define the match percentage; [`distance`] the edit
//!   distances. They know nothing about storage.
//! * [`search`] finds every stored source within the edit distance a threshold
//!   allows, from an inverted index of match tokens, through the [`search::TokenIndex`]
//!   trait; the SQLite file implements it (another backend would too).
//! * [`schema`] is the file layout and its migrations; [`Writer`] adds units in one
//!   transaction (their analysis, [`AnalyzedBatch`], runs in parallel beforehand);
//!   the fuzzy index lives in segments (module `index`); `lookup`, `concordance`,
//!   `stats`, `delete` and `units` read and manage the file.

mod admin;
mod analysis;
mod concordance;
pub mod distance;
mod index;
pub mod limits;
mod lookup;
mod migrate;
mod new_file;
pub mod postings;
pub mod schema;
pub mod score;
pub mod search;
mod store;
pub mod tokens;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use admin::{DeleteFilter, LanguagePairStats, Languages, Stats, UnitRecord, Units};
pub use analysis::has_content;
pub use analysis::AnalyzedBatch;
pub use concordance::{ConcordanceHit, ConcordanceOptions, Highlight};
pub use lookup::{Hit, LookupOptions, Query};
pub use new_file::NewMemory;
pub use writer::{AddOutcome, OnDuplicate, WriteOptions, Writer};

use crate::error::{Error, ErrorKind, Result};
use schema::db_error;
use store::LangCache;

/// How a memory file is journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journal {
    /// Write-ahead log: the memory as everyone uses it.
    Wal,
    /// An in-memory rollback journal, no syncs: a new file no other process knows yet.
    Unshared,
}

impl Journal {
    /// Switches the connection's file to this journal mode (and its sync level).
    fn apply(self, conn: &Connection) -> Result<()> {
        let (mode, synchronous, cache_kib) = match self {
            // Readers never block the writer and a crash never corrupts.
            Journal::Wal => ("wal", "NORMAL", CACHE_KIB),
            // A file nobody else sees yet (see `NewMemory`): each page written once,
            // no syncs until it is published. Its pages are mostly appended and
            // seldom read again, so a small cache: they go to the file while the
            // import runs rather than all at its commit.
            Journal::Unshared => ("memory", "OFF", CACHE_KIB / 4),
        };
        let got: String = conn
            .query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get(0))
            .map_err(db_error)?;
        if !got.eq_ignore_ascii_case(mode) {
            return Err(Error::invalid(format!(
                "cannot switch the memory to journal mode {mode} (got {got})"
            )));
        }
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {synchronous}; PRAGMA cache_size = -{cache_kib};"
        ))
        .map_err(db_error)
    }
}

/// Makes the directory a new memory at `path` goes in, if missing; returns it (`.` for
/// a bare file name). Refused, naming it, where a file stands in the way.
fn make_parent_dir(path: &Path) -> Result<PathBuf> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Some(file) = dir.ancestors().find(|a| a.is_file()) {
        return Err(Error::invalid(format!(
            "cannot create the memory: {} is a file, not a directory",
            file.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(e, Some(dir)))?;
    writable(dir).map_err(|e| {
        Error::invalid(format!(
            "cannot create the memory: its folder {} is not writable ({e})",
            dir.display()
        ))
    })?;
    Ok(dir.to_path_buf())
}

/// A read-only connection to the memory file at `path`.
///
/// Readers of a memory (a WAL file) share the write-ahead log's index, `NAME-shm`,
/// which SQLite creates beside the file. Where it cannot — a read-only folder or
/// mount, another user's folder — the file is opened as immutable instead: nothing is
/// created, nothing is locked, and SQLite reads the file as it is (nobody can be
/// writing to it there). Refused, saying why, if the write-ahead log beside it holds
/// changes that such a reader could not see.
fn read_only_connection(path: &Path, busy_timeout: Duration) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let immutable = || -> Result<Connection> {
        let conn =
            Connection::open_with_flags(immutable_uri(path), flags | OpenFlags::SQLITE_OPEN_URI)
                .map_err(db_error)?;
        conn.query_row("PRAGMA application_id", [], |r| r.get::<_, i64>(0))
            .map_err(db_error)?;
        Ok(conn)
    };
    // No write-ahead log: no process has the memory open for writing. If nobody may
    // write to it (its permissions say so, or its folder is not writable), it is
    // read as immutable rather than leave journal files in a folder not ours.
    let wal = sidecar(path, "-wal");
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let read_only_file = std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly());
    if std::fs::symlink_metadata(&wal).is_err() && (read_only_file || writable(dir).is_err()) {
        return immutable();
    }
    let conn = Connection::open_with_flags(path, flags).map_err(db_error)?;
    conn.busy_timeout(busy_timeout).map_err(db_error)?;
    // The first read opens the write-ahead log and its index.
    let first = conn.query_row("PRAGMA application_id", [], |r| r.get::<_, i64>(0));
    let err = match first {
        Ok(_) => return Ok(conn),
        Err(err) => err,
    };
    let cannot_open = matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
    );
    drop(conn);
    if !cannot_open {
        return Err(db_error(err));
    }
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(Error::invalid(format!(
            "cannot read the memory here: its write-ahead log {} holds changes not yet in \
             the file, which SQLite reads only where it can create {} beside it ({}); run \
             any bitext command on the memory once where its folder is writable",
            wal.display(),
            sidecar(path, "-shm").display(),
            unwritable(path).unwrap_or_else(|| db_error(err).to_string()),
        )));
    }
    immutable()
}

/// `path` with `suffix` appended to its file name (SQLite's `-wal` and `-shm`).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The URI opening `path` read-only as an immutable file.
fn immutable_uri(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let mut uri = String::from("file:");
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

/// Why the memory at `path` cannot be written here, if it cannot: the file, or the
/// folder SQLite's journal files go in, is not writable by this process.
fn unwritable(path: &Path) -> Option<String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if path.exists() {
        if let Err(e) = writable(path) {
            return Some(format!(
                "cannot write to the memory: the file is not writable here ({e}); reading \
                 commands (lookup, concordance, stats, export) work"
            ));
        }
    }
    writable(dir).err().map(|e| {
        format!(
            "cannot write to the memory: its folder {} is not writable ({e}), and a write \
             creates SQLite's journal files there; reading commands (lookup, concordance, \
             stats, export) work",
            dir.display()
        )
    })
}

/// Whether this process may write to `path` (a file or a folder), as the system says:
/// a read-only mount refuses even the superuser.
fn writable(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
        if unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// SQLite's page cache per connection, in KiB.
const CACHE_KIB: u32 = 65536;

/// How to open a memory file.
#[derive(Debug, Clone)]
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

/// An open translation memory.
pub struct Memory {
    conn: Connection,
    path: Option<PathBuf>,
    langs: LangCache,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory").field("path", &self.path).finish()
    }
}

impl Memory {
    /// Opens (or, with `options.create`, creates) the memory at `path`, upgrading an
    /// older schema. Errors name the path.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<Memory> {
        Memory::open_inner(path, options).map_err(|e| e.in_file(path))
    }

    fn open_inner(path: &Path, options: &OpenOptions) -> Result<Memory> {
        if path.is_dir() {
            return Err(Error::invalid("is a directory, not a memory file"));
        }
        match std::fs::metadata(path) {
            // A device or a named pipe: SQLite would block on a pipe, or write
            // journal files beside a device.
            Ok(meta) if !meta.is_file() => {
                return Err(Error::invalid(
                    "is not a regular file (a device or a pipe), not a memory file",
                ));
            }
            // Read-only permissions are respected even by a user who could override
            // them (root): they say the memory must not change.
            Ok(meta) if !options.read_only && meta.permissions().readonly() => {
                return Err(Error::invalid(
                    "the memory file is read-only (its permissions forbid writing); make it \
                     writable to change it",
                ));
            }
            Ok(_) => {}
            Err(_) => {
                if !options.create || options.read_only {
                    return Err(Error::invalid(
                        "no memory here (create one with `bitext add` or `bitext import`)",
                    ));
                }
                make_parent_dir(path)?;
            }
        }
        if options.read_only {
            return Memory::open_read_only(path, options);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db_error)?;
        // SQLite opens a file it may not write read-only without a word; the first
        // write would then fail with a bare "unable to open database file".
        let writable = !conn.is_readonly(c"main").unwrap_or(false);
        if !writable {
            return Err(Error::invalid(
                unwritable(path).unwrap_or_else(|| "the memory is read-only".to_string()),
            ));
        }
        conn.busy_timeout(options.busy_timeout)
            .map_err(db_error)
            .and_then(|()| Memory::setup(conn, Some(path.to_path_buf()), false, Journal::Wal))
            .map_err(|err| match (err.kind(), unwritable(path)) {
                (ErrorKind::Database(_), Some(why)) => Error::invalid(why),
                _ => err,
            })
    }

    /// Opens the memory for reading, upgrading an outdated file first if it may.
    fn open_read_only(path: &Path, options: &OpenOptions) -> Result<Memory> {
        if Memory::outdated(path, options.busy_timeout)? {
            // Upgrade (or re-index) once through a writable connection, if we may.
            let writable = OpenOptions {
                create: false,
                read_only: false,
                ..options.clone()
            };
            drop(Memory::open_inner(path, &writable).map_err(|e| {
                Error::invalid(format!(
                    "this memory is from another version of bitext and must be upgraded, which \
                     needs write access: {e}"
                ))
            })?);
        }
        let conn = read_only_connection(path, options.busy_timeout)?;
        Memory::setup(conn, Some(path.to_path_buf()), true, Journal::Wal)
    }

    /// True if the file's schema or index is from another version of bitext.
    /// Waits up to `busy_timeout` (not SQLite's default 5 s) for a writer that holds
    /// the file exclusively, as when its last connection checkpoints on closing.
    fn outdated(path: &Path, busy_timeout: Duration) -> Result<bool> {
        let conn = read_only_connection(path, busy_timeout)?;
        let version = schema::version(&conn)?;
        if version == 0 {
            return Ok(false);
        }
        if version > schema::CURRENT_VERSION {
            return Err(schema::newer_version(version));
        }
        if version != schema::CURRENT_VERSION {
            return Ok(true);
        }
        let tokenizer: Option<u32> =
            store::meta_get(&conn, "tokenizer_version")?.and_then(|v| v.parse().ok());
        Ok(tokenizer != Some(tokens::TOKENIZER_VERSION))
    }

    /// A memory that lives in RAM only (for tests and one-off work).
    pub fn in_memory() -> Result<Memory> {
        let conn = Connection::open_in_memory().map_err(db_error)?;
        Memory::setup(conn, None, false, Journal::Wal)
    }

    fn setup(
        mut conn: Connection,
        path: Option<PathBuf>,
        read_only: bool,
        journal: Journal,
    ) -> Result<Memory> {
        // Plans must not depend on bound values: otherwise (with STAT4 compiled in)
        // SQLite re-prepares a statement whenever a parameter changes.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(db_error)?;
        conn.set_prepared_statement_cache_capacity(64);
        // The cache size for readers and in-memory memories; a writer's journal
        // (`Journal::apply`) sets its own.
        conn.execute_batch(&format!(
            "PRAGMA cache_size = -{CACHE_KIB}; PRAGMA temp_store = MEMORY; \
                 PRAGMA mmap_size = 1073741824;"
        ))
        .map_err(db_error)?;
        let version = schema::version(&conn)?;
        // Refused before anything (the WAL switch) changes the file.
        if version > schema::CURRENT_VERSION {
            return Err(schema::newer_version(version));
        }
        if read_only {
            if version == 0 {
                return Err(Error::invalid("not a bitext memory (empty database)"));
            }
            if version != schema::CURRENT_VERSION {
                return Err(Error::invalid(format!(
                    "this memory has schema version {version}, this bitext uses version {}; \
                     open it once for writing to upgrade it",
                    schema::CURRENT_VERSION
                )));
            }
        } else {
            if version == 0 {
                // A new file: 16 KiB pages hold posting lists and packed units in fewer
                // pages than the default 4 KiB (fewer page writes and overflow chains).
                conn.execute_batch("PRAGMA page_size = 16384;")
                    .map_err(db_error)?;
            }
            if path.is_some() {
                journal.apply(&conn)?;
            }
            if version != schema::CURRENT_VERSION {
                schema::migrate(&mut conn, schema::MIGRATIONS)?;
            }
        }
        let tokenizer: u32 = store::meta_get(&conn, "tokenizer_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut memory = Memory {
            langs: LangCache::load(&conn)?,
            conn,
            path,
        };
        if tokenizer != tokens::TOKENIZER_VERSION {
            if read_only {
                return Err(Error::invalid(
                    "this memory was indexed by another version of bitext; open it once for \
                     writing to re-index it",
                ));
            }
            memory.reindex()?;
        }
        Ok(memory)
    }

    /// A read transaction for the duration of a search (none if one is open already):
    /// the search sees one snapshot, and SQLite does not lock and unlock the file
    /// around every statement.
    pub(crate) fn read_snapshot(&self) -> Result<Option<rusqlite::Transaction<'_>>> {
        if !self.conn.is_autocommit() {
            return Ok(None);
        }
        self.conn
            .unchecked_transaction()
            .map(Some)
            .map_err(db_error)
    }

    /// Changes how long a write waits for another process's write to finish (set at
    /// open by [`OpenOptions::busy_timeout`]); `Duration::ZERO` fails at once.
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<()> {
        self.conn.busy_timeout(timeout).map_err(db_error)
    }

    /// The file's path (`None` for an in-memory one).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Starts a write transaction. Nothing is visible to others, or kept, until
    /// [`Writer::commit`]; dropping the writer rolls everything back.
    pub fn writer(&mut self, options: WriteOptions) -> Result<Writer<'_>> {
        Writer::new(self, options)
    }

    /// Rebuilds the fuzzy index (terms, postings, token sequences, words keys) from
    /// the stored texts, in one transaction. Needed when the tokenisation rules change.
    pub fn reindex(&mut self) -> Result<()> {
        let mut writer = self.writer(WriteOptions::default())?;
        writer.rebuild_index()?;
        writer.commit()
    }
}

#[cfg(test)]
mod tests;
