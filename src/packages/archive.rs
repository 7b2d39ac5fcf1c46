//! Reading a `.lamp` zip without trusting it: limits on entry count, total
//! size and compression ratio, checked against the bytes actually
//! inflated (declared sizes can lie); names that are plain relative paths
//! (no absolute paths, `..`, backslashes or drive letters: no zip-slip);
//! regular files and folders only (no symlinks, device files, fifos); no
//! duplicate entries; no encryption.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use super::error::PackageError;

/// Bounds on what an archive may unpack to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most entries (files and folders).
    pub max_entries: usize,
    /// The most bytes all files inflate to, together.
    pub max_total_size: u64,
    /// The most bytes one file inflates to.
    pub max_file_size: u64,
    /// The highest ratio of inflated to compressed size for a file larger
    /// than [`Limits::ratio_floor`].
    pub max_ratio: u64,
    /// Files smaller than this may compress better than `max_ratio` (a
    /// page of blanks does).
    pub ratio_floor: u64,
    /// The longest entry name, in bytes.
    pub max_name_len: usize,
    /// The biggest archive file.
    pub max_archive_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 1_000,
            max_total_size: 64 << 20,
            max_file_size: 32 << 20,
            max_ratio: 100,
            ratio_floor: 1 << 20,
            max_name_len: 512,
            max_archive_size: 64 << 20,
        }
    }
}

/// An archive's contents, checked: files by path, and the folders it
/// declares.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Entries {
    /// Every file's bytes, by its relative path (`/`-separated).
    pub files: BTreeMap<String, Vec<u8>>,
    /// Folder entries, as relative paths without the trailing `/`.
    pub folders: Vec<String>,
}

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// Reads and checks every entry of a zip archive.
pub fn read_archive(bytes: &[u8], limits: &Limits) -> Result<Entries, PackageError> {
    if bytes.len() as u64 > limits.max_archive_size {
        return Err(PackageError::archive(format!(
            "the file has {} bytes, more than the limit {}",
            bytes.len(),
            limits.max_archive_size
        )));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| PackageError::archive(format!("not a readable zip file: {e}")))?;
    if archive.len() > limits.max_entries {
        return Err(PackageError::archive(format!(
            "{} entries, more than the limit {} (zip bomb?)",
            archive.len(),
            limits.max_entries
        )));
    }
    // The zip crate keeps one entry per name, so duplicates are found in
    // the central directory itself.
    let names = central_directory_names(bytes)?;
    if names.len() != archive.len() {
        let mut seen = std::collections::BTreeSet::new();
        let duplicate = names
            .iter()
            .find(|name| !seen.insert(name.as_slice()))
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .unwrap_or_default();
        return Err(PackageError::archive(format!(
            "{duplicate:?} appears twice"
        )));
    }
    let mut entries = Entries::default();
    let mut seen = std::collections::BTreeSet::new();
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| PackageError::archive(format!("entry {index}: {e}")))?;
        let raw = entry.name_raw().to_vec();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let path = check_name(&raw, limits)?;
        if entry.encrypted() {
            return Err(PackageError::archive(format!(
                "{shown:?} is encrypted; packages are not"
            )));
        }
        let kind = entry.unix_mode().map(|mode| mode & S_IFMT).unwrap_or(0);
        let is_dir = shown.ends_with('/');
        match kind {
            S_IFLNK => {
                return Err(PackageError::archive(format!(
                    "{shown:?} is a symbolic link; packages hold regular files only"
                )));
            }
            0 | S_IFREG if !is_dir => {}
            0 | S_IFDIR if is_dir => {}
            S_IFDIR => {
                return Err(PackageError::archive(format!(
                    "{shown:?} is marked a folder but named like a file"
                )));
            }
            S_IFREG => {
                return Err(PackageError::archive(format!(
                    "{shown:?} is marked a file but named like a folder"
                )));
            }
            _ => {
                return Err(PackageError::archive(format!(
                    "{shown:?} is a device file, fifo or socket (mode {kind:o}); packages hold regular files only"
                )));
            }
        }
        if !seen.insert(path.clone()) {
            return Err(PackageError::archive(format!("{shown:?} appears twice")));
        }
        if is_dir {
            entries.folders.push(path);
            continue;
        }
        let left = limits.max_total_size.saturating_sub(total);
        let cap = left.min(limits.max_file_size);
        let mut data = Vec::new();
        let read = (&mut entry)
            .take(cap + 1)
            .read_to_end(&mut data)
            .map_err(|e| PackageError::archive(format!("{shown:?}: cannot inflate: {e}")))?
            as u64;
        if read > cap {
            return Err(PackageError::archive(if cap == limits.max_file_size {
                format!(
                    "{shown:?} inflates to more than {} bytes, the limit for one file (zip bomb?)",
                    limits.max_file_size
                )
            } else {
                format!(
                    "the files inflate to more than {} bytes, the limit for a package (zip bomb?)",
                    limits.max_total_size
                )
            }));
        }
        let compressed = entry.compressed_size().max(1);
        if read > limits.ratio_floor && read / compressed > limits.max_ratio {
            return Err(PackageError::archive(format!(
                "{shown:?} inflates {}-fold ({compressed} to {read} bytes), more than the limit {} (zip bomb?)",
                read / compressed,
                limits.max_ratio
            )));
        }
        total += read;
        entries.files.insert(path, data);
    }
    for folder in &entries.folders {
        if entries.files.contains_key(folder) {
            return Err(PackageError::archive(format!(
                "{folder:?} is both a file and a folder"
            )));
        }
    }
    for file in entries.files.keys() {
        let mut prefix = file.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if entries.files.contains_key(parent) {
                return Err(PackageError::archive(format!(
                    "{file:?} lies under {parent:?}, which is a file"
                )));
            }
            prefix = parent;
        }
    }
    Ok(entries)
}

