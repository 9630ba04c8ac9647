//! `bitext serve`: one memory over HTTP for a team and its tools.
//!
//! * Its own JSON API under `/api/v1/` (lookup, concordance, units, import, export,
//!   stats, pretranslate, align, convert), described by the OpenAPI 3 document at
//!   `/openapi.json`. Its records are the CLI's JSON records.
//! * Compatibility routes for existing clients: translate-toolkit's tmserver
//!   (`/tmserver/…`, as Weblate's tmserver backend calls it) and MyMemory's
//!   `/get?q=&langpair=` (`/api/get` too).
//!
//! Short reads run on the runtime's workers, each with its own read connection;
//! long reads on a pool of read connections and writes through one writer, on
//! tokio's blocking threads (SQLite in WAL: reads never wait for a write; see
//! `state`). Writes need the
//! bearer token ([`Config::token`]); without one the server is read-only. Errors are
//! JSON `{"error": "…"}`: 4xx for the client's mistakes, never a panic.
//!
//! One file per job: `state` (configuration, connections), `error` (errors as JSON),
//! `extract` (query and body extractors with JSON refusals), `auth` (tokens),
//! `langs` (language parameters), `api_read`, `api_write`, `api_files` (export,
//! convert, pretranslate), `api_align`, `compat` (tmserver, MyMemory), `openapi`;
//! `page` the web page at `/` (search and alignment review).

mod api_align;
mod api_files;
mod api_read;
mod api_write;
mod auth;
mod compat;
mod error;
mod extract;
mod langs;
mod openapi;
pub mod page;
mod state;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put, MethodRouter};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// Routes served beside the API (the review page's), sharing its state.
pub type Routes = Router<Arc<AppState>>;
pub use state::{AppState, Config};

use crate::error::{Error, Result};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A read: open, or tokened with `--read-token`.
    Read,
    /// A write: needs the token, and a server that writes.
    Write,
}

/// Whether a route's work is bounded by the request timeout (streamed imports and
/// exports are not: they take as long as their data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timed {
    Yes,
    No,
}

/// A route: its path, method, access, and handler.
struct Route {
    path: &'static str,
    method: Method,
    access: Access,
    timed: Timed,
    handler: MethodRouter<Arc<AppState>>,
}

fn route(
    path: &'static str,
    method: Method,
    access: Access,
    timed: Timed,
    handler: MethodRouter<Arc<AppState>>,
) -> Route {
    Route {
        path,
        method,
        access,
        timed,
        handler,
    }
}

/// Every route. The router is built from this list, and a test checks that the
/// OpenAPI document describes each one.
fn routes() -> Vec<Route> {
    use Access::{Read, Write};
    vec![
        route(
            "/api/v1/lookup",
            Method::GET,
            Read,
            Timed::Yes,
            get(api_read::lookup),
        ),
        route(
            "/api/v1/lookup",
            Method::POST,
            Read,
            Timed::Yes,
            post(api_read::lookup_batch),
        ),
        route(
            "/api/v1/concordance",
            Method::GET,
            Read,
            Timed::Yes,
            get(api_read::concordance),
        ),
        route(
            "/api/v1/stats",
            Method::GET,
            Read,
            Timed::Yes,
            get(api_read::stats),
        ),
        route(
            "/api/v1/units",
            Method::POST,
            Write,
            Timed::Yes,
            post(api_write::add_units),
        ),
        route(
            "/api/v1/import",
            Method::POST,
            Write,
            Timed::No,
            post(api_write::import),
        ),
        route(
            "/api/v1/export",
            Method::GET,
            Read,
            Timed::No,
            get(api_files::export),
        ),
        route(
            "/api/v1/convert",
            Method::POST,
            Read,
            Timed::Yes,
            post(api_files::convert),
        ),
        route(
            "/api/v1/pretranslate",
            Method::POST,
            Read,
            Timed::Yes,
            post(api_files::pretranslate),
        ),
        route(
            "/api/v1/align",
            Method::POST,
            Read,
            Timed::Yes,
            post(api_align::align),
        ),
        route(
            "/tmserver/languages/",
            Method::GET,
            Read,
            Timed::Yes,
            get(compat::tm_languages),
        ),
        route(
            "/tmserver/languages",
            Method::GET,
            Read,
            Timed::Yes,
            get(compat::tm_languages),
        ),
        route(
            "/tmserver/{src}/{tgt}/unit/{*text}",
            Method::GET,
            Read,
            Timed::Yes,
            get(compat::tm_lookup),
        ),
        route(
            "/tmserver/{src}/{tgt}/unit/{*text}",
            Method::POST,
            Write,
            Timed::Yes,
            post(compat::tm_add),
        ),
        route(
            "/tmserver/{src}/{tgt}/unit/{*text}",
            Method::PUT,
            Write,
            Timed::Yes,
            put(compat::tm_add),
        ),
        route("/get", Method::GET, Read, Timed::Yes, get(compat::mymemory)),
        route(
            "/api/get",
            Method::GET,
            Read,
            Timed::Yes,
            get(compat::mymemory),
        ),
        route(
            "/openapi.json",
            Method::GET,
            Read,
            Timed::Yes,
            get(openapi::document),
        ),
    ]
}

