//! Where a command's data goes: stdout, or a file written atomically (to a temporary
//! file beside it, renamed over the target only when everything was written). A device
//! or named pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: renaming a
//! file over it would replace the device node itself.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use tempfile::NamedTempFile;

use super::interrupt::{self, Registration};

/// Temporary outputs are `.bitext-PID-XXXXXX.tmp` beside their target.
const TEMP_PREFIX: &str = ".bitext-";
const TEMP_SUFFIX: &str = ".tmp";

/// Removes the temporary outputs that processes which are gone (killed, or the
/// machine stopped) left in `dir`: those named with the id of a process that does not
/// run. Where that cannot be told (no `/proc`), and for files of earlier versions
/// (no process id in the name), they stay, safe to delete by hand when no bitext runs.
fn remove_abandoned(dir: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|f| f.strip_prefix(TEMP_PREFIX))
            .and_then(|f| f.strip_suffix(TEMP_SUFFIX))
            .and_then(|f| f.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id()
            && !proc.join(pid.to_string()).exists()
            && entry.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

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

/// True if `path` is an existing SQLite database (by its header). A careless
/// `bitext export memory.sqlite` must not replace the memory with its own export.
fn is_sqlite_file(path: &Path) -> bool {
    let mut head = [0u8; 16];
    File::open(path)
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == b"SQLite format 3\0")
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
        /// Removes the temporary file if the process is interrupted.
        interrupt: Registration,
    },
    /// An existing file that is not a regular file (a device, a named pipe), written
    /// directly.
    Special {
        /// The open device or pipe.
        writer: BufWriter<File>,
        /// Its path.
        path: PathBuf,
    },
    /// Standard output (or a device, a pipe) written only when everything was: the
    /// data goes to an unnamed temporary file first (gone with the process whatever
    /// happens), copied out by [`Output::finish`].
    Spooled {
        /// The temporary file.
        writer: BufWriter<File>,
        /// Where it goes at the end.
        to: Box<Output>,
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
                if is_sqlite_file(path) {
                    anyhow::bail!(
                        "refusing to overwrite {}: it is an SQLite database (a translation \
                         memory?), not a file bitext writes; choose another output",
                        path.display()
                    );
                }
                if !dir.is_dir() {
                    anyhow::bail!(
                        "cannot write {}: the directory {} does not exist",
                        path.display(),
                        dir.display()
                    );
                }
                remove_abandoned(dir);
                let mut builder = tempfile::Builder::new();
                // The process id in the name tells a later run whose file it is.
                let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
                builder.prefix(&prefix).suffix(TEMP_SUFFIX);
                // A normal file once renamed (0666 less the umask), not the owner-only
                // mode temporary files get by default.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    builder.permissions(std::fs::Permissions::from_mode(0o666));
                }
                // Created and registered under the guard: a signal in between would
                // leave the file behind.
                let mut held = interrupt::hold();
                let temp = builder.tempfile_in(dir).with_context(|| {
                    format!(
                        "cannot write {}: cannot create a file in {}",
                        path.display(),
                        dir.display()
                    )
                })?;
                let interrupt = held.register(temp.path(), Some(path));
                drop(held);
                Ok(Output::File {
                    writer: BufWriter::with_capacity(1 << 16, temp),
                    path: path.to_path_buf(),
                    interrupt,
                })
            }
        }
    }

    /// As [`Output::create`], but standard output, a device or a pipe get the data
    /// only once it is complete: for a document that an error late in the input would
    /// leave half written (a file is atomic anyway).
    pub fn create_whole(path: Option<&Path>) -> anyhow::Result<Output> {
        let to = Output::create(path)?;
        if matches!(to, Output::File { .. }) {
            return Ok(to);
        }
        let temp = tempfile::tempfile().context("cannot make a temporary file")?;
        Ok(Output::Spooled {
            writer: BufWriter::with_capacity(1 << 16, temp),
            to: Box::new(to),
        })
    }

    /// Flushes; for a file, syncs it to disk and renames it over the target.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Output::Spooled { writer, mut to } => {
                let mut temp = writer
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .context("cannot write a temporary file")?;
                io::Seek::rewind(&mut temp).context("cannot read a temporary file")?;
                io::copy(&mut temp, &mut *to).map_err(|e| to.context(e))?;
                to.finish()
            }
            Output::Stdout(mut w) => {
                w.flush()?;
                Ok(())
            }
            Output::File {
                writer,
                path,
                interrupt,
            } => {
                let temp = writer
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                temp.as_file()
                    .sync_all()
                    .with_context(|| format!("cannot write {}", path.display()))?;
                // An interruption now waits for the rename: the file is either in
                // place or removed, and the message says which.
                let mut held = interrupt::hold();
                match temp.persist(&path) {
                    Ok(_) => {
                        interrupt.release(&mut held);
                        Ok(())
                    }
                    Err(e) => {
                        interrupt.release(&mut held);
                        Err(e.error).with_context(|| format!("cannot write {}", path.display()))
                    }
                }
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
            Output::Spooled { to, .. } => to.describe(),
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
            Output::Spooled { writer, .. } => writer.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(buf),
            Output::File { writer, .. } => writer.write_all(buf),
            Output::Special { writer, .. } => writer.write_all(buf),
            Output::Spooled { writer, .. } => writer.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File { writer, .. } => writer.flush(),
            Output::Special { writer, .. } => writer.flush(),
            Output::Spooled { writer, .. } => writer.flush(),
        }
    }
}
