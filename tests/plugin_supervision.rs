//! The plugin supervisor's rules, with real child processes: restart with
//! backoff, crash loop, hang, broken framing and oversized frames (the
//! others go on), stdout noise, checksums, refused registrations, duplicate
//! ids, and a shutdown that leaves no process behind.
#![cfg(all(unix, feature = "plugins"))]

#[path = "support/plugins.rs"]
mod support;

use std::time::{Duration, Instant};

use support::*;
use switchboard::client::{Client, Incoming};
use switchboard::plugins::{PluginManager, PluginState};
use switchboard::{Host, HostConfig};

#[test]
fn a_crashing_plugin_is_restarted_with_backoff_until_a_crash_loop_fails_it() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut plugins = PluginManager::start(
        &host,
        config("crash")
            .plugin(behave("crashy", "crash"))
            .crash_loop(4, Duration::from_secs(60)),
    )
    .unwrap();
    let started = Instant::now();
    let mut restarts_seen = Vec::new();
    run_until(
        &host,
        &mut plugins,
        |_, _| {},
        |plugins| {
            let s = status(&plugins.statuses(), "crashy").clone();
            if let PluginState::Restarting { count, .. } = s.state {
                if restarts_seen.last() != Some(&count) {
                    restarts_seen.push(count);
                }
            }
            matches!(s.state, PluginState::Failed { .. })
        },
    );
    let s = status(&plugins.statuses(), "crashy").clone();
    let PluginState::Failed { reason } = &s.state else {
        unreachable!()
    };
    assert!(reason.contains("crash loop: 4 failures"), "{reason}");
    assert!(reason.contains("exited"), "{reason}");
    assert_eq!(s.restarts, 3);
    assert_eq!(s.pid, None);
    // Backoff of 50, 100 and 200 ms before the three restarts.
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "{:?}",
        started.elapsed()
    );
    assert!(!restarts_seen.is_empty());
}

#[test]
fn a_hung_plugin_is_killed_and_restarted() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut plugins = PluginManager::start(
        &host,
        config("hang")
            .plugin(behave("sleepy", "hang"))
            .ping_timeout(Duration::from_millis(400)),
    )
    .unwrap();
    let mut first_pid = None;
    run_until(
        &host,
        &mut plugins,
        |_, _| {},
        |plugins| {
            let s = status(&plugins.statuses(), "sleepy").clone();
            if s.state == PluginState::Running && first_pid.is_none() {
                first_pid = s.pid;
            }
            matches!(&s.state, PluginState::Restarting { reason, .. } if reason.contains("ping"))
        },
    );
    let pid = first_pid.expect("it registered first");
    assert!(
        !process_exists(pid),
        "the hung process was not killed and reaped"
    );
    run_until(&host, &mut plugins, |_, _| {}, |p| running(p, "sleepy"));
    assert_ne!(status(&plugins.statuses(), "sleepy").pid, Some(pid));
}

#[test]
fn broken_framing_and_floods_restart_that_plugin_while_the_others_go_on() {
    let host = Host::start(HostConfig::default().port(0).max_message_size(64 * 1024)).unwrap();
    let mut plugins = PluginManager::start(
        &host,
        config("garbage")
            .plugin(behave("garbage", "garbage"))
            .plugin(behave("big", "oversized"))
            .plugin(behave("flood", "flood"))
            .plugin(behave("steady", "echo")),
    )
    .unwrap();
    let mut reasons = (String::new(), String::new(), String::new());
    run_until(
        &host,
        &mut plugins,
        |_, _| {},
        |plugins| {
            let statuses = plugins.statuses();
            if let PluginState::Restarting { reason, .. } = &status(&statuses, "garbage").state {
                reasons.0 = reason.clone();
            }
            if let PluginState::Restarting { reason, .. } = &status(&statuses, "big").state {
                reasons.1 = reason.clone();
            }
            if let PluginState::Restarting { reason, .. } = &status(&statuses, "flood").state {
                reasons.2 = reason.clone();
            }
            !reasons.0.is_empty()
                && !reasons.1.is_empty()
                && !reasons.2.is_empty()
                && running(plugins, "steady")
        },
    );
    assert!(reasons.0.contains("1002"), "{}", reasons.0);
    assert!(reasons.1.contains("1009"), "{}", reasons.1);
    assert!(reasons.2.contains("4000"), "{}", reasons.2);
    let addr = host.local_addr();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "still-here").unwrap();
        call(&mut client, "plugins/steady/echo", b"\"ok\"").unwrap()
    });
    run_until(&host, &mut plugins, |_, _| {}, |_| remote.is_finished());
    assert_eq!(remote.join().unwrap(), b"\"ok\"");
    assert_eq!(status(&plugins.statuses(), "steady").restarts, 0);
}

