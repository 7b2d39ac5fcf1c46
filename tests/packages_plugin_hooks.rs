//! The install hooks through the plugin protocol (`PluginHooks`): real
//! `.lamp` files packed by the `switchboard` program, whose plugin is a
//! Python SDK plugin (tests/plugins/install_hooks.py) started once per
//! hook in the temporary folder. Hooks that succeed leave their files in
//! the installed folder; a failing `install` hook and a hanging one (killed
//! with what it started after the timeout) refuse the package and leave
//! nothing behind; a plugin without hook handlers installs. The Rust
//! counter example, packed, answers its hooks through the Rust SDK;
//! `switchboard plugins install` runs them this way by default.
#![cfg(all(unix, feature = "plugins", feature = "packages", feature = "cli"))]

mod common;
#[path = "support/examples.rs"]
#[allow(dead_code)] // the demo's half of it
mod examples;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::packages::*;
use serde_json::{Value, json};
use switchboard::fields::Object;
use switchboard::packages::{Installer, PackageError, PluginHooks};

const CONFIG: &str = "config:\n  marks: {type: string, required: true}\n";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A package whose plugin is the hook test plugin in `mode`.
fn hook_package(root: &Path, mode: &str) -> PathBuf {
    let sdk = repo().join("clients/python");
    let script = std::fs::read_to_string(repo().join("tests/plugins/install_hooks.py")).unwrap();
    let plugin = format!(
        "#!/usr/bin/env python3\nimport sys\nsys.path.insert(0, {:?})\n{script}",
        sdk.display().to_string()
    );
    let source = source_dir(
        root,
        &format!("weather-{mode}"),
        &[
            ("config.yml", CONFIG),
            ("plugin", &plugin),
            ("hook-mode", mode),
        ],
    );
    pack(root, &source)
}

fn install(
    root: &Path,
    mode: &str,
    timeout: Duration,
) -> (PathBuf, PathBuf, Result<(), PackageError>) {
    let file = hook_package(root, mode);
    let marks = root.join(format!("marks-{mode}"));
    std::fs::create_dir_all(&marks).unwrap();
    let dir = root.join(format!("plugins-{mode}"));
    let mut installer = Installer::open(&dir).unwrap().with_hooks(PluginHooks {
        timeout,
        ..PluginHooks::default()
    });
    let package = installer.read(&std::fs::read(&file).unwrap()).unwrap();
    let mut values = Object::new();
    values.insert("marks".into(), json!(marks.display().to_string()));
    let result = installer.install(&package, &values).map(|_| ());
    (dir, marks, result)
}

fn hook_log(marks: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(marks.join("hooks.log"))
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let (hook, cwd) = line.split_once(' ').unwrap();
            (hook.to_owned(), cwd.to_owned())
        })
        .collect()
}

#[test]
fn hooks_run_in_order_in_the_temporary_folder_and_their_files_are_installed() {
    let root = scratch("plugin-hooks-ok");
    let (dir, marks, result) = install(&root, "ok", Duration::from_secs(30));
    result.unwrap();
    let home = dir.join(PACKAGE);
    let log = hook_log(&marks);
    let hooks: Vec<&str> = log.iter().map(|(hook, _)| hook.as_str()).collect();
    assert_eq!(hooks, ["before_install", "install", "after_install"]);
    for (hook, cwd) in &log {
        assert_ne!(Path::new(cwd), home, "{hook} ran in the temporary folder");
        assert!(Path::new(cwd).starts_with(&dir), "{hook} in {cwd}");
        assert!(
            !Path::new(cwd).exists(),
            "the temporary folder {cwd} is gone"
        );
    }
    assert_eq!(
        std::fs::read_to_string(home.join("calibration")).unwrap(),
        "offset 0.5\n"
    );
    let record: Value =
        serde_json::from_slice(&std::fs::read(home.join("install.json")).unwrap()).unwrap();
    assert_eq!(record["env"], "install", "SWITCHBOARD_PLUGIN_HOOK");
    assert_eq!(
        record["configuration"]["marks"],
        marks.display().to_string()
    );
    assert!(home.join("after_install.json").is_file());
    assert_eq!(listed(&dir).len(), 1);
}

