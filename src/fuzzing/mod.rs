//! Entry points for the fuzz targets under `fuzz/` (cargo feature
//! `fuzzing`; not part of the API, and not built without the feature).
//!
//! Each entry takes untrusted bytes and drives the real parser the way the
//! host (or the client) does, then checks what must hold for any input:
//! re-encoded frames verify and read back the same, a sanitized path has
//! only plain components, a served file lies under the web root, the pattern
//! matcher agrees with a naive reference, the pipe framing decodes the
//! same however its input is split, validated objects validate again
//! to themselves. A broken check panics, which the fuzzer reports.
//!
//! One module per target. They reach the crate's private parsers (HTTP,
//! access checks, static files, the hardware bridge's request shapes, the package reader)
//! through `pub(crate)` paths, so the code fuzzed is the code the host runs.

mod client_decode;
mod frame;
#[cfg(feature = "hardware")]
mod hardware;
mod http_request;
#[cfg(all(feature = "mqueue", target_os = "linux"))]
mod mqueue_framing;
#[cfg(feature = "packages")]
mod package;
mod pattern;
#[cfg(all(unix, feature = "plugins"))]
mod pipe_framing;
mod seeds;
mod static_path;

pub use client_decode::client_decode;
pub use frame::frame;
#[cfg(feature = "hardware")]
pub use hardware::{device_type_yaml, hardware_json};
pub use http_request::http_request;
#[cfg(all(feature = "mqueue", target_os = "linux"))]
pub use mqueue_framing::mqueue_framing;
#[cfg(feature = "packages")]
pub use package::package_archive;
pub use pattern::pattern;
#[cfg(all(unix, feature = "plugins"))]
pub use pipe_framing::pipe_framing;
pub use seeds::seeds;
pub use static_path::static_path;

/// Largest input the targets look at; libFuzzer's `-max_len` stays below.
const MAX_INPUT: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Every seed goes through its entry point without tripping a check.
    #[test]
    fn seeds_pass_their_targets() {
        for (target, name, bytes) in seeds() {
            match target {
                "frame" => frame(&bytes),
                "client_decode" => client_decode(&bytes),
                "http_request" => http_request(&bytes),
                "static_path" => static_path(&bytes),
                "pattern" => pattern(&bytes),
                #[cfg(feature = "hardware")]
                "hardware_json" => hardware_json(&bytes),
                #[cfg(feature = "hardware")]
                "device_type_yaml" => device_type_yaml(&bytes),
                #[cfg(not(feature = "hardware"))]
                "hardware_json" | "device_type_yaml" => {}
                #[cfg(all(feature = "mqueue", target_os = "linux"))]
                "mqueue_framing" => mqueue_framing(&bytes),
                #[cfg(not(all(feature = "mqueue", target_os = "linux")))]
                "mqueue_framing" => {}
                #[cfg(all(unix, feature = "plugins"))]
                "pipe_framing" => pipe_framing(&bytes),
                #[cfg(not(all(unix, feature = "plugins")))]
                "pipe_framing" => {}
                #[cfg(feature = "packages")]
                "package_archive" => package_archive(&bytes),
                #[cfg(not(feature = "packages"))]
                "package_archive" => {}
                other => panic!("seed {name} for unknown target {other}"),
            }
        }
    }

    /// Writes the seeds to `$SWITCHBOARD_FUZZ_SEEDS/<target>/<name>`
    /// (`fuzz/run.sh seeds` runs it).
    #[test]
    #[ignore = "writes files; run by fuzz/run.sh seeds"]
    fn write_seeds() {
        let dir = PathBuf::from(
            std::env::var_os("SWITCHBOARD_FUZZ_SEEDS").expect("set SWITCHBOARD_FUZZ_SEEDS"),
        );
        for (target, name, bytes) in seeds() {
            let folder = dir.join(target);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join(name), bytes).unwrap();
        }
    }
}
