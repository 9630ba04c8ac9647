//! Replays the saved fuzz corpus (`fuzz/saved/TARGET/`: a coverage-minimised sample of
//! each campaign's corpus plus every input that once failed) through the same checks
//! the cargo-fuzz targets run (`fuzz/checks/`), so CI exercises them on every change
//! without a fuzzing toolchain. `fuzz/save.sh` refreshes the saved corpus.

#![allow(clippy::all)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::util::repo;

#[path = "../fuzz/checks/align.rs"]
mod align;

#[path = "../fuzz/checks/csv_reader.rs"]
mod csv_reader;

#[path = "../fuzz/checks/jsonl_reader.rs"]
mod jsonl_reader;

#[path = "../fuzz/checks/memory_ops.rs"]
mod memory_ops;

#[path = "../fuzz/checks/scorer.rs"]
mod scorer;

#[path = "../fuzz/checks/segment.rs"]
mod segment;

#[path = "../fuzz/checks/srx.rs"]
mod srx;

#[path = "../fuzz/checks/tmx_inline.rs"]
mod tmx_inline;

#[path = "../fuzz/checks/tmx_reader.rs"]
mod tmx_reader;

/// Runs `check` on every file of `fuzz/saved/TARGET/`; names the input that fails.
fn replay(target: &str, check: fn(&[u8])) {
    let dir = repo("fuzz/saved").join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    inputs.sort();
    let saved = inputs.len();
    for input in inputs {
        let data = std::fs::read(&input).unwrap();
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            panic!("{} fails the {target} checks", input.display());
        }
    }
    assert!(saved >= 10, "{}: only {saved} saved inputs", dir.display());
}

#[test]
fn align_saved_corpus() {
    replay("align", align::check);
}

#[test]
fn csv_reader_saved_corpus() {
    replay("csv_reader", csv_reader::check);
}

#[test]
fn jsonl_reader_saved_corpus() {
    replay("jsonl_reader", jsonl_reader::check);
}

#[test]
fn memory_ops_saved_corpus() {
    replay("memory_ops", memory_ops::check);
}

#[test]
fn scorer_saved_corpus() {
    replay("scorer", scorer::check);
}

#[test]
fn segment_saved_corpus() {
    replay("segment", segment::check);
}

#[test]
fn srx_saved_corpus() {
    replay("srx", srx::check);
}

#[test]
fn tmx_inline_saved_corpus() {
    replay("tmx_inline", tmx_inline::check);
}

#[test]
fn tmx_reader_saved_corpus() {
    replay("tmx_reader", tmx_reader::check);
}
