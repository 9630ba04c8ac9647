//! cargo-fuzz entry point of the `align` checks (`fuzz/checks/align.rs`, which
//! `tests/fuzz_replay.rs` also runs on the saved corpus in CI).
#![no_main]

#[path = "../checks/align.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
