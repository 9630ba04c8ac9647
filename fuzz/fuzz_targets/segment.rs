//! cargo-fuzz entry point of the `segment` checks (`fuzz/checks/segment.rs`, which
//! `tests/fuzz_replay.rs` also runs on the saved corpus in CI).
#![no_main]

#[path = "../checks/segment.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