#[test]
fn a_plugin_without_hook_handlers_installs() {
    let root = scratch("plugin-hooks-none");
    let (dir, marks, result) = install(&root, "no_handlers", Duration::from_secs(30));
    result.unwrap();
    assert!(hook_log(&marks).is_empty());
    assert!(dir.join(PACKAGE).join("plugin").is_file());
    assert_eq!(listed(&dir).len(), 1);
}

#[test]
fn a_failing_install_hook_refuses_the_package_and_leaves_nothing() {
    let root = scratch("plugin-hooks-fail");
    let (dir, marks, result) = install(&root, "fail_install", Duration::from_secs(30));
    let error = result.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(
            error,
            PackageError::Hook {
                hook: "install",
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains("hook install failed")
            && message.contains("RuntimeError: the station does not answer"),
        "{message}"
    );
    let hooks: Vec<String> = hook_log(&marks).into_iter().map(|(h, _)| h).collect();
    assert_eq!(
        hooks,
        ["before_install", "install"],
        "after_install never ran"
    );
    assert_untouched(&dir);
}

/// Gone, or a zombie its new parent has yet to reap.
fn is_gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn a_hanging_install_hook_is_killed_with_its_children_after_the_timeout() {
    let root = scratch("plugin-hooks-hang");
    let started = Instant::now();
    let (dir, marks, result) = install(&root, "hang_install", Duration::from_secs(3));
    let took = started.elapsed();
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("hook install failed") && message.contains("no answer within 3s"),
        "{message}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let pids = std::fs::read_to_string(marks.join("pids")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    for pid in pids.split_whitespace() {
        while !is_gone(pid) {
            assert!(Instant::now() < deadline, "process {pid} outlived its hook");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert_untouched(&dir);
}

#[test]
fn the_rust_counter_example_answers_its_hooks_through_the_rust_sdk() {
    let root = scratch("plugin-hooks-counter");
    let folder = root.join("counter");
    std::fs::create_dir_all(&folder).unwrap();
    for file in ["info.yml", "config.yml"] {
        let from = repo().join("examples/plugins/counter").join(file);
        std::fs::copy(from, folder.join(file)).unwrap();
    }
    let binary = examples::example_binary_featuring("plugin_counter", &["plugins"]);
    std::fs::copy(binary, folder.join("plugin_counter")).unwrap();
    let file = pack(&root, &folder);
    let dir = root.join("plugins");
    let mut installer = Installer::open(&dir).unwrap().with_hooks(PluginHooks {
        timeout: Duration::from_secs(30),
        ..PluginHooks::default()
    });
    let package = installer.read(&std::fs::read(&file).unwrap()).unwrap();
    let started = Instant::now();
    installer.install(&package, &Object::new()).unwrap();
    // Three answered hooks, not three timeouts.
    assert!(started.elapsed() < Duration::from_secs(25));
    assert!(dir.join("com.example.counter/plugin_counter").is_file());
    assert_eq!(listed(&dir).len(), 1);
}

#[test]
fn the_command_line_runs_the_hooks_through_the_plugin_by_default() {
    let root = scratch("plugin-hooks-cli");
    let marks = root.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let dir = root.join("plugins");
    let good = hook_package(&root, "ok");
    let marks_setting = format!("marks={}", marks.display());
    let install = |file: &Path| {
        switchboard(&[
            "plugins",
            "--plugins-dir",
            dir.to_str().unwrap(),
            "install",
            file.to_str().unwrap(),
            &marks_setting,
        ])
    };
    let out = install(&good);
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.join(PACKAGE).join("calibration").is_file());
    assert_eq!(hook_log(&marks).len(), 3);

    let out = switchboard(&[
        "plugins",
        "--plugins-dir",
        dir.to_str().unwrap(),
        "remove",
        PACKAGE,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let failing = hook_package(&root, "fail_install");
    let out = install(&failing);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let message = text(&out);
    assert!(
        message.contains("hook install failed") && message.contains("does not answer"),
        "{message}"
    );
    assert_untouched(&dir);
}
