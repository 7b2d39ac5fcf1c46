#![no_main]
//! See `switchboard::fuzzing::mqueue_framing` (src/fuzzing/) for what runs and what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzzing::mqueue_framing(data));
