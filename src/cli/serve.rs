//! `bitext serve`: parses the flags and runs the library's server
//! (`bitext::serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::tm::TmArgs;
use super::Global;
use bitext::serve::Config;

/// Environment variable holding the bearer token writes need.
pub const TOKEN_ENV: &str = "BITEXT_SERVE_TOKEN";

/// Serve the memory over HTTP: a JSON API (lookup, concordance, add, import, export,
/// stats, pretranslate, align; described at /openapi.json), and routes for tmserver
/// clients (Weblate's tmserver backend) and MyMemory clients.
///
/// Security: it listens on localhost unless --listen says otherwise. Writes need
/// `Authorization: Bearer TOKEN`, the token read from --token-file or $BITEXT_SERVE_TOKEN
/// (never from the command line, where other users can see it); without a token the
/// server is read-only. --read-token makes reads need it too. A memory the server
/// cannot write (its file or folder read-only) is served read-only. Request bodies,
/// request targets and request times are limited; CORS is off unless
/// --cors-origin names the origins allowed. Stops on Ctrl-C or SIGTERM after the
/// requests in flight.
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:\n  bitext serve --tm memory.sqlite\n  bitext serve --tm memory.sqlite --listen 0.0.0.0:8080 --token-file token.txt\n  bitext serve --tm memory.sqlite --read-only --cors-origin https://editor.example.org"
)]
pub struct ServeArgs {
    /// The address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// A file holding the bearer token writes need (its first line). Default:
    /// $BITEXT_SERVE_TOKEN; neither: the server is read-only.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Reads need the token too.
    #[arg(long)]
    pub read_token: bool,
    /// Serve reads only, even with a token.
    #[arg(long)]
    pub read_only: bool,
    /// The largest request body, in bytes (imports aside).
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_body: usize,
    /// The largest import body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_import: u64,
    /// The longest request path and query string, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 10)]
    pub max_query: usize,
    /// Seconds a request may take (imports and exports, which stream, aside).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Worker threads, which answer lookups themselves, each with its own read
    /// connection (default: twice the cores, so that reads keep their share of the
    /// CPU beside an import or other processes).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
    /// An origin allowed to call the API from a browser (repeatable); none: CORS off.
    #[arg(long, value_name = "ORIGIN")]
    pub cors_origin: Vec<String>,
    /// Logs as JSON lines on standard error (default: text). RUST_LOG sets the level.
    #[arg(long)]
    pub log_json: bool,
    #[command(flatten)]
    pub tm: TmArgs,
}

/// The token from --token-file, else the environment; `None` if neither gives one.
fn token(args: &ServeArgs) -> Result<Option<String>> {
    let raw = match &args.token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("--token-file {}: cannot read it", path.display()))?,
        ),
        None => std::env::var(TOKEN_ENV).ok(),
    };
    let Some(raw) = raw else { return Ok(None) };
    let token = raw.lines().next().unwrap_or("").trim().to_string();
    if token.is_empty() {
        match &args.token_file {
            Some(path) => bail!("--token-file {}: the file is empty", path.display()),
            None => return Ok(None),
        }
    }
    if token.len() < 16 {
        bail!(
            "the token is {} characters long; give one of at least 16 (e.g. `openssl rand -hex 32`)",
            token.len()
        );
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("the token holds white space or control characters; give one without");
    }
    Ok(Some(token))
}

pub fn run(args: ServeArgs, global: &Global) -> Result<ExitCode> {
    if !(args.timeout > 0.0 && args.timeout <= 86_400.0) {
        bail!("--timeout {}: give 0 to 86400 seconds", args.timeout);
    }
    let mut config = Config::new(args.tm.path()?);
    config.listen = args.listen;
    config.token = token(&args)?;
    config.read_token = args.read_token;
    config.read_only = args.read_only;
    config.max_body = args.max_body;
    config.max_import = args.max_import;
    config.max_query = args.max_query;
    config.timeout = Duration::from_secs_f64(args.timeout);
    if let Some(n) = args.workers {
        config.workers = usize::from(n);
    }
    config.cors_origins = args.cors_origin.clone();
    config.log_json = args.log_json;
    config.wait = args.tm.busy_timeout();
    if config.read_token && config.token.is_none() {
        bail!("--read-token needs a token: give --token-file or set {TOKEN_ENV}");
    }
    bitext::serve::init_logging(args.log_json);
    let tm = config.tm.display().to_string();
    let quiet = global.quiet;
    bitext::serve::run(config, bitext::serve::page::routes(), |addr| {
        if !quiet {
            // The address on stderr for people and scripts (port 0 picks one).
            eprintln!("bitext: serving {tm} on http://{addr} (Ctrl-C stops)");
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
