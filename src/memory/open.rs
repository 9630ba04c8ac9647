//! Opening a memory file: creating it (and its folder), upgrading an older schema,
//! choosing the journal, and the read-only connections that work where SQLite cannot
//! write its journal files. Every refusal says why, naming the file.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::db::{db_error, DbResultExt};
use super::store::{self, LangCache};
use super::{migrate, schema, tokens, Memory, OpenOptions};
use crate::error::{Error, ErrorKind, Result};

/// How a memory file is journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Journal {
    /// Write-ahead log: the memory as everyone uses it.
    Wal,
    /// An in-memory rollback journal, no syncs: a new file no other process knows yet.
    Unshared,
}

impl Journal {
    /// Switches the connection's file to this journal mode (and its sync level).
    pub(super) fn apply(self, conn: &Connection) -> Result<()> {
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
            .db()?;
        if !got.eq_ignore_ascii_case(mode) {
            return Err(Error::invalid(format!(
                "cannot switch the memory to journal mode {mode} (got {got})"
            )));
        }
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {synchronous}; PRAGMA cache_size = -{cache_kib};"
        ))
        .db()
    }
}

/// Makes the directory a new memory at `path` goes in, if missing; returns it (`.` for
/// a bare file name). Refused, naming it, where a file stands in the way.
pub(super) fn make_parent_dir(path: &Path) -> Result<PathBuf> {
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
                .db()?;
        conn.query_row("PRAGMA application_id", [], |r| r.get::<_, i64>(0))
            .db()?;
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
    let conn = Connection::open_with_flags(path, flags).db()?;
    conn.busy_timeout(busy_timeout).db()?;
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

/// [`Memory::open`].
pub(super) fn open(path: &Path, options: &OpenOptions) -> Result<Memory> {
    open_inner(path, options).map_err(|e| e.in_file(path))
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
        return open_read_only(path, options);
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .db()?;
    // SQLite opens a file it may not write read-only without a word; the first
    // write would then fail with a bare "unable to open database file".
    let writable = !conn.is_readonly(c"main").unwrap_or(false);
    if !writable {
        return Err(Error::invalid(
            unwritable(path).unwrap_or_else(|| "the memory is read-only".to_string()),
        ));
    }
    conn.busy_timeout(options.busy_timeout)
        .db()
        .and_then(|()| setup(conn, Some(path.to_path_buf()), false, Journal::Wal))
        .map_err(|err| match (err.kind(), unwritable(path)) {
            (ErrorKind::Database(_), Some(why)) => Error::invalid(why),
            _ => err,
        })
}

/// Opens the memory for reading, upgrading an outdated file first if it may.
fn open_read_only(path: &Path, options: &OpenOptions) -> Result<Memory> {
    if outdated(path, options.busy_timeout)? {
        // Upgrade (or re-index) once through a writable connection, if we may.
        let writable = OpenOptions {
            create: false,
            read_only: false,
            ..options.clone()
        };
        drop(open_inner(path, &writable).map_err(|e| {
            Error::invalid(format!(
                "this memory is from another version of bitext and must be upgraded, which \
                 needs write access: {e}"
            ))
        })?);
    }
    let conn = read_only_connection(path, options.busy_timeout)?;
    setup(conn, Some(path.to_path_buf()), true, Journal::Wal)
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

/// [`Memory::in_memory`].
pub(super) fn in_memory() -> Result<Memory> {
    let conn = Connection::open_in_memory().db()?;
    setup(conn, None, false, Journal::Wal)
}

pub(super) fn setup(
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
    .db()?;
    conn.set_prepared_statement_cache_capacity(64);
    // The cache size for readers and in-memory memories; a writer's journal
    // (`Journal::apply`) sets its own.
    conn.execute_batch(&format!(
        "PRAGMA cache_size = -{CACHE_KIB}; PRAGMA temp_store = MEMORY; \
             PRAGMA mmap_size = 1073741824;"
    ))
    .db()?;
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
            conn.execute_batch("PRAGMA page_size = 16384;").db()?;
        }
        if path.is_some() {
            journal.apply(&conn)?;
        }
        if version != schema::CURRENT_VERSION {
            migrate::migrate(&mut conn, migrate::MIGRATIONS)?;
        }
    }
    let tokenizer: u32 = store::meta_get(&conn, "tokenizer_version")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut memory = Memory {
        data_version: Cell::new(store::data_version(&conn)?),
        langs: RefCell::new(LangCache::load(&conn)?),
        conn,
        path,
        cancel: None,
        languages: Default::default(),
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