#[test]
fn stdout_noise_is_harmless_and_reaches_the_log_channel() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let addr = host.local_addr();
    let (subscribed, reader_ready) = std::sync::mpsc::channel();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "reader").unwrap();
        client.subscribe(&[], &["plugins/logs"]).unwrap();
        let _ = subscribed.send(());
        let echoed = call(&mut client, "plugins/chatty/echo", b"\"hi\"").unwrap();
        let deadline = Instant::now() + WAIT;
        let mut saw_stdout = false;
        while !saw_stdout && Instant::now() < deadline {
            if let Ok(Incoming::Data { content, .. }) = client.recv(Duration::from_millis(100)) {
                let line: serde_json::Value = serde_json::from_slice(&content).unwrap();
                saw_stdout = line["plugin"] == "chatty"
                    && line["stream"] == "stdout"
                    && line["line"].as_str().unwrap().starts_with("stray print");
            }
        }
        (echoed, saw_stdout)
    });
    // The plugin prints as soon as it starts: the reader subscribes first,
    // or it may miss every line.
    reader_ready.recv_timeout(WAIT).unwrap();
    let mut plugins =
        PluginManager::start(&host, config("noise").plugin(behave("chatty", "noise"))).unwrap();
    run_until(&host, &mut plugins, |_, _| {}, |_| remote.is_finished());
    let (echoed, saw_stdout) = remote.join().unwrap();
    assert_eq!(echoed, b"\"hi\"");
    assert!(saw_stdout, "no stdout line on plugins/logs");
    assert_eq!(status(&plugins.statuses(), "chatty").restarts, 0);
}

#[test]
fn a_checksum_mismatch_is_refused_and_a_match_runs() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut wrong = behave("tampered", "echo");
    wrong.sha256 = Some("00".repeat(32));
    let python = std::process::Command::new("sh")
        .args(["-c", "command -v python3"])
        .output()
        .unwrap();
    let python = String::from_utf8(python.stdout).unwrap().trim().to_owned();
    let sum = sha256_hex(&std::fs::read(&python).unwrap());
    let mut right = behave("checked", "echo");
    right.sha256 = Some(sum);
    let mut plugins =
        PluginManager::start(&host, config("sums").plugin(wrong).plugin(right)).unwrap();
    run_until(
        &host,
        &mut plugins,
        |_, _| {},
        |plugins| {
            running(plugins, "checked")
                && matches!(
                    status(&plugins.statuses(), "tampered").state,
                    PluginState::Failed { .. }
                )
        },
    );
    let statuses = plugins.statuses();
    let PluginState::Failed { reason } = &status(&statuses, "tampered").state else {
        unreachable!()
    };
    assert!(
        reason.contains("SHA-256") && reason.contains(&"00".repeat(32)),
        "{reason}"
    );
}

/// SHA-256 through `sha256sum`, so the test does not trust the code it checks.
fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

#[test]
fn wrong_ids_and_missing_registrations_are_refused_and_stopped() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut impostor = behave("honest", "wrong-id");
    impostor.args.push("someone-else".to_owned());
    let mut plugins = PluginManager::start(
        &host,
        config("refused")
            .plugin(impostor)
            .plugin(behave("silent", "no-register"))
            .registration_timeout(Duration::from_secs(3))
            .crash_loop(2, Duration::from_secs(60)),
    )
    .unwrap();
    run_until(
        &host,
        &mut plugins,
        |_, _| {},
        |plugins| {
            let statuses = plugins.statuses();
            matches!(
                status(&statuses, "honest").state,
                PluginState::Failed { .. }
            ) && matches!(
                status(&statuses, "silent").state,
                PluginState::Failed { .. }
            )
        },
    );
    let statuses = plugins.statuses();
    let PluginState::Failed { reason } = &status(&statuses, "honest").state else {
        unreachable!()
    };
    assert!(
        reason.contains("registration refused") && reason.contains("someone-else"),
        "{reason}"
    );
    let PluginState::Failed { reason } = &status(&statuses, "silent").state else {
        unreachable!()
    };
    assert!(
        reason.contains("did not register within 3000 ms"),
        "{reason}"
    );
    assert!(statuses.iter().all(|s| s.pid.is_none()));
}

#[test]
fn duplicate_ids_are_refused_at_start() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let error = PluginManager::start(
        &host,
        config("dup")
            .plugin(behave("twin", "echo"))
            .plugin(behave("twin", "echo")),
    )
    .unwrap_err();
    assert!(error.to_string().contains("\"twin\""), "{error}");
}

#[test]
fn shutdown_asks_then_kills_and_leaves_no_process() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut plugins = PluginManager::start(
        &host,
        config("shutdown")
            .plugin(behave("polite", "echo"))
            .plugin(behave("stubborn", "ignore-close"))
            .shutdown_grace(Duration::from_millis(500)),
    )
    .unwrap();
    run_until(
        &host,
        &mut plugins,
        |_, _| {},
        // Registered, and past advertising: the stubborn one ignores the
        // close only once it is in its loop (its last channel comes just
        // before).
        |p| {
            running(p, "polite")
                && running(p, "stubborn")
                && host.find_channel("plugins/stubborn/ask-game").is_some()
                && host.find_channel("plugins/polite/ask-game").is_some()
        },
    );
    let pids: Vec<u32> = plugins.statuses().iter().filter_map(|s| s.pid).collect();
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|pid| process_exists(*pid)));
    let started = Instant::now();
    plugins.shutdown();
    // The polite one left when asked; the stubborn one was killed after the grace.
    assert!(started.elapsed() >= Duration::from_millis(500));
    for pid in pids {
        assert!(
            !process_exists(pid),
            "pid {pid} is left (or a zombie) after shutdown"
        );
    }
}
