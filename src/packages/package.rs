//! A package checked as a whole: its archive is safe, `info.yml` and
//! `config.yml` are valid, the executable is there and looks runnable, and
//! its SHA-256 matches when `info.yml` pins one.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::archive::{Entries, Limits, read_archive};
use super::config::PackageConfig;
use super::error::PackageError;
use super::hooks::Hook;
use super::info::Info;

/// The folder inside a package that holds hook executables.
pub const HOOKS_DIR: &str = "hooks";
/// The most bytes `info.yml` or `config.yml` may have.
const MAX_YAML: usize = 256 << 10;

/// A package read from a `.lamp` file (or a folder) and checked.
#[derive(Debug, Clone)]
pub struct Package {
    /// `info.yml`.
    pub info: Info,
    /// `config.yml`.
    pub config: PackageConfig,
    /// SHA-256 of the `.lamp` file, lowercase hex.
    pub checksum: String,
    entries: Entries,
}

impl Package {
    /// Reads a `.lamp` file's bytes and checks everything in it.
    pub fn read(bytes: &[u8], limits: &Limits) -> Result<Package, PackageError> {
        let entries = read_archive(bytes, limits)?;
        Package::from_entries(entries, sha256_hex(bytes))
    }

    /// Checks a package's entries. `checksum` is recorded as given.
    pub fn from_entries(entries: Entries, checksum: String) -> Result<Package, PackageError> {
        let info = Info::from_yaml(yaml(&entries, "info.yml")?)?;
        let config = PackageConfig::from_yaml(yaml(&entries, "config.yml")?)?;
        let Some(executable) = entries.files.get(&info.executable) else {
            return Err(PackageError::Content(format!(
                "the executable {:?} named by info.yml is missing",
                info.executable
            )));
        };
        check_runnable(&info.executable, executable)?;
        if let Some(expected) = &info.sha256 {
            let actual = sha256_hex(executable);
            if &actual != expected {
                return Err(PackageError::invalid(
                    "info.yml",
                    "sha256",
                    "sha256_match",
                    format!(
                        "the executable {:?} has SHA-256 {actual}, not {expected}",
                        info.executable
                    ),
                ));
            }
        }
        for (path, bytes) in &entries.files {
            let Some(name) = path.strip_prefix(&format!("{HOOKS_DIR}/")) else {
                continue;
            };
            if Hook::from_name(name).is_none() {
                return Err(PackageError::Content(format!(
                    "{path:?} is not a known hook (hooks: {})",
                    Hook::NAMES.join(", ")
                )));
            }
            check_runnable(path, bytes)?;
        }
        Ok(Package {
            info,
            config,
            checksum,
            entries,
        })
    }

    /// The package's files, by relative path.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries
            .files
            .iter()
            .map(|(path, bytes)| (path.as_str(), bytes.as_slice()))
    }

    /// Whether `path` is run (the executable or a hook), so it gets the
    /// executable bit.
    pub fn is_runnable(&self, path: &str) -> bool {
        path == self.info.executable || path.starts_with(&format!("{HOOKS_DIR}/"))
    }

    /// Whether the package has this hook.
    pub fn has_hook(&self, hook: Hook) -> bool {
        self.entries.files.contains_key(&hook.path())
    }

    /// Writes the files under `dir`, which must exist and be empty. Modes
    /// come from the package's rules, never from the archive: 0755 for
    /// the executable and hooks, 0644 for the rest.
    pub fn write_to(&self, dir: &Path) -> Result<(), PackageError> {
        for folder in &self.entries.folders {
            let path = dir.join(folder);
            fs::create_dir_all(&path).map_err(PackageError::io(&path))?;
        }
        for (relative, bytes) in self.files() {
            let path = dir.join(relative);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(PackageError::io(parent))?;
            }
            let mode = if self.is_runnable(relative) {
                0o755
            } else {
                0o644
            };
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&path)
                .map_err(PackageError::io(&path))?;
            file.write_all(bytes).map_err(PackageError::io(&path))?;
        }
        Ok(())
    }
}

fn yaml<'a>(entries: &'a Entries, name: &'static str) -> Result<&'a str, PackageError> {
    let Some(bytes) = entries.files.get(name) else {
        return Err(PackageError::invalid(
            name,
            "(document)",
            "required",
            "the package has no such file at its top level",
        ));
    };
    if bytes.len() > MAX_YAML {
        return Err(PackageError::invalid(
            name,
            "(document)",
            "length",
            format!("has {} bytes, more than {MAX_YAML}", bytes.len()),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        PackageError::invalid(name, "(document)", "utf8", format!("is not UTF-8: {e}"))
    })
}

/// An executable is a native binary (ELF or Mach-O) or a script with an
/// interpreter line.
fn check_runnable(path: &str, bytes: &[u8]) -> Result<(), PackageError> {
    const MAGICS: [&[u8]; 6] = [
        b"#!",
        b"\x7fELF",
        b"\xcf\xfa\xed\xfe",
        b"\xce\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
        b"\xfe\xed\xfa\xcf",
    ];
    if MAGICS.iter().any(|magic| bytes.starts_with(magic)) {
        Ok(())
    } else {
        Err(PackageError::Content(format!(
            "{path:?} is not runnable: neither a native executable nor a script starting with #!"
        )))
    }
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest.iter() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}
