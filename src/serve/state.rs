//! The server's configuration and shared state: the memory's read connections and
//! its one writer.
//!
//! Short reads (a lookup, the stats) run where the request is, on the runtime's
//! worker threads, each with a read connection of its own (a thread-local): with as
//! many workers as cores, no request waits for a hand-off to another thread or a
//! lock. Long reads (batches, concordance, export, pretranslation) and writes run on
//! tokio's blocking threads, readers from a small pool. Every read connection has a
//! cancel token: short reads stop at the request timeout, long ones when the request
//! is dropped (timed out, or its client gone).
//!
//! Writes (an import, the concordance index's background update) run on a pool of
//! their own whose threads have a lower scheduling priority (nice
//! [`WRITE_NICENESS`]): on a busy server the CPU goes to the lookups first and an
//! import takes what they leave; on an idle one it runs at full speed.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use super::error::{ApiError, ApiResult};
use crate::error::Result;
use crate::memory::{Cancel, Memory, OpenOptions};

/// How the server runs: which memory, where it listens, who may do what, its limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// The memory file.
    pub tm: PathBuf,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The bearer token writes (and, with `read_token`, reads) need; `None`: the
    /// server refuses writes.
    pub token: Option<String>,
    /// Reads need the token too.
    pub read_token: bool,
    /// Serve reads only, even if the memory could be written.
    pub read_only: bool,
    /// The largest request body (bytes), imports aside.
    pub max_body: usize,
    /// The largest import body (bytes).
    pub max_import: u64,
    /// The longest request target (path and query string, bytes).
    pub max_query: usize,
    /// How long a request may take (imports and exports aside, which stream).
    pub timeout: Duration,
    /// Origins allowed by CORS (none: CORS off).
    pub cors_origins: Vec<String>,
    /// Logs as JSON lines instead of text.
    pub log_json: bool,
    /// How long a write waits for another process's write to the memory.
    pub wait: Duration,
    /// The runtime's worker threads, which run short reads themselves (see
    /// `AppState::read_now`).
    pub workers: usize,
}

impl Config {
    /// A configuration with the defaults for the memory at `tm`: localhost:8080, no
    /// token (read-only), 16 MiB bodies, 1 GiB imports, 64 KiB request targets,
    /// 30 s per request, no CORS, twice as many workers as cores.
    pub fn new(tm: PathBuf) -> Config {
        Config {
            tm,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            read_token: false,
            read_only: false,
            max_body: 16 << 20,
            max_import: 1 << 30,
            max_query: 64 << 10,
            timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            log_json: false,
            wait: Duration::from_secs(10),
            workers: default_workers(),
        }
    }
}

/// Twice the cores: a worker answers a lookup itself, start to end, so with one per
/// core the server's reads would get only two threads' share of the CPU beside an
/// import's threads or other processes; a few more keep them their due, at the
/// cost of a connection each.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

/// Most read connections kept open for the blocking pool's reads (more are opened
/// when more such requests read at once, and closed after).
const POOL_KEPT: usize = 16;

/// A read connection, with the token that stops its work.
struct Reader {
    memory: Memory,
    cancel: Cancel,
}

impl Reader {
    /// Opens a read connection to the memory at `path`, with its cancel token.
    fn open(path: &Path, wait: Duration) -> Result<Reader> {
        let mut memory = Memory::open(
            path,
            &OpenOptions {
                create: false,
                read_only: true,
                busy_timeout: wait,
            },
        )?;
        let cancel = Cancel::new();
        memory.set_cancel(Some(cancel.clone()))?;
        Ok(Reader { memory, cancel })
    }
}

thread_local! {
    /// The read connection of this thread (a runtime worker's, for short reads), and
    /// the id of the server it reads for.
    static LOCAL_READER: RefCell<Option<(u64, Reader)>> = const { RefCell::new(None) };
}

/// Ids of the servers of this process, so that a thread's reader is never one of
/// another server's (tests run several).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What every request shares.
pub struct AppState {
    /// The configuration.
    pub config: Config,
    /// This server's id (see [`NEXT_ID`]).
    id: u64,
    /// Idle read connections of the blocking pool's reads.
    readers: Mutex<Vec<Reader>>,
    /// The one connection that writes (`None`: the server is read-only, for the
    /// reason in `read_only`). An async lock: a write waits for the one before it
    /// only until its deadline.
    writer: Option<Arc<tokio::sync::Mutex<Memory>>>,
    /// Why writes are refused, if they are.
    pub read_only: Option<String>,
    /// A background update of the concordance index is running.
    concordance_running: AtomicBool,
    /// The server is stopping: background work ends after its current step.
    stopping: AtomicBool,
    /// The threads writes run on (see [`WRITE_NICENESS`]); `None` when read-only.
    write_pool: Option<rayon::ThreadPool>,
}

