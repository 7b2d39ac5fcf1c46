//! Chooses the generated FlatBuffers code for `schema/ipc.fbs`.
//!
//! With flatc 25.12.19 available (`$FLATC`, or `flatc` on PATH) the code is
//! generated fresh into OUT_DIR, so a schema edit takes effect at once.
//! Without it (a fresh machine) the checked-in `src/generated/ipc_generated.rs`
//! is used; the `generated_code` test keeps the two identical.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const FLATC_VERSION: &str = "25.12.19";
const SCHEMA: &str = "schema/ipc.fbs";
const CHECKED_IN: &str = "src/generated/ipc_generated.rs";

fn main() {
    println!("cargo:rerun-if-changed={SCHEMA}");
    println!("cargo:rerun-if-changed={CHECKED_IN}");
    println!("cargo:rerun-if-env-changed=FLATC");

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = out_dir.join("ipc_generated.rs");

    match find_flatc() {
        Some(flatc) => {
            let status = Command::new(&flatc)
                .args(["--rust", "--gen-all", "-o"])
                .arg(&out_dir)
                .arg(SCHEMA)
                .status()
                .unwrap_or_else(|e| panic!("running {}: {e}", flatc.display()));
            assert!(status.success(), "flatc failed on {SCHEMA}");
        }
        None => {
            fs::copy(CHECKED_IN, &target)
                .unwrap_or_else(|e| panic!("copying {CHECKED_IN} to OUT_DIR: {e}"));
        }
    }
}

/// Returns a flatc whose version matches the `flatbuffers` crate, if any.
fn find_flatc() -> Option<PathBuf> {
    let candidate = env::var_os("FLATC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("flatc"));
    let output = Command::new(&candidate).arg("--version").output().ok()?;
    let version = String::from_utf8_lossy(&output.stdout);
    if version.trim() == format!("flatc version {FLATC_VERSION}") {
        Some(candidate)
    } else {
        println!(
            "cargo:warning=ignoring {} ({}): need flatc {FLATC_VERSION}; using {CHECKED_IN}",
            Path::new(&candidate).display(),
            version.trim()
        );
        None
    }
}
