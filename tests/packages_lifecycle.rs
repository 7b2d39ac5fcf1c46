//! A plugin package's life through the real `switchboard plugins`
//! program: packed, installed (its hooks run in the temporary folder),
//! listed without its secrets, configured under every rule, upgraded (and
//! rolled back when the new version fails), disabled, enabled, removed.
#![cfg(all(feature = "packages", feature = "cli"))]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::packages::*;
use switchboard::packages::{Hook, HookContext, HookRunner, ScriptHooks};

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

fn installed_version(dir: &Path) -> String {
    let listed = listed(dir);
    assert_eq!(listed.len(), 1, "{listed:?}");
    listed[0]["version"].as_str().unwrap().to_owned()
}

/// Hooks that record where they ran, so the test sees they ran in the
/// temporary folder and in order.
fn recording_hooks() -> Vec<(String, String)> {
    ["before_install", "install", "after_install"]
        .iter()
        .map(|name| {
            (
                format!("hooks/{name}"),
                hook(&format!(
                    "echo \"{name} $PWD $SWITCHBOARD_PACKAGE\" >> hook-log\ncat > {name}-stdin.json"
                )),
            )
        })
        .collect()
}

#[test]
fn pack_is_deterministic_and_install_runs_the_hooks_in_a_temporary_folder() {
    let root = scratch("lifecycle-install");
    let hooks = recording_hooks();
    let files: Vec<(&str, &str)> = hooks
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let source = source_dir(&root, "weather", &files);
    let file = pack(&root, &source);
    let first = std::fs::read(&file).unwrap();
    let again = pack(&root, &source);
    assert_eq!(
        std::fs::read(again).unwrap(),
        first,
        "same folder, same bytes"
    );

    let dir = root.join("plugins");
    let printed = ok(plugins(
        &dir,
        &[
            "install",
            file.to_str().unwrap(),
            "mqtt=mqtt://broker",
            "api_key=s3cr3t!!",
        ],
    ));
    assert!(
        printed.contains("installed com.example.weather 1.0.0"),
        "{printed}"
    );
    let home = dir.join(PACKAGE);
    let log = std::fs::read_to_string(home.join("hook-log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    for (line, name) in lines
        .iter()
        .zip(["before_install", "install", "after_install"])
    {
        let mut words = line.split(' ');
        assert_eq!(words.next(), Some(name));
        let ran_in = words.next().unwrap();
        assert!(
            ran_in.contains("/.staging-"),
            "{name} ran in {ran_in}, not a temporary folder"
        );
        assert_eq!(words.next(), Some(PACKAGE));
    }
    let stdin: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.join("install-stdin.json")).unwrap())
            .unwrap();
    assert_eq!(stdin["mqtt"], "mqtt://broker");
    assert_eq!(stdin["interval"], 2000, "defaults reach the hooks");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(home.join("plugin"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    let mode = std::fs::metadata(home.join("info.yml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    let registry = std::fs::metadata(dir.join(".registry.sqlite3")).unwrap();
    assert_eq!(
        registry.permissions().mode() & 0o777,
        0o600,
        "the registry holds secrets"
    );

    let listed = listed(&dir);
    let entry = &listed[0];
    assert_eq!(entry["package"], PACKAGE);
    assert_eq!(entry["enabled"], true);
    assert_eq!(entry["checksum"], switchboard::packages::sha256_hex(&first));
    assert_eq!(entry["info"]["authors"][0], "Dev <dev@example.com>");
    assert_eq!(entry["configuration"]["mqtt"], "mqtt://broker");
    assert_eq!(entry["secrets_set"], serde_json::json!(["api_key"]));
    let everything = ok(plugins(&dir, &["list", "--json"])) + &ok(plugins(&dir, &["list"]));
    assert!(
        !everything.contains("s3cr3t"),
        "a secret was shown: {everything}"
    );
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".staging")),
        "{names:?}"
    );

    let again = plugins(
        &dir,
        &["install", file.to_str().unwrap(), "mqtt=mqtt://other"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again).contains("already installed"),
        "{}",
        text(&again)
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn configure_checks_every_rule_and_keeps_the_old_values_on_refusal() {
    let root = scratch("lifecycle-configure");
    let file = pack(&root, &source_dir(&root, "weather", &[]));
    let dir = root.join("plugins");
    ok(plugins(
        &dir,
        &["install", file.to_str().unwrap(), "mqtt=mqtt://broker"],
    ));
    let cases = [
        (
            "interval=soon",
            "interval: \"soon\" is not an integer (rule: type)",
        ),
        (
            "interval=999",
            "interval: 999 is below the minimum 1000 (rule: range)",
        ),
        (
            "interval=5001",
            "interval: 5001 is above the maximum 5000 (rule: range)",
        ),
        (
            "api_key=short",
            "api_key: \"short\" has 5 characters, needs exactly 8 (rule: length)",
        ),
        (
            "mqtt=http://x",
            "does not match the pattern mqtt://.+ (rule: regex)",
        ),
        (
            "host=300.1.2.3",
            "host: \"300.1.2.3\" is not an IPv4 address (rule: format)",
        ),
        (
            "mode=medium",
            "mode: \"medium\" is not one of \"fast\", \"slow\" (rule: enum)",
        ),
        ("colour=red", "colour: is not a field of this configuration"),
    ];
    for (setting, expected) in cases {
        let out = plugins(&dir, &["configure", PACKAGE, setting]);
        assert_eq!(out.status.code(), Some(1), "{setting}: {}", text(&out));
        assert!(text(&out).contains(expected), "{setting}: {}", text(&out));
    }
    assert_eq!(listed(&dir)[0]["configuration"]["interval"], 2000);
    let printed = ok(plugins(
        &dir,
        &[
            "configure",
            PACKAGE,
            "interval=3000",
            "api_key=12345678",
            "mode=fast",
        ],
    ));
    assert!(!printed.contains("12345678"), "{printed}");
    let entry = &listed(&dir)[0];
    assert_eq!(entry["configuration"]["interval"], 3000);
    assert_eq!(entry["configuration"]["mode"], "fast");
    assert_eq!(
        entry["configuration"]["mqtt"], "mqtt://broker",
        "other values kept"
    );
    let out = plugins(&dir, &["configure", "com.example.absent", "a=b"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn upgrade_keeps_the_configuration_and_rolls_back_when_the_new_version_fails() {
    let root = scratch("lifecycle-upgrade");
    let v1 = pack(
        &root,
        &source_dir(&root, "v1", &[("data.txt", "version one")]),
    );
    let dir = root.join("plugins");
    ok(plugins(
        &dir,
        &[
            "install",
            v1.to_str().unwrap(),
            "mqtt=mqtt://broker",
            "interval=4000",
        ],
    ));
    ok(plugins(&dir, &["disable", PACKAGE]));
    let v1_checksum = listed(&dir)[0]["checksum"].clone();

    let failing = source_dir(
        &root,
        "v2-failing",
        &[
            ("info.yml", &info_yml(PACKAGE, "2.0.0")),
            ("data.txt", "version two"),
            ("hooks/install", &hook("echo migration failed >&2\nexit 1")),
        ],
    );
    let out = plugins(&dir, &["upgrade", pack(&root, &failing).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("hook install failed"), "{}", text(&out));
    assert_eq!(installed_version(&dir), "1.0.0");
    assert_eq!(listed(&dir)[0]["checksum"], v1_checksum);
    assert_eq!(
        std::fs::read_to_string(dir.join(PACKAGE).join("data.txt")).unwrap(),
        "version one"
    );

    // A new required setting: the kept configuration no longer passes.
    let stricter = source_dir(
        &root,
        "v2-stricter",
        &[
            ("info.yml", &info_yml(PACKAGE, "2.0.0")),
            (
                "config.yml",
                &CONFIG_YML.replace(
                    "config:\n",
                    "config:\n  region: {type: string, required: true}\n",
                ),
            ),
        ],
    );
    let stricter = pack(&root, &stricter);
    let out = plugins(&dir, &["upgrade", stricter.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("region: is required"), "{}", text(&out));
    assert_eq!(installed_version(&dir), "1.0.0");

    let printed = ok(plugins(
        &dir,
        &["upgrade", stricter.to_str().unwrap(), "region=eu"],
    ));
    assert!(printed.contains("from 1.0.0 to 2.0.0"), "{printed}");
    let entry = &listed(&dir)[0];
    assert_eq!(entry["version"], "2.0.0");
    assert_eq!(
        entry["configuration"]["interval"], 4000,
        "configuration kept"
    );
    assert_eq!(entry["configuration"]["region"], "eu");
    assert_eq!(entry["enabled"], false, "disabled stays disabled");
    assert!(
        !dir.join(PACKAGE).join("data.txt").exists(),
        "old files replaced"
    );
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, [".registry.sqlite3", PACKAGE]);

    let out = plugins(
        &dir,
        &[
            "upgrade",
            v1.to_str().unwrap().replace("v1", "absent").as_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn enable_disable_and_remove() {
    let root = scratch("lifecycle-remove");
    let source = source_dir(
        &root,
        "weather",
        &[(
            "hooks/after_run",
            &hook("echo \"$SWITCHBOARD_HOOK\" > ../after-run-ran"),
        )],
    );
    let file = pack(&root, &source);
    let dir = root.join("plugins");
    ok(plugins(
        &dir,
        &["install", file.to_str().unwrap(), "mqtt=mqtt://broker"],
    ));
    ok(plugins(&dir, &["disable", PACKAGE]));
    assert_eq!(listed(&dir)[0]["enabled"], false);
    assert!(ok(plugins(&dir, &["list"])).contains("disabled"));
    ok(plugins(&dir, &["enable", PACKAGE]));
    assert_eq!(listed(&dir)[0]["enabled"], true);

    ok(plugins(&dir, &["remove", PACKAGE]));
    assert_eq!(
        std::fs::read_to_string(dir.join("after-run-ran"))
            .unwrap()
            .trim(),
        "after_run"
    );
    std::fs::remove_file(dir.join("after-run-ran")).unwrap();
    assert_untouched(&dir);
    for command in ["remove", "enable", "disable"] {
        let out = plugins(&dir, &[command, PACKAGE]);
        assert_eq!(out.status.code(), Some(3), "{command}: {}", text(&out));
        assert!(text(&out).contains("is not installed"), "{}", text(&out));
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_hook_past_its_timeout_is_killed_with_everything_it_started() {
    let root = scratch("lifecycle-timeout");
    let hooks = root.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    // The hook starts a grandchild that would outlive it, then hangs.
    std::fs::write(
        hooks.join("install"),
        hook("echo $$ > hook.pid\nsleep 30 &\necho $! > grandchild.pid\nsleep 30"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        hooks.join("install"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let runner = ScriptHooks {
        // Long enough for a loaded machine to start the shell and write
        // both pids.
        timeout: Duration::from_secs(3),
    };
    let configuration = Default::default();
    let context = HookContext {
        package: PACKAGE,
        dir: &root,
        configuration: &configuration,
    };
    let started = Instant::now();
    let error = runner.run_hook(Hook::Install, &context).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(error.to_string().contains("still running after"), "{error}");
    for file in ["hook.pid", "grandchild.pid"] {
        let pid = std::fs::read_to_string(root.join(file)).unwrap();
        let proc = format!("/proc/{}", pid.trim());
        let deadline = Instant::now() + Duration::from_secs(5);
        // The grandchild is reaped by init once killed; give it a moment.
        while Path::new(&proc).exists() && Instant::now() < deadline {
            let state = std::fs::read_to_string(format!("{proc}/stat")).unwrap_or_default();
            if state.contains(") Z ") {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let state = std::fs::read_to_string(format!("{proc}/stat")).unwrap_or_default();
        assert!(
            state.is_empty() || state.contains(") Z "),
            "{file} still runs: {state}"
        );
    }
    // No hook file: nothing runs, nothing fails.
    runner.run_hook(Hook::AfterRun, &context).unwrap();
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn what_a_killed_installer_left_is_cleaned_up_or_restored() {
    let root = scratch("lifecycle-recover");
    let dir = root.join("plugins");
    let v1 = pack(
        &root,
        &source_dir(&root, "v1", &[("data.txt", "version one")]),
    );
    ok(plugins(
        &dir,
        &["install", v1.to_str().unwrap(), "mqtt=mqtt://broker"],
    ));
    // A process that has exited: its pid names the left-overs.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let home = dir.join(PACKAGE);
    // An install that died while unpacking.
    let staging = dir.join(format!(".staging-{dead}-0-com.example.other"));
    std::fs::create_dir_all(staging.join("hooks")).unwrap();
    // An upgrade that died after moving the new version in, before its
    // commit: the registry still records 1.0.0.
    let old = dir.join(format!(".old-{dead}-1-{PACKAGE}"));
    std::fs::rename(&home, &old).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("info.yml"), info_yml(PACKAGE, "2.0.0")).unwrap();

    let entry = &listed(&dir)[0];
    assert_eq!(entry["version"], "1.0.0");
    assert_eq!(
        entry["info"]["version"], "1.0.0",
        "the recorded version is back in place"
    );
    assert_eq!(
        std::fs::read_to_string(home.join("data.txt")).unwrap(),
        "version one"
    );
    assert!(!staging.exists() && !old.exists());

    // An upgrade that died after moving the old version aside.
    let old = dir.join(format!(".old-{dead}-2-{PACKAGE}"));
    std::fs::rename(&home, &old).unwrap();
    assert_eq!(listed(&dir)[0]["info"]["version"], "1.0.0");
    assert!(home.join("plugin").is_file() && !old.exists());
    std::fs::remove_dir_all(&root).unwrap();
}

/// What the plugin runner will hear: every committed change, in order,
/// through a bounded queue; refused operations say nothing.
#[test]
fn committed_changes_reach_the_listener_refusals_do_not() {
    use switchboard::packages::{Installer, PackageChange, pack_dir};
    let root = scratch("lifecycle-changes");
    let (tx, rx) = crossbeam_channel::bounded(16);
    let mut installer = Installer::open(root.join("plugins"))
        .unwrap()
        .with_listener(tx);
    let v1 = installer
        .read(&pack_dir(&source_dir(&root, "v1", &[]), installer.limits()).unwrap())
        .unwrap();
    let values = v1.config.parse_assignments(&["mqtt=mqtt://b"]).unwrap();
    installer.install(&v1, &values).unwrap();
    assert!(installer.install(&v1, &values).is_err());
    let bad = v1.config.parse_assignments(&["interval=1"]).unwrap();
    assert!(installer.configure(PACKAGE, &bad).is_err());
    let good = v1.config.parse_assignments(&["interval=1500"]).unwrap();
    installer.configure(PACKAGE, &good).unwrap();
    installer.set_enabled(PACKAGE, false).unwrap();
    let v2 = source_dir(&root, "v2", &[("info.yml", &info_yml(PACKAGE, "2.0.0"))]);
    let v2 = installer
        .read(&pack_dir(&v2, installer.limits()).unwrap())
        .unwrap();
    installer.upgrade(&v2, &Default::default()).unwrap();
    installer.remove(PACKAGE).unwrap();
    assert!(installer.remove(PACKAGE).is_err());
    let package = PACKAGE.to_owned();
    let heard: Vec<PackageChange> = rx.try_iter().collect();
    assert_eq!(
        heard,
        [
            PackageChange::Installed {
                package: package.clone(),
                version: "1.0.0".into()
            },
            PackageChange::Configured {
                package: package.clone()
            },
            PackageChange::Enabled {
                package: package.clone(),
                enabled: false
            },
            PackageChange::Upgraded {
                package: package.clone(),
                from: "1.0.0".into(),
                to: "2.0.0".into()
            },
            PackageChange::Removed { package },
        ]
    );
    std::fs::remove_dir_all(&root).unwrap();
}
