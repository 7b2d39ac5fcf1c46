//! Bad packages, each a real `.lamp` file given to the real `switchboard
//! plugins install`: refused with a clear error (exit code 1) and nothing
//! left in the plugins folder or the registry.
#![cfg(all(feature = "packages", feature = "cli"))]

mod common;

use std::path::Path;

use common::packages::*;
use zip::write::SimpleFileOptions;

const GOOD_SETTINGS: &str = "mqtt=mqtt://broker";

/// Installs `file` into a fresh plugins folder; it must be refused with a
/// message containing `expected`, leaving nothing behind.
fn refused(root: &Path, name: &str, file: &Path, expected: &str) {
    let dir = root.join(format!("plugins-{name}"));
    let out = plugins(&dir, &["install", file.to_str().unwrap(), GOOD_SETTINGS]);
    let message = text(&out);
    assert_eq!(out.status.code(), Some(1), "{name}: {message}");
    assert!(
        message.contains(expected),
        "{name}: {message:?} lacks {expected:?}"
    );
    assert!(message.starts_with("switchboard: "), "{name}: {message}");
    assert_untouched(&dir);
}

fn write(root: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = root.join(format!("{name}.lamp"));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn with_replaced(name: &str, bytes: &str) -> Vec<(String, Vec<u8>)> {
    let mut entries = good_entries();
    entries.retain(|(n, _)| n != name);
    entries.push((name.to_owned(), bytes.as_bytes().to_vec()));
    entries
}

#[test]
fn the_good_package_installs_so_the_refusals_below_are_meaningful() {
    let root = scratch("refused-control");
    let file = write(&root, "good", &zip_with(&good_entries(), |_| {}));
    let dir = root.join("plugins");
    let out = plugins(&dir, &["install", file.to_str().unwrap(), GOOD_SETTINGS]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.join(PACKAGE).join("plugin").is_file());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn broken_metadata_is_refused_naming_file_field_and_rule() {
    let root = scratch("refused-metadata");
    let cases = [
        (
            "broken-info",
            with_replaced("info.yml", "version: [1\nname: x\n"),
            "info.yml: (document): not valid YAML",
        ),
        (
            "missing-license",
            with_replaced(
                "info.yml",
                &info_yml(PACKAGE, "1.0.0").replace("license: MIT\n", ""),
            ),
            "info.yml: license: is required (rule: required)",
        ),
        (
            "not-reverse-dns",
            with_replaced("info.yml", &info_yml("PhillipsHue", "1.0.0")),
            "info.yml: package: \"PhillipsHue\" is not a reverse-DNS name",
        ),
        (
            "bad-version",
            with_replaced("info.yml", &info_yml(PACKAGE, "one")),
            "(rule: version)",
        ),
        (
            "unknown-type",
            with_replaced("config.yml", "config:\n  colour: {type: color}\n"),
            "config.yml: config.colour.type: \"color\" is not a known type",
        ),
        (
            "inconsistent-rules",
            with_replaced(
                "config.yml",
                "config:\n  n: {type: integer, minimum: 9, maximum: 1}\n",
            ),
            "config.yml: config.n: minimum 9 is above maximum 1 (rule: consistent)",
        ),
        (
            "no-config",
            good_entries()
                .into_iter()
                .filter(|(n, _)| n != "config.yml")
                .collect(),
            "config.yml: (document): the package has no such file",
        ),
    ];
    for (name, entries, expected) in cases {
        let file = write(&root, name, &zip_with(&entries, |_| {}));
        refused(&root, name, &file, expected);
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn missing_or_unrunnable_executables_are_refused() {
    let root = scratch("refused-executable");
    let missing: Vec<_> = good_entries()
        .into_iter()
        .filter(|(n, _)| n != "plugin")
        .collect();
    let file = write(&root, "missing", &zip_with(&missing, |_| {}));
    refused(
        &root,
        "missing",
        &file,
        "the executable \"plugin\" named by info.yml is missing",
    );
    let file = write(
        &root,
        "not-runnable",
        &zip_with(&with_replaced("plugin", "echo no interpreter line"), |_| {}),
    );
    refused(&root, "not-runnable", &file, "not runnable");
    let pinned = info_yml(PACKAGE, "1.0.0") + &format!("sha256: {}\n", "0".repeat(64));
    let file = write(
        &root,
        "wrong-sha",
        &zip_with(&with_replaced("info.yml", &pinned), |_| {}),
    );
    refused(&root, "wrong-sha", &file, "(rule: sha256_match)");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn unsafe_archives_are_refused() {
    let root = scratch("refused-archive");
    let slip = zip_with(&good_entries(), |zip| {
        zip.start_file("../../escaped.txt", SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(zip, b"outside").unwrap();
    });
    let file = write(&root, "zip-slip", &slip);
    refused(&root, "zip-slip", &file, "zip-slip");
    assert!(!root.join("escaped.txt").exists());
    assert!(!root.parent().unwrap().join("escaped.txt").exists());

    let link = zip_with(&good_entries(), |zip| {
        zip.add_symlink("data", "/etc/passwd", SimpleFileOptions::default())
            .unwrap();
    });
    let file = write(&root, "symlink", &link);
    refused(&root, "symlink", &file, "\"data\" is a symbolic link");

    let bomb = zip_with(&good_entries(), |zip| {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(false);
        zip.start_file("zeros.bin", options).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..40 {
            std::io::Write::write_all(zip, &chunk).unwrap();
        }
    });
    assert!(bomb.len() < 200_000, "the bomb is small: {}", bomb.len());
    let file = write(&root, "zip-bomb", &bomb);
    refused(&root, "zip-bomb", &file, "zip bomb");

    let file = root.join("duplicate.lamp");
    python_zip(&file, "plugin", 0o100755, "#!/bin/sh\necho other\n");
    refused(&root, "duplicate", &file, "\"plugin\" appears twice");

    let file = root.join("device.lamp");
    python_zip(&file, "tty", 0o020644, "");
    refused(&root, "device", &file, "device file");

    let file = root.join("absolute.lamp");
    python_zip(&file, "/tmp/absolute-entry", 0o100644, "x");
    refused(&root, "absolute", &file, "absolute path");

    let file = write(&root, "not-zip", b"PK\x03\x04 this is no zip file at all");
    refused(&root, "not-zip", &file, "not a readable zip file");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_failing_install_hook_refuses_the_package_and_leaves_nothing() {
    let root = scratch("refused-hook");
    for (name, hook_name) in [
        ("fails-install", "install"),
        ("fails-after", "after_install"),
    ] {
        let source = source_dir(
            &root,
            name,
            &[(
                &format!("hooks/{hook_name}"),
                &hook("touch made-by-hook\necho cannot reach the bulbs >&2\nexit 3"),
            )],
        );
        let file = pack(&root, &source);
        refused(
            &root,
            name,
            &file,
            &format!("hook {hook_name} failed: exit status: 3: cannot reach the bulbs"),
        );
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_missing_required_setting_or_a_broken_rule_refuses_the_install() {
    let root = scratch("refused-settings");
    let file = write(&root, "good", &zip_with(&good_entries(), |_| {}));
    for (settings, expected) in [
        (vec![], "mqtt: is required (rule: required)"),
        (vec!["mqtt=http://broker"], "(rule: regex)"),
        (
            vec![GOOD_SETTINGS, "interval=10"],
            "interval: 10 is below the minimum 1000 (rule: range)",
        ),
        (
            vec![GOOD_SETTINGS, "colour=red"],
            "colour: is not a field of this configuration",
        ),
    ] {
        let dir = root.join("plugins");
        let mut args = vec!["install", file.to_str().unwrap()];
        args.extend(settings.iter().copied());
        let out = plugins(&dir, &args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains(expected), "{}", text(&out));
        assert_untouched(&dir);
    }
    let out = plugins(
        &root.join("plugins"),
        &["install", file.to_str().unwrap(), "mqtt"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = plugins(
        &root.join("plugins"),
        &["install", root.join("nope.lamp").to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    std::fs::remove_dir_all(&root).unwrap();
}
