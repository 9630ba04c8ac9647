//! Times the sentence encoder on piece ids (bench/semantic_speed.py drives it next
//! to the reference package).
//!
//! ```text
//! cargo run --release --example semantic_embed -- IDS.jsonl [--model PATH]
//!     [--threads N] [--repeat R] [--vectors OUT.f32]
//! ```
//! IDS.jsonl holds one sentence a line: `{"ids": [1, …, 2]}` or a bare array. Prints
//! one JSON line: sentences, tokens, load seconds, best encode seconds over R runs,
//! sentences per second, resident memory after loading and at peak (MB), and the
//! kernel's instruction set. `--vectors` writes the embeddings as float32 rows.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use bitext::semantic::{Encoder, ModelFile};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut input, mut model, mut threads, mut repeat, mut vectors) = (None, None, 0, 3, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--model" => model = Some(PathBuf::from(value()?)),
            "--threads" => threads = value()?.parse()?,
            "--repeat" => repeat = value()?.parse()?,
            "--vectors" => vectors = Some(PathBuf::from(value()?)),
            _ if input.is_none() && !arg.starts_with("--") => input = Some(PathBuf::from(arg)),
            _ => bail!("unexpected argument {arg}"),
        }
    }
    let input = input.context(
        "usage: semantic_embed IDS.jsonl [--model PATH] [--threads N] [--repeat R] [--vectors OUT]",
    )?;
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()?;
    }

    let file = std::fs::File::open(&input).with_context(|| input.display().to_string())?;
    let mut ids: Vec<Vec<u32>> = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        let value: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}", input.display(), n + 1))?;
        let array = if value.is_array() {
            value
        } else {
            value["ids"].clone()
        };
        ids.push(
            serde_json::from_value(array)
                .with_context(|| format!("{}:{}: no ids", input.display(), n + 1))?,
        );
    }

    let start = Instant::now();
    let encoder = {
        let model = ModelFile::open(model.as_deref())?;
        Encoder::from_model(&model)?
    };
    let load = start.elapsed().as_secs_f64();
    let rss_loaded = status_mb("VmRSS:");

    let sentences: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
    let mut best = f64::MAX;
    let mut out = Vec::new();
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        out = encoder.embed_ids(&sentences);
        best = best.min(start.elapsed().as_secs_f64());
    }
    if let Some(path) = vectors {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for v in &out {
            for x in v {
                w.write_all(&x.to_le_bytes())?;
            }
        }
        w.flush()?;
    }
    let tokens: usize = sentences.iter().map(|s| s.len()).sum();
    println!(
        "{}",
        serde_json::json!({
            "sentences": sentences.len(),
            "tokens": tokens,
            "load_s": load,
            "best_s": best,
            "sentences_per_s": sentences.len() as f64 / best,
            "rss_loaded_mb": rss_loaded,
            "rss_peak_mb": status_mb("VmHWM:"),
            "threads": rayon::current_num_threads(),
            "simd": encoder.simd(),
        })
    );
    Ok(())
}

/// A memory figure of /proc/self/status in MB (0 where there is none).
fn status_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
