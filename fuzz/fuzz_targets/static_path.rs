#![no_main]
//! See `switchboard::fuzzing::static_path` (src/fuzzing.rs) for what runs and what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzzing::static_path(data));
