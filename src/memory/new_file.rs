//! A memory made in a new file: built unseen, then published whole.
//!
//! The first import into a memory that does not exist yet need not pay for the
//! write-ahead log, which writes every page twice (log, then file) and syncs both: no
//! other process can be reading a file that is not there. The memory is built in a
//! temporary file beside its path with an in-memory rollback journal (each file's
//! transaction can still be rolled back) and no syncs, then switched to WAL, synced,
//! and linked to its path only if nothing has appeared there meanwhile. A crash before
//! that leaves the temporary file and no memory; never a half-built one.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::db::{db_error, DbResultExt};
use super::open::{self, Journal};
use super::{Memory, OpenOptions};
use crate::error::{Error, Result};

/// A memory being built in a new file (see [`Memory::create_new`]). Dropped without
/// [`NewMemory::publish`], it removes its temporary file.
#[derive(Debug)]
pub struct NewMemory {
    memory: Option<Memory>,
    temp: PathBuf,
    target: PathBuf,
    options: OpenOptions,
}

/// [`Memory::create_new`] (whose errors name `path`).
pub(super) fn create_new(path: &Path, options: &OpenOptions) -> Result<NewMemory> {
    let exists = || std::fs::symlink_metadata(path).is_ok();
    let exists_already = || Error::invalid("exists already; a new memory needs a free name");
    if exists() {
        return Err(exists_already());
    }
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid("is not a file name"))?
        .to_string_lossy()
        .into_owned();
    let dir = open::make_parent_dir(path)?;
    let temp = dir.join(format!(".{name}.bitext-new-{}.tmp", std::process::id()));
    // One left by an earlier process with the same id, killed: nobody else uses it.
    let _ = std::fs::remove_file(&temp);
    claim(&dir, &name, &temp, options.busy_timeout, exists)?;
    if exists() {
        let _ = std::fs::remove_file(&temp);
        return Err(exists_already());
    }
    let conn = Connection::open_with_flags(
        &temp,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .db()?;
    let mut new = NewMemory {
        memory: None,
        temp: temp.clone(),
        target: path.to_path_buf(),
        options: options.clone(),
    };
    conn.busy_timeout(options.busy_timeout).db()?;
    new.memory = Some(open::setup(conn, Some(temp), false, Journal::Unshared)?);
    Ok(new)
}

/// Makes `temp` the only build of a memory called `name` in `dir`: creates it, then
/// looks for the temporary file of another bitext process building the same memory.
/// If there is one, `temp` goes again and this process waits (up to `wait`) until the
/// other has finished, then tries again; it stops waiting when the memory is there
/// (`made()`), which the caller then opens. Each process creates its file before it
/// looks, so of two that start together at least the later one sees the other: never
/// do both build (both may step back, and then try again after a pause that differs).
/// Without `/proc` (where it cannot be told whose files are live) there is no waiting:
/// the second to finish is refused at publishing, as before.
fn claim(
    dir: &Path,
    name: &str,
    temp: &Path,
    wait: Duration,
    made: impl Fn() -> bool,
) -> Result<()> {
    let deadline = Instant::now() + wait;
    // Differs between processes, so that two that stepped back together do not meet again.
    let mut pause = Duration::from_millis(10 + u64::from(std::process::id() % 37));
    loop {
        remove_abandoned(dir, name);
        std::fs::File::create(temp).map_err(|e| Error::io(e, Some(temp)))?;
        let Some(other) = other_builder(dir, name) else {
            return Ok(());
        };
        let _ = std::fs::remove_file(temp);
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::invalid(format!(
                "another bitext process (id {other}) is making this memory and had not \
                 finished after {} s (--wait): run the command again when it has, or wait longer",
                wait.as_secs_f64()
            )));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(250));
        if made() {
            return Ok(());
        }
    }
}

/// The id of another live bitext process building a memory called `name` in `dir`
/// (its temporary file is there and it runs the same program as this one), if any.
fn other_builder(dir: &Path, name: &str) -> Option<u32> {
    let proc = Path::new("/proc");
    let own = std::fs::read(proc.join("self").join("comm")).ok()?;
    let prefix = format!(".{name}.bitext-new-");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            entry
                .file_name()
                .to_str()
                .and_then(|f| f.strip_prefix(&prefix))
                .and_then(|f| f.strip_suffix(".tmp"))
                .and_then(|pid| pid.parse::<u32>().ok())
        })
        .find(|&pid| {
            pid != std::process::id()
                && std::fs::read(proc.join(pid.to_string()).join("comm")).is_ok_and(|c| c == own)
        })
}

impl NewMemory {
    /// The temporary file the memory is built in (for a caller that must remove it
    /// if the process is interrupted).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// The memory being built.
    pub fn memory(&mut self) -> &mut Memory {
        self.memory
            .as_mut()
            .expect("a NewMemory holds its memory until published")
    }

    /// Puts the memory at its path, switched to WAL and synced, and opens it there
    /// as usual. Fails, keeping nothing, if a file appeared at the path meanwhile
    /// (another process made a memory there).
    pub fn publish(mut self) -> Result<Memory> {
        let target = self.target.clone();
        self.publish_inner().map_err(|e| e.in_file(&target))?;
        Memory::open(&target, &self.options)
    }

