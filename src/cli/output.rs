//! Where a command's data goes: stdout, or a file written atomically (to a temporary
//! file beside it, renamed over the target only when everything was written). A device
//! or named pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: renaming a
//! file over it would replace the device node itself.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use tempfile::NamedTempFile;

/// Makes writing past the file-size limit (`ulimit -f`) an error (EFBIG) that is
/// reported and cleaned up like a full disk, instead of a signal that kills the process
/// and leaves its temporary file behind.
pub fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" installs no handler code and
    // is async-signal-safe; nothing else in the program handles SIGXFSZ.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// A buffered data sink; call [`Output::finish`] to complete it.
pub enum Output {
    /// Standard output.
    Stdout(BufWriter<io::Stdout>),
    /// A temporary file that becomes `path` on success.
    File {
        /// The temporary file, in the target's directory.
        writer: BufWriter<NamedTempFile>,
        /// The final path.
        path: PathBuf,
    },
    /// An existing file that is not a regular file (a device, a named pipe), written
    /// directly.
    Special {
        /// The open device or pipe.
        writer: BufWriter<File>,
        /// Its path.
        path: PathBuf,
    },
}

impl Output {
    /// Standard output, or an atomic file if `path` is given (and is not `-`).
    pub fn create(path: Option<&Path>) -> anyhow::Result<Output> {
        match path {
            None => Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            ))),
            Some(p) if p.as_os_str() == "-" => Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            ))),
            Some(path) => {
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                if path.is_dir() {
                    anyhow::bail!("{}: is a directory, not a file", path.display());
                }
                // Symbolic links are followed: /dev/stdout is a link to a pipe or tty.
                if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
                    let file = OpenOptions::new()
                        .write(true)
                        .open(path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    return Ok(Output::Special {
                        writer: BufWriter::with_capacity(1 << 16, file),
                        path: path.to_path_buf(),
                    });
                }
                if !dir.is_dir() {
                    anyhow::bail!(
                        "cannot write {}: the directory {} does not exist",
                        path.display(),
                        dir.display()
                    );
                }
                let mut builder = tempfile::Builder::new();
                builder.prefix(".bitext-").suffix(".tmp");
                // A normal file once renamed (0666 less the umask), not the owner-only
                // mode temporary files get by default.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    builder.permissions(std::fs::Permissions::from_mode(0o666));
                }
                let temp = builder.tempfile_in(dir).with_context(|| {
                    format!(
                        "cannot write {}: cannot create a file in {}",
                        path.display(),
                        dir.display()
                    )
                })?;
                Ok(Output::File {
                    writer: BufWriter::with_capacity(1 << 16, temp),
                    path: path.to_path_buf(),
                })
            }
        }
    }

    /// Flushes; for a file, syncs it to disk and renames it over the target.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Output::Stdout(mut w) => {
                w.flush()?;
                Ok(())
            }
            Output::File { writer, path } => {
                let temp = writer
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                temp.as_file()
                    .sync_all()
                    .with_context(|| format!("cannot write {}", path.display()))?;
                temp.persist(&path)
                    .map_err(|e| e.error)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok(())
            }
            Output::Special { mut writer, path } => writer
                .flush()
                .with_context(|| format!("cannot write {}", path.display())),
        }
    }

    fn describe(&self) -> String {
        match self {
            Output::Stdout(_) => "standard output".to_string(),
            Output::File { path, .. } | Output::Special { path, .. } => path.display().to_string(),
        }
    }

    /// Wraps an I/O error from writing with the destination's name. A broken pipe on
    /// stdout passes through unchanged so the caller can exit quietly.
    pub fn context(&self, err: io::Error) -> anyhow::Error {
        if err.kind() == io::ErrorKind::BrokenPipe {
            return err.into();
        }
        anyhow::Error::new(err).context(format!("cannot write {}", self.describe()))
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File { writer, .. } => writer.write(buf),
            Output::Special { writer, .. } => writer.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(buf),
            Output::File { writer, .. } => writer.write_all(buf),
            Output::Special { writer, .. } => writer.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File { writer, .. } => writer.flush(),
            Output::Special { writer, .. } => writer.flush(),
        }
    }
}
