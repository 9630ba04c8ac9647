//! An open-loop HTTP load generator for `bench/serve_load.py`: GET requests at a fixed
//! rate over a fixed number of keep-alive connections, latency measured from each
//! request's *scheduled* send time (corrected for coordinated omission, as wrk2 does).
//!
//! A closed loop (wrk: each connection sends its next request when the last one is
//! answered) measures the most a server answers, but its latency is only the queue it
//! makes itself: 64 connections at X answers/s wait 64/X s on average, whatever the
//! server. Here request k is due at `start + k / rate` on connection `k mod C`; a
//! connection still waiting for its previous answer sends late, and the wait counts
//! in the latency — what a client sending at that rate would see.
//!
//! ```text
//! cargo build --release --example serve_load_gen
//! target/release/examples/serve_load_gen --url http://127.0.0.1:8080 \
//!     --queries queries.txt --rate 5000 --connections 64 --seconds 20
//! ```
//!
//! Prints one JSON line: requests answered, the rate reached, latency percentiles
//! (ms), the generator's own send lag (how late it sent when the connection was
//! free), errors, and `unsent`: requests still unsent when the run's time was up (a
//! server that cannot keep up; it is not waited for).
//! `--timeline FILE` also writes each counted request's due time and latency (ms),
//! one per line, to see when a slow stretch happened.
//! The first `--warmup` seconds are sent but not counted. One thread: at 5,000
//! requests/s it needs a few percent of a core.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The generator's settings.
struct Args {
    host: String,
    route: String,
    queries: String,
    rate: f64,
    connections: usize,
    seconds: f64,
    warmup: f64,
    /// Where to write every counted request's due time and latency (ms since the
    /// start, ms), one per line, to see *when* a slow stretch happened.
    timeline: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        host: String::new(),
        route: "/api/v1/lookup?src=en&tgt=ru&min=70&limit=5&q=".to_string(),
        queries: String::new(),
        rate: 5000.0,
        connections: 64,
        seconds: 20.0,
        warmup: 2.0,
        timeline: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| format!("{flag} {v}: not a number"))
        };
        match flag.as_str() {
            "--url" => {
                let rest = value
                    .strip_prefix("http://")
                    .ok_or_else(|| format!("--url {value}: only http://HOST:PORT"))?;
                args.host = rest.trim_end_matches('/').to_string();
            }
            "--route" => args.route = value,
            "--queries" => args.queries = value,
            "--rate" => args.rate = number(&value)?,
            "--connections" => args.connections = number(&value)? as usize,
            "--seconds" => args.seconds = number(&value)?,
            "--warmup" => args.warmup = number(&value)?,
            "--timeline" => args.timeline = Some(value),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if args.host.is_empty() || args.queries.is_empty() {
        return Err("give --url http://HOST:PORT and --queries FILE".into());
    }
    if args.rate < 1.0 || args.connections == 0 || args.seconds <= 0.0 {
        return Err("--rate, --connections and --seconds must be positive".into());
    }
    Ok(args)
}

/// Percent-encodes all but unreserved characters (as bench/serve_load.lua does).
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    /// Latency from the scheduled send time, in microseconds, of counted requests.
    latency_us: Vec<u64>,
    /// Each counted request's due time (microseconds from the start), in the order
    /// of `latency_us`.
    due_us: Vec<u64>,
    /// How late requests went out when their connection was free (the generator's
    /// own lag), microseconds.
    lag_us: Vec<u64>,
    errors: u64,
    non_2xx: u64,
    /// Requests not sent by the end of the run (the server so far behind that the
    /// connection's earlier requests took the whole time).
    unsent: u64,
    /// When the last answer came.
    last_done: Option<Instant>,
}

