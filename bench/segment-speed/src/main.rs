//! Measures segmentation throughput in MB (10^6 bytes of UTF-8 input) per CPU-second,
//! for bitext, the plain UAX #29 sentence iterator (unicode-segmentation) and sentencex,
//! side by side on the same texts: all UD dev text (18 languages) and English only, each
//! repeated to at least 20 MB. Each text is segmented paragraph by paragraph (one UD unit
//! a line), as a user would with a real document. Usage:
//!     segment-speed [UD_DIR] [MIN_MB]

use std::path::{Path, PathBuf};

use unicode_segmentation::UnicodeSegmentation;

fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// (language, unit text) pairs of every UD dev file.
fn load_units(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("UD directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut units = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let lang = v["lang"].as_str().unwrap_or("en").to_string();
            let text = v["text"].as_str().unwrap_or("").replace('\n', " ");
            units.push((lang, text));
        }
    }
    units
}

/// Repeats the units until they hold at least `min_bytes`.
fn grow(units: &[(String, String)], min_bytes: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut total = 0;
    while total < min_bytes {
        for u in units {
            total += u.1.len();
            out.push(u.clone());
        }
    }
    out
}

/// One timed pass of `run` over all units: (MB per CPU-second, sentences).
fn pass(units: &[(String, String)], run: &mut dyn FnMut(&str, &str) -> usize) -> (f64, usize) {
    let bytes: usize = units.iter().map(|u| u.1.len()).sum();
    let start = cpu_seconds();
    let mut sentences = 0;
    for u in units {
        sentences += run(&u.0, &u.1);
    }
    let secs = cpu_seconds() - start;
    (bytes as f64 / 1e6 / secs, sentences)
}

/// Times each segmenter `REPEAT` times, interleaved (A B C A B C …) so that a busy machine
/// slows all of them alike, and keeps each one's best pass.
fn race(units: &[(String, String)], runners: &mut [(&str, Box<dyn FnMut(&str, &str) -> usize + '_>)]) -> Vec<(f64, usize)> {
    let repeat: usize = std::env::var("REPEAT").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    let mut best = vec![(0.0f64, 0usize); runners.len()];
    for (_, run) in runners.iter_mut() {
        for u in units.iter().take(200) {
            run(&u.0, &u.1); // warm-up
        }
    }
    for _ in 0..repeat {
        for (k, (_, run)) in runners.iter_mut().enumerate() {
            let (mbps, sentences) = pass(units, run.as_mut());
            if mbps > best[k].0 {
                best[k] = (mbps, sentences);
            }
        }
    }
    for (k, (name, _)) in runners.iter().enumerate() {
        println!("  {name:<28} {:>8.1} MB/CPU-s  {:>9} sentences", best[k].0, best[k].1);
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared/data/segment/ud"));
    let min_mb: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let all = load_units(&dir);
    let of_lang = |lang: &str| -> Vec<(String, String)> { all.iter().filter(|u| u.0 == lang).cloned().collect() };
    let mut langs: Vec<String> = all.iter().map(|u| u.0.clone()).collect();
    langs.sort();
    langs.dedup();
    let mut segmenters: Vec<(String, bitext::segment::Segmenter)> = Vec::new();
    let mut sets: Vec<(String, Vec<(String, String)>)> =
        vec![(format!("all UD dev text ({} languages)", langs.len()), all.clone()), ("English (EWT + GUM)".to_string(), of_lang("en"))];
    // PER_LANGUAGE=1 adds a row per language (LANGS=ru,el,ar picks some).
    let picked: Option<Vec<String>> = std::env::var("LANGS").ok().map(|l| l.split(',').map(str::to_string).collect());
    let per_language = std::env::var("PER_LANGUAGE").is_ok_and(|v| !v.is_empty());
    if per_language || picked.is_some() {
        for lang in &langs {
            if picked.as_ref().is_none_or(|p| p.contains(lang)) && lang != "en" {
                sets.push((format!("language {lang}"), of_lang(lang)));
            }
        }
        if picked.is_some() {
            sets.drain(..2);
        }
    }
    // TEXT=lang:path,… adds plain-text files, one paragraph a line.
    if let Ok(texts) = std::env::var("TEXT") {
        for spec in texts.split(',') {
            let (lang, path) = spec.split_once(':').expect("TEXT=lang:path");
            let text = std::fs::read_to_string(path).expect("TEXT file");
            let units = text.lines().filter(|l| !l.trim().is_empty()).map(|l| (lang.to_string(), l.to_string())).collect();
            let name = Path::new(path).file_name().map_or(path.into(), |n| n.to_string_lossy());
            sets.push((format!("{name} ({lang})"), units));
        }
    }
    let english_only = std::env::var_os("ENGLISH_ONLY").is_some();
    let mut summary = Vec::new();
    for (label, units) in sets.iter().filter(|(l, _)| !english_only || l.starts_with("English")) {
        let units = grow(units, min_mb * 1_000_000);
        let bytes: usize = units.iter().map(|u| u.1.len()).sum();
        println!("{label}: {:.1} MB in {} paragraphs", bytes as f64 / 1e6, units.len());
        let segmenters = std::cell::RefCell::new(&mut segmenters);
        let bitext_run = |lang: &str, text: &str| {
            let mut cache = segmenters.borrow_mut();
            if !cache.iter().any(|(l, _)| l == lang) {
                let tag = bitext::text::LangTag::parse(lang).unwrap();
                cache.push((lang.to_string(), bitext::segment::Segmenter::new(&tag)));
            }
            let seg = &cache.iter().find(|(l, _)| l == lang).unwrap().1;
            seg.segment(text).len()
        };
        let mut runners: Vec<(&str, Box<dyn FnMut(&str, &str) -> usize>)> = vec![
            ("bitext", Box::new(bitext_run)),
            ("unicode-segmentation UAX#29", Box::new(|_: &str, text: &str| text.split_sentence_bound_indices().count())),
            ("sentencex", Box::new(|lang: &str, text: &str| sentencex::segment(lang, text).len())),
        ];
        // ONLY=name keeps one segmenter (for profiling it alone).
        if let Ok(only) = std::env::var("ONLY") {
            runners.retain(|(name, _)| name.starts_with(only.as_str()));
        }
        let best = race(&units, &mut runners);
        if best.len() == 3 {
            println!(
                "  bitext / UAX#29 = {:.2}x, bitext / sentencex = {:.2}x\n",
                best[0].0 / best[1].0,
                best[0].0 / best[2].0
            );
            summary.push((label.clone(), best[0].0, best[2].0));
        }
    }
    if summary.len() > 2 {
        println!("| text | bitext MB/CPU-s | sentencex MB/CPU-s | bitext / sentencex |");
        println!("|---|---|---|---|");
        for (label, ours, theirs) in summary {
            println!("| {label} | {ours:.1} | {theirs:.1} | {:.2}× |", ours / theirs);
        }
    }
}