    fn publish_inner(&mut self) -> Result<()> {
        let memory = self.memory.take().expect("published once");
        Journal::Wal.apply(&memory.conn)?;
        memory.conn.close().map_err(|(_, e)| db_error(e))?;
        let io = |e| Error::io(e, Some(&self.temp));
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        let taken = || {
            Error::invalid(
                "another process made a memory here while this one was being built; \
                 nothing was kept: run the command again",
            )
        };
        match std::fs::hard_link(&self.temp, &self.target) {
            Ok(()) => {
                let _ = std::fs::remove_file(&self.temp);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(taken()),
            // No hard links on this file system: a rename, which would replace a file,
            // so only if there is none.
            Err(_) => {
                if std::fs::symlink_metadata(&self.target).is_ok() {
                    return Err(taken());
                }
                std::fs::rename(&self.temp, &self.target)
                    .map_err(|e| Error::io(e, Some(&self.target)))?;
            }
        }
        sync_dir(&self.target);
        Ok(())
    }
}

impl Drop for NewMemory {
    fn drop(&mut self) {
        // Not published (an error, or publish failed): the temporary file goes.
        drop(self.memory.take());
        if std::fs::symlink_metadata(&self.temp).is_ok() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Removes the temporary files that killed processes left while building a memory
/// called `name` in `dir`: those whose process is gone. Where that cannot be told (no
/// `/proc`), they stay, safe to delete by hand.
fn remove_abandoned(dir: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.bitext-new-");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|f| f.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !proc.join(pid.to_string()).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Syncs the directory holding `path`, so that its new name survives a power loss
/// (where directories can be opened: Unix).
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::WriteOptions;
    use crate::text::LangTag;
    use crate::unit::TranslationUnit;

    fn unit(i: usize) -> TranslationUnit {
        TranslationUnit::pair(
            LangTag::parse("en").unwrap(),
            format!("Sentence {i}."),
            LangTag::parse("ru").unwrap(),
            format!("Предложение {i}."),
        )
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn build(path: &Path, n: usize) -> NewMemory {
        let mut new = Memory::create_new(path, &OpenOptions::default()).unwrap();
        let units: Vec<TranslationUnit> = (0..n).map(unit).collect();
        let mut w = new.memory().writer(WriteOptions::default()).unwrap();
        w.add_batch(&units).unwrap();
        w.commit().unwrap();
        new
    }

    #[test]
    fn a_published_memory_is_complete_and_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tm.sqlite");
        let new = build(&path, 100);
        assert!(!path.exists(), "unseen until published");
        let memory = new.publish().unwrap();
        assert_eq!(memory.units().count(), 100);
        let mode: String = memory
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(memory);
        assert_eq!(names(dir.path()), ["tm.sqlite"]);
        let again = Memory::open(&path, &OpenOptions::default()).unwrap();
        assert_eq!(again.units().count(), 100);
    }

    #[test]
    fn an_unpublished_memory_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tm.sqlite");
        drop(build(&path, 10));
        assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
    }

    #[test]
    fn a_memory_made_meanwhile_by_another_process_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tm.sqlite");
        let new = build(&path, 10);
        // Another process creates the memory while this one builds its own.
        let mut other = Memory::open(
            &path,
            &OpenOptions {
                create: true,
                ..OpenOptions::default()
            },
        )
        .unwrap();
        let mut w = other.writer(WriteOptions::default()).unwrap();
        w.add(&unit(1000)).unwrap();
        w.commit().unwrap();
        drop(other);
        let err = new.publish().unwrap_err();
        assert!(
            err.to_string()
                .contains("another process made a memory here"),
            "{err}"
        );
        assert!(err.to_string().contains("tm.sqlite"), "{err}");
        let kept = Memory::open(&path, &OpenOptions::default()).unwrap();
        assert_eq!(kept.units().count(), 1);
        drop(kept);
        assert_eq!(names(dir.path()), ["tm.sqlite"]);
    }

    #[cfg(unix)]
    #[test]
    fn files_abandoned_by_killed_builds_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tm.sqlite");
        // A process that is gone (pids stay below 2^22 on Linux), and one that runs.
        let gone = dir.path().join(".tm.sqlite.bitext-new-4999999.tmp");
        let running = dir.path().join(format!(
            ".tm.sqlite.bitext-new-{}.tmp",
            std::os::unix::process::parent_id()
        ));
        let other = dir.path().join(".other.sqlite.bitext-new-4999999.tmp");
        for f in [&gone, &running, &other] {
            std::fs::write(f, "").unwrap();
        }
        build(&path, 1).publish().unwrap();
        let names = names(dir.path());
        let expected_gone = Path::new("/proc/self").exists();
        assert_eq!(gone.exists(), !expected_gone, "{names:?}");
        assert!(running.exists(), "{names:?}");
        assert!(other.exists(), "{names:?}");
    }

    #[test]
    fn an_existing_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tm.sqlite");
        std::fs::write(&path, "").unwrap();
        let err = Memory::create_new(&path, &OpenOptions::default()).unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
        assert_eq!(names(dir.path()), ["tm.sqlite"]);
    }
}
