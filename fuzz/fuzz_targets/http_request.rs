#![no_main]
//! See `switchboard::fuzzing::http_request` (src/fuzzing.rs) for what runs and what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzzing::http_request(data));
