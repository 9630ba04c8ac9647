//! cargo-fuzz entry point of the `tmx_reader` checks (`fuzz/checks/tmx_reader.rs`, which
//! `tests/fuzz_replay.rs` also runs on the saved corpus in CI).
#![no_main]

#[path = "../checks/tmx_reader.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