/// The niceness of the write pool's threads (0 is normal, 19 the lowest priority):
/// Linux's scheduler then gives them about a tenth of the weight of a reader's
/// thread when both want the CPU. Threads they start (an import's reader) inherit it.
pub const WRITE_NICENESS: i32 = 10;

/// A pool of one thread per core whose threads run at [`WRITE_NICENESS`].
fn low_priority_pool() -> Result<rayon::ThreadPool> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("bitext-write-{i}"))
        .start_handler(|_| lower_this_threads_priority())
        .build()
        .map_err(|e| crate::error::Error::invalid(format!("cannot start the write threads: {e}")))
}

/// Lowers the calling thread's priority (on Linux, niceness is per thread). Best
/// effort: a failure leaves the thread at normal priority, which is only slower.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread's own id.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        if libc::setpriority(libc::PRIO_PROCESS, tid, WRITE_NICENESS) != 0 {
            tracing::debug!("the write threads run at normal priority");
        }
    }
}

impl AppState {
    /// Opens the memory: a writer if the server may write (creating the memory if it
    /// does not exist), else read connections only.
    pub fn open(config: Config) -> Result<Arc<AppState>> {
        let path = config.tm.clone();
        let mut reason = if config.read_only {
            Some("the server was started with --read-only".to_string())
        } else if config.token.is_none() {
            Some(
                "the server is read-only: no token is configured (--token-file or \
                 BITEXT_SERVE_TOKEN)"
                    .to_string(),
            )
        } else {
            None
        };
        if reason.is_none() {
            reason = not_writable(&path);
        }
        let writer = match reason {
            Some(_) => None,
            None => {
                let writer = Memory::open(
                    &path,
                    &OpenOptions {
                        create: true,
                        read_only: false,
                        busy_timeout: config.wait,
                    },
                )?;
                // Checkpoints run after each write at normal priority (`checkpoint`).
                writer.set_auto_checkpoint(false)?;
                Some(Arc::new(tokio::sync::Mutex::new(writer)))
            }
        };
        let write_pool = match writer {
            Some(_) => Some(low_priority_pool()?),
            None => None,
        };
        let state = AppState {
            write_pool,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            readers: Mutex::new(Vec::new()),
            writer,
            read_only: reason,
            config,
            concordance_running: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
        };
        // One reader now: a memory that cannot be read fails at start, not at the
        // first request.
        let first = state.open_reader()?;
        state.check_in(first);
        Ok(Arc::new(state))
    }

    fn open_reader(&self) -> Result<Reader> {
        Reader::open(&self.config.tm, self.config.wait)
    }

