//! cargo-fuzz entry point of the `memory_ops` checks (`fuzz/checks/memory_ops.rs`, which
//! `tests/fuzz_replay.rs` also runs on the saved corpus in CI).
#![no_main]

#[path = "../checks/memory_ops.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
