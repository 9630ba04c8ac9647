//! SQLite errors as library errors: every database call of the memory ends in
//! `.db()?`, which says what the failure means for the user (busy, damaged, full).

use crate::error::{Error, ErrorKind, Location, Result};

/// `.db()`: a database result as a library result (see [`db_error`]).
pub(crate) trait DbResultExt<T> {
    /// The value, or the database error as a library error.
    fn db(self) -> Result<T>;
}

impl<T> DbResultExt<T> for rusqlite::Result<T> {
    #[inline]
    fn db(self) -> Result<T> {
        self.map_err(db_error)
    }
}

/// A column that does not hold the type asked for (a damaged row).
impl<T> DbResultExt<T> for std::result::Result<T, rusqlite::types::FromSqlError> {
    #[inline]
    fn db(self) -> Result<T> {
        self.map_err(|e| db_error(e.into()))
    }
}

/// A database error as a library error.
pub(crate) fn db_error(err: rusqlite::Error) -> Error {
    let kind = match &err {
        rusqlite::Error::SqliteFailure(e, _) => match e.code {
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                ErrorKind::Busy
            }
            // Only a `Cancel` token's progress handler interrupts a statement.
            rusqlite::ErrorCode::OperationInterrupted => ErrorKind::Cancelled,
            rusqlite::ErrorCode::DatabaseCorrupt => ErrorKind::Damaged(
                "the memory file is damaged (SQLite: database disk image is malformed); \
                 restore it from a backup"
                    .into(),
            ),
            _ => ErrorKind::Database(describe(&err)),
        },
        _ => ErrorKind::Database(describe(&err)),
    };
    Error::new(kind, Location::default())
}

fn describe(err: &rusqlite::Error) -> String {
    match err {
        rusqlite::Error::SqliteFailure(e, msg) => match e.code {
            rusqlite::ErrorCode::NotADatabase => {
                "not a bitext memory (not an SQLite file)".to_string()
            }
            rusqlite::ErrorCode::ReadOnly => "the memory is read-only".to_string(),
            rusqlite::ErrorCode::DiskFull => "the disk is full".to_string(),
            _ => match msg {
                Some(m) => format!("database error: {m}"),
                None => format!("database error: {e}"),
            },
        },
        other => format!("database error: {other}"),
    }
}