    /// An idle reader (each read catches up with what was written since its last
    /// by itself: `Memory` checks SQLite's `data_version`), else a new one.
    fn check_out(&self) -> Result<Reader> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(reader) => Ok(reader),
            None => self.open_reader(),
        }
    }

    fn check_in(&self, reader: Reader) {
        reader.cancel.reset();
        let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < POOL_KEPT {
            idle.push(reader);
        }
    }

    /// Runs a short read (one lookup, the languages) at once, on this thread with its
    /// own read connection: no hand-off to another thread, no lock. The work stops
    /// at the request timeout (the memory's cancel token), as nothing can interrupt
    /// it from outside while it runs. Only for work bounded like one lookup: the
    /// thread is a runtime worker, serving other connections when it is done.
    pub fn read_now<T>(&self, f: impl FnOnce(&Memory) -> ApiResult<T>) -> ApiResult<T> {
        LOCAL_READER.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().is_none_or(|(id, _)| *id != self.id) {
                *slot = Some((self.id, self.open_reader()?));
            }
            let Some((_, reader)) = slot.as_mut() else {
                unreachable!("the reader was opened above")
            };
            reader
                .cancel
                .set_deadline(Some(Instant::now() + self.config.timeout));
            let result = f(&reader.memory);
            reader.cancel.reset();
            result.map_err(|e| self.timed_out(e))
        })
    }

    /// Runs `f` with a read connection on a blocking thread (long reads: batches,
    /// concordance, export, pretranslation). If the request is dropped first (its
    /// timeout answered, or its client gone), the work is stopped: `f`'s reads fail
    /// with `Cancelled`.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Memory) -> ApiResult<T> + Send + 'static,
    {
        let state = Arc::clone(self);
        let cancel = Cancel::new();
        let guard = CancelOnDrop(Some(cancel.clone()));
        let result = tokio::task::spawn_blocking(move || {
            let mut reader = state.check_out()?;
            reader.memory.set_cancel(Some(cancel.clone()))?;
            let result = f(&reader.memory);
            if cancel.is_cancelled() {
                tracing::info!(
                    "the work of a request that timed out or whose client left was stopped"
                );
            }
            reader.memory.set_cancel(Some(reader.cancel.clone()))?;
            state.check_in(reader);
            result
        })
        .await?;
        guard.disarm();
        result.map_err(|e| self.timed_out(e))
    }

    /// A stopped request's error in the words of the timeout (its cancel token
    /// stops it at the timeout).
    fn timed_out(&self, err: ApiError) -> ApiError {
        if err.status == StatusCode::GATEWAY_TIMEOUT {
            return super::timeout_error(self.config.timeout);
        }
        err
    }

    /// Ends background work (the concordance index's update) after its current
    /// slice: a server told to stop does not wait for the index of a whole memory.
    pub fn stop_background(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Whether writes are refused, and why.
    pub fn check_writable(&self) -> ApiResult<()> {
        match &self.read_only {
            Some(reason) => Err(ApiError::with(StatusCode::FORBIDDEN, reason.clone())),
            None => Ok(()),
        }
    }

    /// Runs `f` with the writer on a blocking thread (one write at a time); after
    /// the answer, the concordance index is brought up to date in the background (a
    /// write of the server's own is never a reason for a later search to scan, nor
    /// for its answer to wait).
    ///
    /// The answer says what happened: a write still waiting for the writer at
    /// `deadline` is not done, one running then is stopped and rolled back (both
    /// answer the timeout), and so is one whose request is dropped (its client
    /// gone). A write is never done after its client was told it timed out.
    pub async fn write<T, F>(self: &Arc<Self>, deadline: Option<Instant>, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Memory) -> ApiResult<T> + Send + 'static,
    {
        self.check_writable()?;
        let Some(writer) = &self.writer else {
            return Err(ApiError::with(
                StatusCode::FORBIDDEN,
                "the server is read-only",
            ));
        };
        let cancel = Cancel::new();
        cancel.set_deadline(deadline);
        let guard = CancelOnDrop(Some(cancel.clone()));
        let lock = Arc::clone(writer).lock_owned();
        let mut memory = match deadline {
            Some(at) => tokio::time::timeout_at(at.into(), lock)
                .await
                .map_err(|_| {
                    tracing::info!(
                        "a write waited for another (an import?) until its limit and was not done"
                    );
                    super::timeout_error(self.config.timeout)
                })?,
            None => lock.await,
        };
        let state = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || {
            cancel.check()?;
            memory.set_cancel(Some(cancel.clone()))?;
            let result = state.in_write_pool(|| f(&mut memory));
            // The checkpoint runs whatever the write's outcome, without its token.
            let reset = memory.set_cancel(None);
            checkpoint(&memory);
            reset?;
            if result.is_err() && cancel.is_cancelled() {
                tracing::info!(
                    "a write that timed out or whose client left was stopped and rolled back"
                );
            }
            result
        })
        .await?;
        guard.disarm();
        if result.is_ok() {
            self.update_concordance_in_background();
        }
        result.map_err(|e| self.timed_out(e))
    }

    /// Runs `f` on the low-priority write pool (and its parallel work there too).
    fn in_write_pool<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match &self.write_pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    /// Brings the concordance index up to date in the background, in slices of
    /// [`CONCORDANCE_SLICE`] units, each a short transaction of the writer's: a
    /// write waits for one slice at most, not for the whole (minutes, on a large
    /// memory just imported; searches meanwhile scan what is not indexed). One
    /// update runs at a time, until nothing is left.
    pub fn update_concordance_in_background(self: &Arc<Self>) {
        if self.writer.is_none() || self.concordance_running.swap(true, Ordering::AcqRel) {
            return;
        }
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || loop {
            while !state.stopping.load(Ordering::Acquire) {
                let more = state.in_write_pool(|| concordance_slice(&state));
                if let Some(writer) = &state.writer {
                    checkpoint(&writer.blocking_lock());
                }
                if !more {
                    break;
                }
            }
            if state.stopping.load(Ordering::Acquire) {
                return;
            }
            state.concordance_running.store(false, Ordering::Release);
            // A write that ended after the last slice found this update running and
            // left its units to it: look once more.
            let pending = state
                .writer
                .as_ref()
                .and_then(|w| w.blocking_lock().concordance_pending().ok());
            if pending.unwrap_or(0) == 0 || state.concordance_running.swap(true, Ordering::AcqRel) {
                return;
            }
        });
    }
}

