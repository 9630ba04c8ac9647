//! The server's configuration and shared state: the memory's read connections (a
//! small pool, used on the blocking threads) and its one writer.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;

use super::error::{ApiError, ApiResult};
use crate::error::Result;
use crate::memory::{Memory, OpenOptions};

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
}

impl Config {
    /// A configuration with the defaults for the memory at `tm`: localhost:8080, no
    /// token (read-only), 16 MiB bodies, 1 GiB imports, 64 KiB request targets,
    /// 30 s per request, no CORS.
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
        }
    }
}

/// Most read connections kept open between requests (more are opened when more
/// requests read at once, and closed after).
const POOL_KEPT: usize = 16;

/// A read connection and the languages it knows. A connection learns the memory's
/// languages when it opens: one that a write has since given a new language is
/// replaced (its units in that language would be invisible to it).
struct Reader {
    memory: Memory,
    langs: Vec<String>,
}

/// The language tags a memory holds, in order.
fn held_langs(memory: &Memory) -> Result<Vec<String>> {
    Ok(memory
        .languages()?
        .languages
        .into_iter()
        .map(|(tag, _)| tag)
        .collect())
}

/// What every request shares.
pub struct AppState {
    /// The configuration.
    pub config: Config,
    /// Idle read connections, each with the languages the memory held when it was
    /// opened.
    readers: Mutex<Vec<Reader>>,
    /// The one connection that writes (`None`: the server is read-only, for the
    /// reason in `read_only`).
    writer: Option<Mutex<Memory>>,
    /// Why writes are refused, if they are.
    pub read_only: Option<String>,
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
            None => Some(Mutex::new(Memory::open(
                &path,
                &OpenOptions {
                    create: true,
                    read_only: false,
                    busy_timeout: config.wait,
                },
            )?)),
        };
        let state = AppState {
            readers: Mutex::new(Vec::new()),
            writer,
            read_only: reason,
            config,
        };
        // One reader now: a memory that cannot be read fails at start, not at the
        // first request.
        let first = state.open_reader()?;
        state.check_in(first);
        Ok(Arc::new(state))
    }

    fn open_reader(&self) -> Result<Reader> {
        let memory = Memory::open(
            &self.config.tm,
            &OpenOptions {
                create: false,
                read_only: true,
                busy_timeout: self.config.wait,
            },
        )?;
        let langs = held_langs(&memory)?;
        Ok(Reader { memory, langs })
    }

    /// An idle reader that knows every language of the memory, else a new one.
    fn check_out(&self) -> Result<Reader> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(reader) if held_langs(&reader.memory)? == reader.langs => Ok(reader),
            _ => self.open_reader(),
        }
    }

    fn check_in(&self, reader: Reader) {
        let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < POOL_KEPT {
            idle.push(reader);
        }
    }

    /// Runs `f` with a read connection on a blocking thread.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Memory) -> ApiResult<T> + Send + 'static,
    {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let reader = state.check_out()?;
            let result = f(&reader.memory);
            state.check_in(reader);
            result
        })
        .await?
    }

    /// Whether writes are refused, and why.
    pub fn check_writable(&self) -> ApiResult<()> {
        match &self.read_only {
            Some(reason) => Err(ApiError::with(StatusCode::FORBIDDEN, reason.clone())),
            None => Ok(()),
        }
    }

    /// Runs `f` with the writer on a blocking thread (one write at a time), then
    /// brings the concordance index up to date (a write of the server's own is
    /// never a reason for a later search to scan).
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Memory) -> ApiResult<T> + Send + 'static,
    {
        self.check_writable()?;
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let Some(writer) = &state.writer else {
                return Err(ApiError::with(
                    StatusCode::FORBIDDEN,
                    "the server is read-only",
                ));
            };
            let mut memory = writer.lock().unwrap_or_else(|p| p.into_inner());
            let result = f(&mut memory)?;
            update_concordance(&mut memory);
            Ok(result)
        })
        .await?
    }

    /// Brings the concordance index up to date at start, in the background (on a
    /// large memory just imported it takes a while; searches meanwhile scan).
    pub fn update_concordance_in_background(self: &Arc<Self>) {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            if let Some(writer) = &state.writer {
                let mut memory = writer.lock().unwrap_or_else(|p| p.into_inner());
                update_concordance(&mut memory);
            }
        });
    }
}

/// Adds what the concordance index lacks; a failure (another process writing) only
/// leaves searches slower, and is logged.
fn update_concordance(memory: &mut Memory) {
    match memory.concordance_pending() {
        Ok(0) => {}
        Ok(pending) => {
            tracing::info!(pending, "updating the concordance index");
            if let Err(err) = memory.update_concordance(|_| {}) {
                tracing::warn!(error = %err, "the concordance index was not updated");
            }
        }
        Err(err) => tracing::warn!(error = %err, "cannot read the concordance index"),
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
