#![no_main]
//! See `switchboard::fuzzing::package_archive` (src/fuzzing/package.rs) for what runs and what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| switchboard::fuzzing::package_archive(data));
