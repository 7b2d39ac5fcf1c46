//! `switchboard ls`, the real binary against real demo processes that
//! publish their discovery records into a scratch folder.
#![cfg(all(feature = "cli", feature = "hardware"))]

mod common;
#[path = "support/demos.rs"]
mod demos;
#[path = "support/examples.rs"]
mod examples;

use std::path::Path;
use std::process::{Command, Output};

use common::PATIENCE;
use demos::{Demo, Folder};

fn ls(folder: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("ls")
        .args(args)
        .env("SWITCHBOARD_DISCOVERY_DIR", folder)
        .output()
        .expect("switchboard runs")
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn lists_running_demos_as_a_table_and_as_json_lines() {
    let folder = Folder::new("cli-ls");
    let empty = stdout(&ls(&folder.0, &[]));
    assert!(empty.starts_with("no games running"), "{empty}");
    assert_eq!(stdout(&ls(&folder.0, &["--json"])), "");

    let binary = examples::example_binary("ipc_agent");
    let north = Demo::start(&folder.0, &binary, &["--name", "north"]);
    let mut south = Demo::start(&folder.0, &binary, &["--name", "south"]);
    let records = folder.wait_until(PATIENCE * 3, |r| r.len() == 2);

    let text = stdout(&ls(&folder.0, &[]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("PID") && lines[0].contains("URL"),
        "{text}"
    );
    for record in &records {
        let row = lines
            .iter()
            .find(|l| l.starts_with(&format!("{} ", record.pid)))
            .unwrap_or_else(|| panic!("pid {} missing: {text}", record.pid));
        assert!(
            row.contains(&record.name) && row.contains(&record.url),
            "{row}"
        );
    }

    let json = stdout(&ls(&folder.0, &["--json"]));
    let listed: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let mut pids: Vec<u64> = listed.iter().map(|v| v["pid"].as_u64().unwrap()).collect();
    pids.sort_unstable();
    let mut expected = vec![u64::from(north.pid()), u64::from(south.pid())];
    expected.sort_unstable();
    assert_eq!(pids, expected);
    for v in &listed {
        assert!(v["session_id"].is_string(), "{v}");
        // The demo takes clients over its message queues when built with
        // them, and its record names the pair.
        let pid = v["pid"].as_u64().unwrap();
        if cfg!(feature = "mqueue") {
            assert_eq!(
                v["queues"]["to_game"],
                format!("/SwitchboardIn.{pid}"),
                "{v}"
            );
            assert_eq!(
                v["queues"]["from_game"],
                format!("/SwitchboardOut.{pid}"),
                "{v}"
            );
        } else {
            assert!(v["queues"].is_null(), "{v}");
        }
    }

    let only = stdout(&ls(&folder.0, &["south"]));
    assert_eq!(only.lines().count(), 2, "{only}");
    assert!(only.contains(&south.pid().to_string()), "{only}");
    let by_pid = stdout(&ls(&folder.0, &["--json", &north.pid().to_string()]));
    assert_eq!(by_pid.lines().count(), 1, "{by_pid}");
    assert!(by_pid.contains("\"north\""), "{by_pid}");
    let none = stdout(&ls(&folder.0, &["west"]));
    assert!(none.starts_with("no game \"west\" running"), "{none}");

    south.kill();
    let text = stdout(&ls(&folder.0, &[]));
    assert_eq!(text.lines().count(), 2, "only north is left: {text}");
    assert!(text.contains("north") && !text.contains("south"), "{text}");
}

#[test]
fn a_folder_of_another_user_is_refused_with_exit_code_one() {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    let foreign = if root {
        // As root (CI), make one and give it to nobody.
        let dir =
            std::env::temp_dir().join(format!("switchboard-cli-ls-{}-foreign", std::process::id()));
        let _ = std::fs::create_dir(&dir);
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        dir
    } else {
        std::path::PathBuf::from("/")
    };
    let out = ls(&foreign, &[]);
    if root {
        let _ = std::fs::remove_dir_all(&foreign);
    }
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("switchboard: ") && stderr.contains("refusing"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}