/// Copies the write-ahead log back into the file after a write, on the calling
/// thread: a blocking thread of normal priority, not the write pool's. Until the
/// copy is done, readers read the pages the write committed from the log (a hash
/// lookup and a copy each, in every reader's own cache) instead of mapping them
/// from the file; left to SQLite's automatic checkpoint, the copy ran on the
/// low-priority writer thread while those slower readers took the CPU from it, and
/// after a 100k import they stayed saturated for seconds. A failure is logged: the
/// next write's checkpoint, or the last connection's close, does the copy.
fn checkpoint(memory: &Memory) {
    if let Err(err) = memory.checkpoint() {
        tracing::warn!(error = %err, "the write-ahead log was not copied back into the memory");
    }
}

/// Units of the concordance index added per transaction in the background.
const CONCORDANCE_SLICE: u64 = 10_000;

/// Adds one slice of what the concordance index lacks; whether there may be more. A
/// failure (another process writing) only leaves searches slower, and is logged.
fn concordance_slice(state: &AppState) -> bool {
    let Some(writer) = &state.writer else {
        return false;
    };
    let mut memory = writer.blocking_lock();
    match memory.concordance_pending() {
        Ok(0) => false,
        Ok(pending) => {
            tracing::debug!(pending, "updating the concordance index");
            match memory.update_concordance_some(CONCORDANCE_SLICE) {
                Ok(0) => false,
                Ok(added) => {
                    if i64::try_from(added).is_ok_and(|a| a >= pending) {
                        tracing::info!("the concordance index is up to date");
                    }
                    true
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the concordance index was not updated");
                    false
                }
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the concordance index");
            false
        }
    }
}

/// Cancels its token when dropped before [`CancelOnDrop::disarm`]: a request future
/// dropped while its blocking work runs (timed out, or its client gone) stops that
/// work.
struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = self.0.take() {
            cancel.cancel();
        }
    }
}

/// Why the memory at `path` cannot be written, if it cannot: the file's permissions,
/// or a folder SQLite cannot write its journal in (as `lookup` reads such memories).
/// Clients see this: it names the file, not where it is on the server.
fn not_writable(path: &Path) -> Option<String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "memory".into(), |n| n.to_string_lossy());
    if std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly()) {
        return Some(format!(
            "the memory {name} is read-only (its file permissions): the server serves reads only"
        ));
    }
    if path.exists() && !dir_writable(dir) {
        return Some(format!(
            "the folder of the memory {name} is not writable: the server serves reads only"
        ));
    }
    None
}

/// Whether files can be made in `dir` (tried, as permissions alone do not say: a
/// read-only mount, root).
fn dir_writable(dir: &Path) -> bool {
    tempfile::Builder::new()
        .prefix(".bitext-serve-probe")
        .tempfile_in(dir)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::WriteOptions;
    use crate::text::LangTag;
    use crate::unit::TranslationUnit;

    fn writable(dir: &Path) -> Arc<AppState> {
        let mut config = Config::new(dir.join("memory.sqlite"));
        config.token = Some("secret".into());
        AppState::open(config).unwrap()
    }

    fn unit(k: usize) -> TranslationUnit {
        let (en, ru) = (LangTag::parse("en").unwrap(), LangTag::parse("ru").unwrap());
        TranslationUnit::pair(en, format!("Line {k}."), ru, format!("Строка {k}."))
    }

    /// A write still running at its deadline is stopped there and rolled back: its
    /// answer (the timeout) is the truth.
    #[tokio::test]
    async fn a_write_running_past_its_deadline_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let state = writable(dir.path());
        let deadline = Instant::now() + Duration::from_millis(100);
        let err = state
            .write(Some(deadline), |memory| {
                let mut writer = memory.writer(WriteOptions::default())?;
                writer.add(&unit(1))?;
                std::thread::sleep(Duration::from_millis(300));
                writer.add(&unit(2))?;
                writer.commit()?;
                Ok(())
            })
            .await
            .unwrap_err();
        assert_eq!(err.status, StatusCode::GATEWAY_TIMEOUT, "{}", err.message);
        let units = state.write(None, |m| Ok(m.stats()?.units)).await.unwrap();
        assert_eq!(units, 0);
        // Within its deadline, the same write is done.
        let deadline = Instant::now() + Duration::from_secs(60);
        state
            .write(Some(deadline), |memory| {
                let mut writer = memory.writer(WriteOptions::default())?;
                writer.add(&unit(1))?;
                writer.commit()?;
                Ok(())
            })
            .await
            .unwrap();
        let units = state.write(None, |m| Ok(m.stats()?.units)).await.unwrap();
        assert_eq!(units, 1);
    }
}
