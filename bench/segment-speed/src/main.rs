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

fn measure(name: &str, units: &[(String, String)], mut run: impl FnMut(&str, &str) -> usize) -> (f64, usize) {
    let bytes: usize = units.iter().map(|u| u.1.len()).sum();
    // Warm-up on a slice, then the timed pass.
    for u in units.iter().take(200) {
        run(&u.0, &u.1);
    }
    let start = cpu_seconds();
    let mut sentences = 0;
    for u in units {
        sentences += run(&u.0, &u.1);
    }
    let secs = cpu_seconds() - start;
    let mbps = bytes as f64 / 1e6 / secs;
    println!("  {name:<28} {mbps:>8.1} MB/CPU-s  {sentences:>9} sentences  {secs:>6.2} s");
    (mbps, sentences)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared/data/segment/ud"));
    let min_mb: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let all = load_units(&dir);
    let english: Vec<_> = all.iter().filter(|u| u.0 == "en").cloned().collect();
    let mut segmenters: Vec<(String, bitext::segment::Segmenter)> = Vec::new();
    for (label, units) in [("all UD dev text (18 languages)", &all), ("English (EWT + GUM)", &english)] {
        let units = grow(units, min_mb * 1_000_000);
        let bytes: usize = units.iter().map(|u| u.1.len()).sum();
        println!("{label}: {:.1} MB in {} paragraphs", bytes as f64 / 1e6, units.len());
        let (bitext_speed, _) = measure("bitext", &units, |lang, text| {
            let seg = match segmenters.iter().find(|(l, _)| l == lang) {
                Some((_, s)) => s,
                None => {
                    let tag = bitext::text::LangTag::parse(lang).unwrap();
                    segmenters.push((lang.to_string(), bitext::segment::Segmenter::new(&tag)));
                    &segmenters.last().unwrap().1
                }
            };
            seg.segment(text).len()
        });
        let (uax_speed, _) = measure("unicode-segmentation UAX#29", &units, |_, text| text.split_sentence_bound_indices().count());
        let (sx_speed, _) = measure("sentencex", &units, |lang, text| sentencex::segment(lang, text).len());
        println!(
            "  bitext / UAX#29 = {:.2}x, bitext / sentencex = {:.2}x\n",
            bitext_speed / uax_speed,
            bitext_speed / sx_speed
        );
    }
}
