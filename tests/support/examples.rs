//! Builds an example of this package for tests that run it as a program.
//! Included with `#[path]` by the tests that need it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The executable of example `name`, built once per test binary with the
/// features this test was built with, so it is never a stale build and the
/// library it links is the one the test already compiled.
pub fn example_binary(name: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    // Held while building: parallel tests wait for one build instead of
    // queueing on cargo's lock with several.
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    let path = build(name, &test_features());
    built.insert(name.to_owned(), path.clone());
    path
}

/// The executable of example `name` built with exactly `features` (a plugin
/// example needs `plugins`, which the demo's builds leave out), once per
/// test binary.
#[allow(dead_code)] // only the tests that run plugin examples use it
pub fn example_binary_featuring(name: &str, features: &[&str]) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    let key = format!("{name} {}", features.join(","));
    if let Some(path) = built.get(&key) {
        return path.clone();
    }
    let path = build(name, features);
    built.insert(key, path.clone());
    path
}

fn test_features() -> Vec<&'static str> {
    [
        ("bevy", cfg!(feature = "bevy")),
        ("hardware", cfg!(feature = "hardware")),
        ("inspector", cfg!(feature = "inspector")),
        ("tls", cfg!(feature = "tls")),
        ("mqueue", cfg!(feature = "mqueue")),
        ("fuzzing", cfg!(feature = "fuzzing")),
        ("nats", cfg!(feature = "nats")),
    ]
    .into_iter()
    .filter_map(|(feature, on)| on.then_some(feature))
    .collect()
}

fn build(name: &str, features: &[&str]) -> PathBuf {
    let mut cargo = Command::new(env!("CARGO"));
    // Cargo describes this package to the running test in variables that
    // some build scripts watch (ring's: CARGO_MANIFEST_DIR); passed on, they
    // would make every run rebuild those crates, and the next `cargo test`
    // rebuild them back.
    for (var, _) in std::env::vars_os() {
        let var = var.to_string_lossy();
        let described = var.starts_with("CARGO_PKG_")
            || var.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ]
            .contains(&&*var);
        if described {
            cargo.env_remove(&*var);
        }
    }
    let output = cargo
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--example", name, "--no-default-features"])
        .args(["--features", &features.join(",")])
        .args(["--message-format", "json-render-diagnostics"])
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "building example {name} failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo names no executable for example {name}"))
}