/// One HTTP/1.1 exchange on a keep-alive connection: the status code, the body read
/// and dropped. `buf` is reused between requests.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<u16> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    stream.write_all(request).await?;
    buf.clear();
    let head_end = loop {
        if let Some(at) = find(buf, b"\r\n\r\n") {
            break at + 4;
        }
        read_more(stream, buf).await?;
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| bad("a header not UTF-8"))?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or_else(|| bad("an answer without Content-Length"))?;
    while buf.len() < head_end + length {
        read_more(stream, buf).await?;
    }
    if buf.len() > head_end + length {
        return Err(bad("more bytes than the answer's length"));
    }
    Ok(status)
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Connection `c`: requests `c, c + C, c + 2C, …` each at its scheduled time.
async fn connection(
    c: usize,
    args: std::sync::Arc<Args>,
    requests: std::sync::Arc<Vec<Vec<u8>>>,
    start: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let total = (args.rate * (args.warmup + args.seconds)) as usize;
    let counted_from = (args.rate * args.warmup) as usize;
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(16 * 1024);
    let end = start + Duration::from_secs_f64(args.warmup + args.seconds);
    let mut k = c;
    while k < total {
        let due = start + Duration::from_secs_f64(k as f64 / args.rate);
        let now = Instant::now();
        if now >= end {
            // Overloaded: the schedule ran out. What was not sent is counted, not sent
            // late for ever (the run would last as long as the server needs).
            tally.unsent += ((total - k).div_ceil(args.connections)) as u64;
            break;
        }
        if due > now {
            tokio::time::sleep_until(due.into()).await;
        }
        let sent = Instant::now();
        if stream.is_none() {
            match TcpStream::connect(&args.host).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    stream = Some(s);
                }
                Err(_) => {
                    tally.errors += u64::from(k >= counted_from);
                    k += args.connections;
                    continue;
                }
            }
        }
        let request = &requests[k % requests.len()];
        let result = exchange(stream.as_mut().expect("connected above"), request, &mut buf).await;
        let done = Instant::now();
        tally.last_done = Some(done);
        if k >= counted_from {
            match result {
                Ok(status) if (200..300).contains(&status) => {}
                Ok(_) => tally.non_2xx += 1,
                Err(_) => tally.errors += 1,
            }
            tally
                .latency_us
                .push(done.saturating_duration_since(due).as_micros() as u64);
            tally
                .due_us
                .push(due.saturating_duration_since(start).as_micros() as u64);
            if due >= now {
                tally
                    .lag_us
                    .push(sent.saturating_duration_since(due).as_micros() as u64);
            }
        }
        if result.is_err() {
            stream = None;
        }
        k += args.connections;
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p / 100.0).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("serve_load_gen: {e}");
            std::process::exit(2);
        }
    };
    let text = std::fs::read_to_string(&args.queries).unwrap_or_else(|e| {
        eprintln!("serve_load_gen: {}: {e}", args.queries);
        std::process::exit(2);
    });
    let requests: Vec<Vec<u8>> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|q| {
            format!(
                "GET {}{} HTTP/1.1\r\nHost: {}\r\n\r\n",
                args.route,
                urlencode(q),
                args.host
            )
            .into_bytes()
        })
        .collect();
    if requests.is_empty() {
        eprintln!("serve_load_gen: {}: no queries", args.queries);
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let args = std::sync::Arc::new(args);
    let requests = std::sync::Arc::new(requests);
    // A little ahead, so that every connection is waiting when the first is due.
    let start = Instant::now() + Duration::from_millis(50);
    let tallies: Vec<Tally> = runtime.block_on(async {
        let tasks: Vec<_> = (0..args.connections)
            .map(|c| tokio::spawn(connection(c, args.clone(), requests.clone(), start)))
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("a connection task"));
        }
        out
    });
    if let Some(path) = &args.timeline {
        let mut rows: Vec<(u64, u64)> = tallies
            .iter()
            .flat_map(|t| t.due_us.iter().copied().zip(t.latency_us.iter().copied()))
            .collect();
        rows.sort_unstable();
        let text: String = rows
            .iter()
            .map(|(due, latency)| {
                format!("{:.3}\t{:.3}\n", *due as f64 / 1e3, *latency as f64 / 1e3)
            })
            .collect();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("serve_load_gen: {path}: {e}");
            std::process::exit(2);
        }
    }
    let mut latency: Vec<u64> = tallies
        .iter()
        .flat_map(|t| t.latency_us.iter().copied())
        .collect();
    let mut lag: Vec<u64> = tallies
        .iter()
        .flat_map(|t| t.lag_us.iter().copied())
        .collect();
    latency.sort_unstable();
    lag.sort_unstable();
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    let non_2xx: u64 = tallies.iter().map(|t| t.non_2xx).sum();
    let unsent: u64 = tallies.iter().map(|t| t.unsent).sum();
    // The answers counted came from the end of the warm-up to the last answer (later
    // than the schedule's end if the server fell behind).
    let counted_start = start + Duration::from_secs_f64(args.warmup);
    let elapsed = tallies
        .iter()
        .filter_map(|t| t.last_done)
        .max()
        .map_or(args.seconds, |d| {
            d.saturating_duration_since(counted_start).as_secs_f64()
        })
        .max(1e-9);
    println!(
        "{{\"mode\": \"open\", \"rate\": {}, \"connections\": {}, \"requests\": {}, \"seconds\": {}, \
         \"per_second\": {:.1}, \"p50_ms\": {:.3}, \"p90_ms\": {:.3}, \"p99_ms\": {:.3}, \
         \"p999_ms\": {:.3}, \"max_ms\": {:.3}, \"send_lag_p99_ms\": {:.3}, \"errors\": {}, \
         \"non_2xx\": {}, \"unsent\": {}}}",
        args.rate,
        args.connections,
        latency.len(),
        (elapsed * 1000.0).round() / 1000.0,
        latency.len() as f64 / elapsed,
        percentile(&latency, 50.0),
        percentile(&latency, 90.0),
        percentile(&latency, 99.0),
        percentile(&latency, 99.9),
        latency.last().map_or(0.0, |&m| m as f64 / 1000.0),
        percentile(&lag, 99.0),
        errors,
        non_2xx,
        unsent,
    );
}
