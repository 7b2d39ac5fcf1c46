use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::packages::{Limits, PackageError, read_archive};

fn zip_of(build: impl FnOnce(&mut ZipWriter<Cursor<Vec<u8>>>)) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    build(&mut zip);
    zip.finish().unwrap().into_inner()
}

fn file(zip: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, bytes: &[u8]) {
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file(name, options).unwrap();
    zip.write_all(bytes).unwrap();
}

fn refusal(bytes: &[u8], limits: &Limits) -> String {
    match read_archive(bytes, limits) {
        Err(PackageError::Archive(message)) => message,
        other => panic!("{other:?}"),
    }
}

#[test]
fn plain_files_and_folders_read() {
    let bytes = zip_of(|zip| {
        zip.add_directory("hooks/", SimpleFileOptions::default())
            .unwrap();
        file(zip, "hooks/install", b"#!/bin/sh\n");
        file(zip, "info.yml", b"x");
    });
    let entries = read_archive(&bytes, &Limits::default()).unwrap();
    assert_eq!(entries.folders, ["hooks"]);
    assert_eq!(entries.files["hooks/install"], b"#!/bin/sh\n");
}

#[test]
fn unsafe_entries_are_refused() {
    let limits = Limits::default();
    for (name, expected) in [
        ("../evil", "zip-slip"),
        ("a/../../evil", "zip-slip"),
        ("/etc/evil", "absolute"),
        ("a\\..\\evil", "backslash"),
    ] {
        let bytes = zip_of(|zip| file(zip, name, b"x"));
        let message = refusal(&bytes, &limits);
        assert!(message.contains(expected), "{name}: {message}");
    }
    let bytes = zip_of(|zip| {
        zip.add_symlink("plugin", "/bin/sh", SimpleFileOptions::default())
            .unwrap();
    });
    assert!(refusal(&bytes, &limits).contains("symbolic link"));
    assert!(refusal(b"PK\x03\x04 not really", &limits).contains("not a readable zip"));
}

#[test]
fn limits_hold_against_the_bytes_inflated() {
    let bomb = zip_of(|zip| file(zip, "zeros", &vec![0u8; 8 << 20]));
    let message = refusal(&bomb, &Limits::default());
    assert!(message.contains("zip bomb"), "{message}");
    let small = Limits {
        max_total_size: 1000,
        ..Limits::default()
    };
    let two = zip_of(|zip| {
        file(zip, "a", &[1u8; 600]);
        file(zip, "b", &[2u8; 600]);
    });
    assert!(refusal(&two, &small).contains("limit for a package"));
    let few = Limits {
        max_entries: 1,
        ..Limits::default()
    };
    assert!(refusal(&two, &few).contains("entries"));
}