/// The entry names as the central directory lists them, duplicates
/// included. Packages are small, so Zip64 archives and archives with data
/// before the first entry are refused rather than parsed.
fn central_directory_names(bytes: &[u8]) -> Result<Vec<Vec<u8>>, PackageError> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const CENTRAL: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
    let u16_at = |at: usize| -> Option<usize> {
        Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?) as usize)
    };
    let u32_at = |at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let unusual =
        || PackageError::archive("unusual zip layout (Zip64, or data before the entries)");
    // The end record is the last 22 bytes plus a comment of up to 64 KiB.
    let lowest = bytes.len().saturating_sub(22 + 0xffff);
    let end = (lowest..bytes.len().saturating_sub(21))
        .rev()
        .find(|&at| bytes[at..at + 4] == EOCD)
        .ok_or_else(|| {
            PackageError::archive("not a readable zip file: no end of central directory")
        })?;
    let count = u16_at(end + 10).ok_or_else(unusual)?;
    let offset = u32_at(end + 16).ok_or_else(unusual)?;
    if count == 0xffff || offset == 0xffff_ffff {
        return Err(unusual());
    }
    let mut names = Vec::with_capacity(count.min(4096));
    let mut at = offset;
    for _ in 0..count {
        if bytes.get(at..at + 4) != Some(&CENTRAL[..]) {
            return Err(unusual());
        }
        let name_len = u16_at(at + 28).ok_or_else(unusual)?;
        let extra_len = u16_at(at + 30).ok_or_else(unusual)?;
        let comment_len = u16_at(at + 32).ok_or_else(unusual)?;
        let name = bytes.get(at + 46..at + 46 + name_len).ok_or_else(unusual)?;
        names.push(name.to_vec());
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(names)
}

/// A name that is a plain relative path, returned without a trailing `/`.
fn check_name(raw: &[u8], limits: &Limits) -> Result<String, PackageError> {
    let shown = String::from_utf8_lossy(raw);
    let refuse = |why: &str| {
        Err(PackageError::archive(format!(
            "entry {shown:?} {why}; names are relative paths inside the package"
        )))
    };
    let Ok(name) = std::str::from_utf8(raw) else {
        return refuse("is not UTF-8");
    };
    if name.len() > limits.max_name_len {
        return refuse("is too long");
    }
    if name.chars().any(|c| c.is_control()) {
        return refuse("has control characters");
    }
    if name.contains('\\') {
        return refuse("has a backslash");
    }
    if name.starts_with('/') {
        return refuse("is an absolute path");
    }
    if name.as_bytes().get(1) == Some(&b':') {
        return refuse("starts with a drive letter");
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    if trimmed.is_empty() {
        return refuse("is empty");
    }
    for component in trimmed.split('/') {
        match component {
            ".." => return refuse("climbs out with '..' (zip-slip)"),
            "." | "" => return refuse("has an empty or '.' component"),
            _ => {}
        }
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let limits = Limits::default();
        assert_eq!(check_name(b"a/b.txt", &limits).unwrap(), "a/b.txt");
        assert_eq!(check_name(b"hooks/", &limits).unwrap(), "hooks");
        for bad in [
            &b"/etc/passwd"[..],
            b"../x",
            b"a/../../x",
            b"a\\b",
            b"C:/x",
            b"a//b",
            b"./a",
            b"",
            b"\xff",
            b"a\nb",
        ] {
            assert!(check_name(bad, &limits).is_err(), "{bad:?}");
        }
    }
}
