#![no_main]
//! See `switchboard::fuzzing::hardware_json` (src/fuzzing.rs) for what runs and what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzzing::hardware_json(data));