/// The server's routes with their limits, authentication, logging and CORS. `extra`
/// is merged in first (the review page adds its routes there).
pub fn router(state: Arc<AppState>, extra: Routes) -> Router {
    let timeout = state.config.timeout;
    let mut app: Routes = extra;
    for Route {
        path,
        access,
        timed,
        method,
        handler,
    } in routes()
    {
        tracing::debug!(%method, path, ?access, "route");
        let handler = match access {
            Access::Read => handler.route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_read,
            )),
            Access::Write => handler.route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_write,
            )),
        };
        let handler = match (timed, access) {
            (Timed::Yes, Access::Read) => handler.route_layer(middleware::from_fn_with_state(
                (timeout, Duration::ZERO),
                time_limit,
            )),
            // A write stops at the deadline by itself and answers what happened;
            // the limit here only backs that up.
            (Timed::Yes, Access::Write) => handler.route_layer(middleware::from_fn_with_state(
                (timeout, WRITE_GRACE),
                time_limit,
            )),
            (Timed::No, _) => handler,
        };
        app = app.route(path, handler);
    }
    let max_body = state.config.max_body;
    let mut app = app
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), target_limit))
        .layer(TraceLayer::new_for_http());
    if let Some(cors) = cors(&state.config.cors_origins) {
        app = app.layer(cors);
    }
    app.with_state(state)
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
            ]),
    )
}

async fn not_found(request: Request) -> ApiError {
    ApiError::with(
        StatusCode::NOT_FOUND,
        format!(
            "no such route: {} (see /openapi.json)",
            request.uri().path()
        ),
    )
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::with(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} is not allowed on {} (see /openapi.json)",
            request.method(),
            request.uri().path()
        ),
    )
}

