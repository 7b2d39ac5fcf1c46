#![no_main]
//! See `switchboard::fuzzing::device_type_yaml` (src/fuzzing.rs) for what runs and what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzzing::device_type_yaml(data));
