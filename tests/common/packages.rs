//! Building plugin packages for the tests: folders with info.yml,
//! config.yml, an executable and hooks; zip files written with the zip
//! crate or Python's zipfile (for what the zip crate will not write:
//! duplicate names, device files); the real `switchboard` binary.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

pub const PACKAGE: &str = "com.example.weather";

/// A fresh, empty folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "switchboard-packages-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn info_yml(package: &str, version: &str) -> String {
    format!(
        "version: \"{version}\"\nname: Weather station\npackage: {package}\n\
         abstract: Reports the weather\ndescription: >\n  A simulated weather station.\n\
         repository: https://example.com/weather.git\nwebsite: https://example.com/weather\n\
         email: dev@example.com\nlicense: MIT\nauthors:\n  - Dev <dev@example.com>\n"
    )
}

pub const CONFIG_YML: &str = "\
config:
  mqtt: {type: string, required: true, regex: \"mqtt://.+\", title: MQTT}
  api_key: {type: string, length: 8, secret: true}
  interval: {type: integer, minimum: 1000, maximum: 5000, default: 2000}
  host: {type: string, format: ipv4}
  mode: {type: string, enum: [fast, slow]}
device_types:
  station:
    name: Weather station
    state:
      temperature: {type: number, unit: celsius}
    commands:
      refresh: {}
";

pub const PLUGIN: &str = "#!/bin/sh\necho weather plugin\n";

/// A hook script: `body` after the interpreter line.
pub fn hook(body: &str) -> String {
    format!("#!/bin/sh\nset -e\n{body}\n")
}

/// Writes a package folder: the files given, over a good default set.
pub fn source_dir(root: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = root.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let mut all: Vec<(String, String)> = vec![
        ("info.yml".into(), info_yml(PACKAGE, "1.0.0")),
        ("config.yml".into(), CONFIG_YML.into()),
        ("plugin".into(), PLUGIN.into()),
    ];
    for (path, text) in files {
        all.retain(|(p, _)| p != path);
        all.push((path.to_string(), text.to_string()));
    }
    for (path, text) in all {
        if text == "<absent>" {
            continue;
        }
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Packs a folder with `switchboard plugins pack`, which must succeed.
pub fn pack(root: &Path, dir: &Path) -> PathBuf {
    let out = root.join(format!(
        "{}.lamp",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let result = switchboard(&[
        "plugins",
        "pack",
        dir.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "pack: {}", text(&result));
    out
}

/// The files of a good package, for zips built entry by entry.
pub fn good_entries() -> Vec<(String, Vec<u8>)> {
    vec![
        ("info.yml".into(), info_yml(PACKAGE, "1.0.0").into_bytes()),
        ("config.yml".into(), CONFIG_YML.as_bytes().to_vec()),
        ("plugin".into(), PLUGIN.as_bytes().to_vec()),
    ]
}

/// A zip written with the zip crate: the entries, then `extra` to add
/// more (symlinks, odd names).
pub fn zip_with(
    entries: &[(String, Vec<u8>)],
    extra: impl FnOnce(&mut ZipWriter<Cursor<Vec<u8>>>),
) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    extra(&mut zip);
    zip.finish().unwrap().into_inner()
}

/// A zip written by Python's zipfile: the good entries, then one entry
/// `name` with the Unix mode `mode` (file type bits included).
pub fn python_zip(out: &Path, name: &str, mode: u32, data: &str) {
    let script = format!(
        "import sys, zipfile, warnings\n\
         warnings.simplefilter('ignore')\n\
         files = {files}\n\
         with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
         \x20   for n, d in files:\n\
         \x20       z.writestr(n, d)\n\
         \x20   info = zipfile.ZipInfo({name:?})\n\
         \x20   info.external_attr = {mode} << 16\n\
         \x20   info.create_system = 3\n\
         \x20   z.writestr(info, {data:?})\n",
        files = python_files(),
    );
    let status = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(out)
        .status()
        .expect("python3 runs");
    assert!(status.success());
}

fn python_files() -> String {
    let items: Vec<String> = good_entries()
        .into_iter()
        .map(|(name, bytes)| format!("({name:?}, {:?})", String::from_utf8(bytes).unwrap()))
        .collect();
    format!("[{}]", items.join(", "))
}

/// Runs the real `switchboard` binary.
pub fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .output()
        .expect("the switchboard binary runs")
}

/// Runs `switchboard plugins --plugins-dir DIR --hooks scripts ARGS...`:
/// these packages' plugins are shell stand-ins that do not speak the
/// plugin protocol, and their hooks are `hooks/<name>` scripts
/// (tests/packages_plugin_hooks.rs covers the default, `--hooks plugin`).
pub fn plugins(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "plugins",
        "--plugins-dir",
        dir.to_str().unwrap(),
        "--hooks",
        "scripts",
    ];
    all.extend_from_slice(args);
    switchboard(&all)
}

/// stdout and stderr together, for messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The plugins folder holds nothing but the registry, and the registry
/// no package: what a refused install must leave.
pub fn assert_untouched(dir: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".registry.sqlite3"],
        "left on disk in {}",
        dir.display()
    );
    let listed = plugins(dir, &["list", "--json"]);
    assert!(listed.status.success(), "{}", text(&listed));
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(json, serde_json::json!([]), "left in the registry");
}

/// `list --json`, parsed.
pub fn listed(dir: &Path) -> Vec<serde_json::Value> {
    let out = plugins(dir, &["list", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}