/// Refuses a request target (path and query string) longer than `--max-query`.
async fn target_limit(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let len = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    let max = state.config.max_query;
    if len > max {
        return ApiError::with(
            StatusCode::URI_TOO_LONG,
            format!(
                "the request's path and query are {len} bytes long; at most {max} are taken \
                 (send long texts in a POST body)"
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// When a timed request is due, for the handlers that stop their own work there
/// (writes: see `AppState::write`).
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub Instant);

/// How long after its deadline a write is answered 504 regardless: it has stopped
/// and rolled back by then unless its commit hangs.
const WRITE_GRACE: Duration = Duration::from_secs(5);

/// Answers 504 when a request takes longer than `--timeout` (plus `grace`), and
/// tells the handler its [`Deadline`]. (Work handed to a blocking thread is stopped
/// when its request is dropped; see `AppState::read`.)
async fn time_limit(
    State((timeout, grace)): State<(Duration, Duration)>,
    mut request: Request,
    next: Next,
) -> Response {
    request
        .extensions_mut()
        .insert(Deadline(Instant::now() + timeout));
    match tokio::time::timeout(timeout + grace, next.run(request)).await {
        Ok(response) => response,
        Err(_) => timeout_error(timeout).into_response(),
    }
}

/// The answer to a request that took longer than `timeout`.
fn timeout_error(timeout: Duration) -> ApiError {
    ApiError::with(
        StatusCode::GATEWAY_TIMEOUT,
        format!(
            "the request took longer than the server's limit of {} s",
            timeout.as_secs_f64()
        ),
    )
}

/// Starts logging to standard error (text, or JSON lines), once per process;
/// `RUST_LOG` chooses the level (default: info).
pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Runs the server until SIGINT or SIGTERM, then lets the requests in flight finish
/// and closes the memory. `extra` routes are served beside the API (the review
/// page). `ready` is called with the address once the server listens.
pub fn run(config: Config, extra: Routes, ready: impl FnOnce(&str)) -> Result<()> {
    grow_heaps_in_large_steps();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers.max(1))
        .enable_all()
        .thread_name("bitext-serve")
        .build()
        .map_err(|e| Error::io(e, None))?;
    runtime.block_on(async move {
        let listen = config.listen;
        let state = AppState::open(config)?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| Error::invalid(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io(e, None))?
            .to_string();
        match &state.read_only {
            Some(reason) => tracing::warn!(address = %addr, "read-only: {reason}"),
            None => tracing::info!(address = %addr, "writes need the token"),
        }
        if state.config.read_token {
            tracing::info!("reads need the token too (--read-token)");
        }
        state.update_concordance_in_background();
        let app = router(state.clone(), extra);
        ready(&addr);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| Error::io(e, None))?;
        state.stop_background();
        tracing::info!("stopped: requests in flight finished; the memory is closed");
        Ok(())
    })
}

/// Makes glibc's allocator extend its per-thread heaps 64 MiB at a time instead of
/// a page or two. Each extension is an `mprotect` call, which takes the process's
/// memory-map lock for writing: an import grew its heaps some 28,000 times, and every
/// lookup thread that touched a new page meanwhile waited for the lock (the readers'
/// stalls during an import). The pad is address space, not memory: a page costs
/// only once touched. Setting it fixes glibc's otherwise adaptive threshold for
/// using `mmap` at 128 KiB, so that threshold is set to the adaptive one's ceiling
/// (32 MiB), keeping mid-sized buffers out of `mmap`/`munmap`, which take that
/// lock too. Elsewhere (musl, other systems) nothing changes.
fn grow_heaps_in_large_steps() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's parameters; any value is allowed.
    unsafe {
        let ok = libc::mallopt(libc::M_TOP_PAD, 64 << 20) == 1
            && libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20) == 1;
        if !ok {
            tracing::debug!("the allocator kept its default heap growth");
        }
    }
}

/// Resolves at SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("stopping: finishing the requests in flight");
}

#[cfg(test)]
mod tests {
    /// Every route of the router is in the OpenAPI document, with its method.
    #[test]
    fn every_route_is_described() {
        let doc: serde_json::Value = serde_json::from_str(super::openapi::OPENAPI).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let mut n = 0;
        for super::Route { path, method, .. } in super::routes() {
            // OpenAPI has no catch-all parameter: `{*text}` is written `{text}`.
            let path = path.replace("{*", "{");
            let item = paths
                .get(&path)
                .unwrap_or_else(|| panic!("{path} is not in openapi.json"));
            let method = method.as_str().to_ascii_lowercase();
            assert!(
                item.get(&method).is_some(),
                "{method} {path} is not in openapi.json"
            );
            n += 1;
        }
        assert!(n >= 15);
        // And nothing described that the router lacks.
        let routed: Vec<String> = super::routes()
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.method.as_str().to_ascii_lowercase(),
                    r.path.replace("{*", "{")
                )
            })
            .collect();
        for (path, item) in paths {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "put"].contains(&method.as_str()) {
                    assert!(
                        routed.contains(&format!("{method} {path}")),
                        "openapi.json describes {method} {path}, which the router lacks"
                    );
                }
            }
        }
    }
}
