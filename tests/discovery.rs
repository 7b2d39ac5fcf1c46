//! Discovery with real demo processes: each publishes its record, a killed
//! one's record is ignored and then deleted, one that exits removes its own;
//! and a host in this process, checked over a real connection.
#![cfg(feature = "discovery")]

mod common;

use common::PATIENCE;
use std::os::unix::fs::PermissionsExt;
use switchboard::client::Client;
use switchboard::discovery::{self, DiscoveryError};
use switchboard::{Host, HostConfig};

#[cfg(feature = "hardware")]
#[path = "support/examples.rs"]
mod examples;

#[cfg(feature = "hardware")]
#[path = "support/demos.rs"]
mod demos;

#[cfg(feature = "hardware")]
#[test]
fn two_demos_are_listed_and_a_killed_ones_record_is_ignored_then_cleaned() {
    use demos::{Demo, Folder};
    let folder = Folder::new("demos");
    let binary = examples::example_binary("ipc_agent");
    let a = Demo::start(&folder.0, &binary, &["--name", "game a"]);
    let b = Demo::start(&folder.0, &binary, &["--name", "game b"]);
    let mut c = Demo::start(&folder.0, &binary, &["--name", "game c"]);
    let records = folder.wait_until(PATIENCE * 3, |r| r.len() == 3);
    for (demo, name) in [(&a, "game a"), (&b, "game b"), (&c, "game c")] {
        let record = records
            .iter()
            .find(|r| r.pid == demo.pid())
            .expect("listed");
        assert_eq!(record.name, name);
        assert_eq!(record.version, env!("CARGO_PKG_VERSION"));
        // The demo takes clients over message queues when built with
        // them, and then its record names the pair.
        if cfg!(feature = "mqueue") {
            let queues = record.queues.as_ref().expect("the queue pair is named");
            assert_eq!(queues.to_game, format!("/SwitchboardIn.{}", demo.pid()));
            assert_eq!(queues.from_game, format!("/SwitchboardOut.{}", demo.pid()));
        } else {
            assert_eq!(record.queues, None);
        }
        // The URL is the real one: the game there has this session.
        let addr = record.url.trim_start_matches("ws://").trim_end_matches('/');
        let addr: std::net::SocketAddr = addr.parse().unwrap();
        let client = Client::connect(addr, "discovery test").expect("connects");
        assert_eq!(client.welcome().session_id, record.session_id);
    }
    for entry in std::fs::read_dir(&folder.0).unwrap() {
        let mode = entry.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    c.kill();
    let leftover = folder.0.join(format!(
        "{}-{}.json",
        c.pid(),
        records
            .iter()
            .find(|r| r.pid == c.pid())
            .unwrap()
            .session_id
    ));
    assert!(leftover.exists(), "SIGKILL leaves the record behind");
    let listed = discovery::list_in(&folder.0).unwrap();
    let pids: Vec<u32> = listed.iter().map(|r| r.pid).collect();
    assert_eq!(pids.len(), 2, "{listed:#?}");
    assert!(pids.contains(&a.pid()) && pids.contains(&b.pid()));
    assert!(!leftover.exists(), "the dead game's record is cleaned up");
}

#[cfg(feature = "hardware")]
#[test]
fn a_demo_that_exits_removes_its_record() {
    use demos::{Demo, Folder};
    let folder = Folder::new("exits");
    let binary = examples::example_binary("ipc_agent");
    let mut demo = Demo::start(&folder.0, &binary, &["--frames", "60"]);
    let pid = demo.pid();
    folder.wait_until(PATIENCE * 3, |r| r.iter().any(|r| r.pid == pid));
    let status = demo.child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(std::fs::read_dir(&folder.0).unwrap().count(), 0);
}

#[test]
fn a_host_publishes_itself_unless_told_not_to() {
    let dir =
        std::env::temp_dir().join(format!("switchboard-discovery-{}-host", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = || HostConfig::default().port(0).discovery_dir(&dir);

    let host = Host::start(config().host_name("in process")).unwrap();
    let meta = std::fs::metadata(&dir).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o700, "made private");
    let mine = discovery::find_in(&dir, &std::process::id().to_string()).unwrap();
    assert_eq!(mine.len(), 1, "{mine:#?}");
    assert_eq!(mine[0].session_id, host.session_id());
    assert_eq!(mine[0].url, format!("ws://{}/", host.local_addr()));
    assert_eq!(discovery::find_in(&dir, "in process").unwrap(), mine);
    assert!(discovery::find_in(&dir, "no such game").unwrap().is_empty());

    let quiet = Host::start(config().discovery(false)).unwrap();
    assert_eq!(discovery::list_in(&dir).unwrap().len(), 1);
    host.shutdown();
    assert!(
        discovery::list_in(&dir).unwrap().is_empty(),
        "removed at shutdown"
    );
    drop(quiet);

    // A folder others may read is narrowed back to 0700.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let host = Host::start(config()).unwrap();
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    drop(host);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_of_another_user_is_refused() {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    let foreign = if root {
        // As root (CI), make one and give it to nobody.
        let dir = std::env::temp_dir().join(format!(
            "switchboard-discovery-{}-foreign",
            std::process::id()
        ));
        let _ = std::fs::create_dir(&dir);
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        dir
    } else {
        // Root's own folder, seen from another user.
        std::path::PathBuf::from("/")
    };
    match discovery::list_in(&foreign) {
        Err(DiscoveryError::NotOwned { .. }) => {}
        other => panic!("{} was accepted: {other:?}", foreign.display()),
    }
    let host = Host::start(HostConfig::default().port(0).discovery_dir(&foreign)).unwrap();
    assert!(
        std::fs::read_dir(&foreign).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".json")),
        "no record written there"
    );
    drop(host);
    if root {
        let _ = std::fs::remove_dir_all(&foreign);
    }
}

#[test]
fn files_that_are_not_records_are_skipped_and_records_of_reused_pids_cleaned() {
    use std::os::unix::fs::DirBuilderExt;
    let dir =
        std::env::temp_dir().join(format!("switchboard-discovery-{}-odd", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
    let host = Host::start(HostConfig::default().port(0).discovery_dir(&dir)).unwrap();
    let real = discovery::list_in(&dir).unwrap();
    assert_eq!(real.len(), 1);

    // Not JSON, and too big: skipped, left alone (a writer may be alive).
    std::fs::write(dir.join("garbage.json"), "{not json").unwrap();
    std::fs::write(dir.join("huge.json"), vec![b' '; 100 << 10]).unwrap();
    // This process's pid, but another process's start time: the pid was
    // reused, so the record is stale and goes.
    let mut stale = serde_json::to_value(&real[0]).unwrap();
    stale["session_id"] = "stale".into();
    stale["process_start"] = (real[0].process_start.unwrap() + 1).into();
    let stale_path = dir.join("stale.json");
    std::fs::write(&stale_path, stale.to_string()).unwrap();
    // A process that is gone.
    let mut gone = serde_json::to_value(&real[0]).unwrap();
    gone["pid"] = u32::MAX.into();
    let gone_path = dir.join("gone.json");
    std::fs::write(&gone_path, gone.to_string()).unwrap();

    assert_eq!(discovery::list_in(&dir).unwrap(), real);
    assert!(!stale_path.exists() && !gone_path.exists());
    assert!(dir.join("garbage.json").exists() && dir.join("huge.json").exists());
    drop(host);
    let _ = std::fs::remove_dir_all(&dir);
}
