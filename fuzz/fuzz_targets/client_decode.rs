#![no_main]
//! See `switchboard::fuzzing::client_decode` (src/fuzzing.rs) for what runs and what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzzing::client_decode(data));
