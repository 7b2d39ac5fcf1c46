//! Building a `.lamp` file from a folder: the same checks as installing,
//! then a deterministic zip (entries in path order, a fixed timestamp,
//! modes from the package's rules), so the same folder always gives the
//! same bytes and the same checksum.

use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::archive::{Entries, Limits};
use super::error::PackageError;
use super::package::Package;

/// Packs the folder `dir` into `.lamp` bytes, after checking it as a
/// package (`info.yml`, `config.yml`, the executable, hooks) within
/// `limits`. Symbolic links and special files in the folder are refused.
pub fn pack_dir(dir: &Path, limits: &Limits) -> Result<Vec<u8>, PackageError> {
    let mut entries = Entries::default();
    let mut total = 0u64;
    collect(dir, dir, &mut entries, &mut total, limits)?;
    let package = Package::from_entries(entries, String::new())?;
    let bytes = write_zip(&package)?;
    // What we wrote must read back as the same package.
    Package::read(&bytes, limits)?;
    Ok(bytes)
}

/// Writes a package's files as a deterministic zip.
pub(crate) fn write_zip(package: &Package) -> Result<Vec<u8>, PackageError> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let zip_error = |e: zip::result::ZipError| PackageError::archive(format!("writing: {e}"));
    for (path, bytes) in package.files() {
        let mode = if package.is_runnable(path) {
            0o755
        } else {
            0o644
        };
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(mode);
        zip.start_file(path, options).map_err(zip_error)?;
        zip.write_all(bytes)
            .map_err(|e| PackageError::archive(format!("writing {path}: {e}")))?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}

fn collect(
    root: &Path,
    dir: &Path,
    entries: &mut Entries,
    total: &mut u64,
    limits: &Limits,
) -> Result<(), PackageError> {
    let mut children: Vec<_> = fs::read_dir(dir)
        .map_err(PackageError::io(dir))?
        .collect::<Result<_, _>>()
        .map_err(PackageError::io(dir))?;
    children.sort_by_key(|entry| entry.file_name());
    for child in children {
        let path = child.path();
        let kind = child.file_type().map_err(PackageError::io(&path))?;
        let relative = path
            .strip_prefix(root)
            .ok()
            .and_then(|p| p.to_str())
            .map(|p| p.replace(std::path::MAIN_SEPARATOR, "/"))
            .ok_or_else(|| {
                PackageError::Content(format!("{} has a name that is not UTF-8", path.display()))
            })?;
        if kind.is_symlink() {
            return Err(PackageError::Content(format!(
                "{} is a symbolic link; packages hold regular files only",
                path.display()
            )));
        }
        if kind.is_dir() {
            collect(root, &path, entries, total, limits)?;
            continue;
        }
        if !kind.is_file() {
            return Err(PackageError::Content(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        if entries.files.len() + 1 > limits.max_entries {
            return Err(PackageError::Content(format!(
                "more than {} files",
                limits.max_entries
            )));
        }
        let bytes = fs::read(&path).map_err(PackageError::io(&path))?;
        *total += bytes.len() as u64;
        if bytes.len() as u64 > limits.max_file_size || *total > limits.max_total_size {
            return Err(PackageError::Content(format!(
                "{} makes the package larger than the limits ({} bytes a file, {} in all)",
                path.display(),
                limits.max_file_size,
                limits.max_total_size
            )));
        }
        entries.files.insert(relative, bytes);
    }
    Ok(())
}
