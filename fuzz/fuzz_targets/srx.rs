//! cargo-fuzz entry point of the `srx` checks (`fuzz/checks/srx.rs`, which
//! `tests/fuzz_replay.rs` also runs on the saved corpus in CI).
#![no_main]

#[path = "../checks/srx.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
