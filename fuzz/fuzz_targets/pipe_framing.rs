#![no_main]
//! See `switchboard::fuzzing::pipe_framing` (src/fuzzing/) for what runs and what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzzing::pipe_framing(data));
