//! Plugins as real child processes (Python, through the SDK next to the
//! Python client): registration, calls from a remote WebSocket client end
//! to end, many requests in flight both ways, and the supervisor's rules
//! (restart with backoff, crash loop, hang, broken framing, stdout noise,
//! checksums, refused registrations, shutdown leaving no process behind).
#![cfg(all(unix, feature = "plugins"))]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use switchboard::client::{Client, ClientError, Incoming};
use switchboard::plugins::{
    PluginManager, PluginManifest, PluginState, PluginStatus, PluginsConfig,
};
use switchboard::{ChannelSpec, Host, HostConfig, HostEvent};

const WAIT: Duration = Duration::from_secs(30);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder for profiles.
fn profile_root(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("switchboard-plugins-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The misbehaving test plugin in `mode`.
fn behave(id: &str, mode: &str) -> PluginManifest {
    let mut manifest = PluginManifest::new(id, "python3");
    manifest.args = vec![
        repo().join("tests/plugins/behave.py").display().to_string(),
        mode.to_owned(),
    ];
    manifest.env = vec!["PATH".to_owned()];
    manifest
}

/// A quick supervisor for tests.
fn config(name: &str) -> PluginsConfig {
    PluginsConfig::new(profile_root(name))
        .ping_interval(Duration::from_millis(100))
        .ping_timeout(Duration::from_secs(3))
        .backoff(Duration::from_millis(50), Duration::from_millis(400))
        .registration_timeout(Duration::from_secs(15))
        .shutdown_grace(Duration::from_millis(1500))
}

/// The game loop: events through the manager, the rest to `game`, until
/// `done` says so or the time is up.
fn run_until(
    host: &Host,
    plugins: &mut PluginManager,
    mut game: impl FnMut(&Host, HostEvent),
    mut done: impl FnMut(&PluginManager) -> bool,
) {
    let deadline = Instant::now() + WAIT;
    loop {
        for event in host.drain_events() {
            if let Some(event) = plugins.handle(host, event) {
                game(host, event);
            }
        }
        plugins.update(host);
        if done(plugins) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; statuses: {:?}",
            plugins.statuses()
        );
        host.wait_for_event(Duration::from_millis(5));
    }
}

fn status<'a>(statuses: &'a [PluginStatus], id: &str) -> &'a PluginStatus {
    statuses
        .iter()
        .find(|s| s.id == id)
        .expect("a status per plugin")
}

fn running(plugins: &PluginManager, id: &str) -> bool {
    status(&plugins.statuses(), id).state == PluginState::Running
}

/// Whether a process with this pid exists at all (a zombie does).
fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// A remote client's call on a plugin channel, once the channel is there.
fn call(client: &mut Client, name: &str, content: &[u8]) -> Result<Vec<u8>, ClientError> {
    let deadline = Instant::now() + WAIT;
    let channel = loop {
        if let Some(id) = client.channel_id(name) {
            break id;
        }
        assert!(Instant::now() < deadline, "channel {name} never appeared");
        match client.recv(Duration::from_millis(50)) {
            Ok(_) | Err(ClientError::Timeout) => {}
            Err(e) => return Err(e),
        }
    };
    client.call(channel, content, WAIT)
}

#[test]
fn the_example_plugin_registers_and_a_websocket_client_calls_it() {
    let host = Host::start(
        HostConfig::default()
            .port(0)
            .preference("language", "fr-FR"),
    )
    .unwrap();
    let manifest =
        PluginManifest::from_file(&repo().join("examples/plugins/weather/plugin.json")).unwrap();
    let root = profile_root("weather");
    let mut plugins =
        PluginManager::start(&host, PluginsConfig::new(&root).plugin(manifest)).unwrap();
    let addr = host.local_addr();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "dashboard").unwrap();
        let reading: serde_json::Value =
            serde_json::from_slice(&call(&mut client, "plugins/weather/read", b"{}").unwrap())
                .unwrap();
        let calibrated = call(
            &mut client,
            "plugins/weather/calibrate",
            br#"{"offset_c": 1.5}"#,
        )
        .unwrap();
        let failure = call(&mut client, "plugins/weather/fail", b"{}").unwrap_err();
        (reading, calibrated, failure.to_string())
    });
    run_until(&host, &mut plugins, |_, _| {}, |_| remote.is_finished());
    let (reading, calibrated, failure) = remote.join().unwrap();
    assert!(reading["temperature_c"].is_number(), "{reading}");
    assert_eq!(reading["language"], "fr-FR", "preferences reach the plugin");
    assert_eq!(calibrated, br#"{"offset_c": 1.5}"#);
    assert!(failure.contains("the station is offline"), "{failure}");
    for dir in ["addons", "config", "data", "media", "log"] {
        assert!(
            root.join("weather").join(dir).is_dir(),
            "{dir} was not created"
        );
    }
    let pid = status(&plugins.statuses(), "weather").pid.unwrap();
    plugins.shutdown();
    assert!(
        !process_exists(pid),
        "the plugin process is left after shutdown"
    );
}

#[test]
fn a_thousand_requests_in_flight_both_ways() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let add = host
        .advertise(ChannelSpec::new("game/add").description("adds one"))
        .unwrap();
    let mut manifest = behave("busy", "echo");
    manifest.permissions.call = vec!["game/*".to_owned()];
    let mut plugins = PluginManager::start(
        &host,
        config("busy")
            .plugin(manifest)
            .allow_game_channels(["game/*"]),
    )
    .unwrap();
    let addr = host.local_addr();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "load").unwrap();
        call(&mut client, "plugins/busy/echo", b"\"warm\"").unwrap();
        let echo = client.channel_id("plugins/busy/echo").unwrap();
        let ids: Vec<u64> = (0..1000)
            .map(|i| client.request(echo, format!("{i}").as_bytes()).unwrap())
            .collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(
                client.wait_response(*id, WAIT).unwrap(),
                format!("{i}").into_bytes()
            );
        }
        call(
            &mut client,
            "plugins/busy/ask-game",
            br#"{"channel": "game/add", "count": 1000}"#,
        )
        .unwrap()
    });
    let mut answered = 0;
    run_until(
        &host,
        &mut plugins,
        |host, event| {
            if let HostEvent::Message(m) = event {
                assert_eq!(m.channel(), add);
                let n: u64 = std::str::from_utf8(m.content()).unwrap().parse().unwrap();
                host.respond(m.client(), m.request_id().unwrap(), format!("{}", n + 1))
                    .unwrap();
                answered += 1;
            }
        },
        |_| remote.is_finished(),
    );
    let answer: serde_json::Value = serde_json::from_slice(&remote.join().unwrap()).unwrap();
    assert_eq!(answer, serde_json::json!({"answers": 1000, "last": "1000"}));
    assert_eq!(answered, 1000);
}

#[test]
fn a_plugin_may_not_call_game_channels_its_manifest_does_not_ask_for() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    host.advertise(ChannelSpec::new("game/add")).unwrap();
    // The game allows game/*, but the manifest asks for nothing.
    let mut plugins = PluginManager::start(
        &host,
        config("nosy")
            .plugin(behave("nosy", "echo"))
            .allow_game_channels(["game/*"]),
    )
    .unwrap();
    let addr = host.local_addr();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "asker").unwrap();
        call(
            &mut client,
            "plugins/nosy/ask-game",
            br#"{"channel": "game/add", "count": 1}"#,
        )
        .unwrap_err()
        .to_string()
    });
    let mut game_saw = 0;
    run_until(
        &host,
        &mut plugins,
        |_, e| {
            if matches!(e, HostEvent::Message(_)) {
                game_saw += 1;
            }
        },
        |_| remote.is_finished(),
    );
    let error = remote.join().unwrap();
    assert!(error.contains("may not use channel"), "{error}");
    assert_eq!(game_saw, 0, "a refused call reached the game");
}

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
fn broken_framing_restarts_that_plugin_while_the_others_go_on() {
    let host = Host::start(HostConfig::default().port(0).max_message_size(64 * 1024)).unwrap();
    let mut plugins = PluginManager::start(
        &host,
        config("garbage")
            .plugin(behave("garbage", "garbage"))
            .plugin(behave("big", "oversized"))
            .plugin(behave("steady", "echo")),
    )
    .unwrap();
    let mut reasons = (String::new(), String::new());
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
            !reasons.0.is_empty() && !reasons.1.is_empty() && running(plugins, "steady")
        },
    );
    assert!(reasons.0.contains("1002"), "{}", reasons.0);
    assert!(reasons.1.contains("1009"), "{}", reasons.1);
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
    let mut plugins =
        PluginManager::start(&host, config("noise").plugin(behave("chatty", "noise"))).unwrap();
    let addr = host.local_addr();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "reader").unwrap();
        client.subscribe(&[], &["plugins/logs"]).unwrap();
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
        |p| running(p, "polite") && running(p, "stubborn"),
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

/// The Rust SDK's side: this test binary, started again as a plugin by
/// `the_rust_sdk_registers_answers_publishes_and_logs`. Does nothing when
/// run by hand.
#[test]
#[ignore = "run as a child process by the Rust SDK test"]
fn rust_sdk_plugin_child() {
    use switchboard::plugin_sdk::{Plugin, PluginChannel};
    if std::env::var_os(switchboard::plugins::PLUGIN_ID_ENV).is_none() {
        return;
    }
    let mut plugin = Plugin::register().unwrap();
    let data = plugin.welcome().directories["data"].clone();
    let mut total = 0i64;
    plugin
        .on_request(PluginChannel::new("add"), move |content| {
            let n: i64 =
                serde_json::from_slice(content).map_err(|e| format!("not a number: {e}"))?;
            total += n;
            // stderr: the host's log and plugins/logs.
            eprintln!("rust plugin added {n}, data in {data}");
            Ok(total.to_string().into_bytes())
        })
        .unwrap();
    plugin.log("rust plugin up");
    plugin.run().unwrap();
}

#[test]
fn the_rust_sdk_registers_answers_and_logs() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut manifest = PluginManifest::new("rusty", std::env::current_exe().unwrap());
    manifest.args = [
        "rust_sdk_plugin_child",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]
    .map(String::from)
    .to_vec();
    let mut plugins = PluginManager::start(&host, config("rust").plugin(manifest)).unwrap();
    let addr = host.local_addr();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "adder").unwrap();
        client.subscribe(&[], &["plugins/logs"]).unwrap();
        let first = call(&mut client, "plugins/rusty/add", b"40").unwrap();
        let second = call(&mut client, "plugins/rusty/add", b"2").unwrap();
        let refused = call(&mut client, "plugins/rusty/add", b"two")
            .unwrap_err()
            .to_string();
        let mut log = String::new();
        let deadline = Instant::now() + WAIT;
        while !log.contains("rust plugin added 2") && Instant::now() < deadline {
            if let Ok(Incoming::Data { content, .. }) = client.recv(Duration::from_millis(100)) {
                let line: serde_json::Value = serde_json::from_slice(&content).unwrap();
                if line["stream"] == "stderr" {
                    log = line["line"].as_str().unwrap().to_owned();
                }
            }
        }
        (first, second, refused, log)
    });
    run_until(&host, &mut plugins, |_, _| {}, |_| remote.is_finished());
    let (first, second, refused, log) = remote.join().unwrap();
    assert_eq!((first, second), (b"40".to_vec(), b"42".to_vec()));
    assert!(refused.contains("not a number"), "{refused}");
    assert!(log.contains("rusty/data"), "{log}");
}

#[test]
fn a_plugin_may_ask_for_stdin_and_stdout() {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut manifest = behave("plain", "echo");
    manifest.pipes = switchboard::plugins::PipeMode::Stdio;
    let mut plugins = PluginManager::start(&host, config("stdio").plugin(manifest)).unwrap();
    let addr = host.local_addr();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "stdio-user").unwrap();
        call(&mut client, "plugins/plain/echo", b"[1,2,3]").unwrap()
    });
    run_until(&host, &mut plugins, |_, _| {}, |_| remote.is_finished());
    assert_eq!(remote.join().unwrap(), b"[1, 2, 3]");
}

/// The plugin in docs/plugins.md section 9, run as it is written there.
#[test]
fn a_plugin_written_from_the_doc_alone_works() {
    let doc = std::fs::read_to_string(repo().join("docs/plugins.md")).unwrap();
    let after = doc
        .split_once("<!-- plugin-from-the-doc -->")
        .expect("the marker")
        .1;
    let code = after
        .split_once("```python\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .expect("a python block after the marker")
        .0;
    let dir = profile_root("doc-code");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("shout.py");
    std::fs::write(&script, code).unwrap();
    let mut manifest = PluginManifest::new("shouter", "python3");
    manifest.args = vec![
        script.display().to_string(),
        repo().join("clients/python").display().to_string(),
    ];
    manifest.env = vec!["PATH".to_owned()];
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut plugins = PluginManager::start(
        &host,
        config("doc")
            .plugin(manifest)
            .ping_timeout(Duration::from_millis(800)),
    )
    .unwrap();
    let addr = host.local_addr();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "doc-reader").unwrap();
        let first = call(&mut client, "plugins/shouter/shout", b"hello").unwrap();
        // Long enough for several pings, each answered by the doc's code.
        std::thread::sleep(Duration::from_millis(1500));
        let second = call(&mut client, "plugins/shouter/shout", b"still here").unwrap();
        (first, second)
    });
    run_until(&host, &mut plugins, |_, _| {}, |_| remote.is_finished());
    assert_eq!(
        remote.join().unwrap(),
        (b"HELLO".to_vec(), b"STILL HERE".to_vec())
    );
    let s = status(&plugins.statuses(), "shouter").clone();
    assert_eq!((s.state, s.restarts), (PluginState::Running, 0));
    let pid = s.pid.unwrap();
    let started = Instant::now();
    plugins.shutdown();
    // It left when asked (the doc's close handling), well before the grace ran out.
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    assert!(!process_exists(pid));
}

#[cfg(feature = "bevy")]
#[test]
fn the_bevy_plugin_runs_plugins_and_keeps_their_traffic_out_of_from_remote() {
    use bevy_app::App;
    use bevy_ecs::prelude::*;
    use switchboard::bevy::{FromRemote, IpcHost, IpcHostPlugin, IpcPlugins, IpcPluginsPlugin};

    #[derive(Resource, Default)]
    struct Seen(usize);
    fn count(mut from: MessageReader<FromRemote>, mut seen: ResMut<Seen>) {
        seen.0 += from.read().count();
    }

    let mut app = App::new();
    app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
        .add_plugins(IpcPluginsPlugin::new(
            config("bevy").plugin(behave("ecs", "echo")),
        ))
        .init_resource::<Seen>()
        .add_systems(bevy_app::Update, count);
    let addr = app.world().resource::<IpcHost>().local_addr();
    let remote = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "bevy-client").unwrap();
        call(&mut client, "plugins/ecs/echo", b"\"from bevy\"").unwrap()
    });
    let deadline = Instant::now() + WAIT;
    while !remote.is_finished() {
        assert!(Instant::now() < deadline, "no answer through the Bevy app");
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(remote.join().unwrap(), b"\"from bevy\"");
    assert_eq!(
        app.world().resource::<Seen>().0,
        0,
        "plugin traffic reached FromRemote"
    );
    let pid = app.world().resource::<IpcPlugins>().0.statuses()[0]
        .pid
        .unwrap();
    drop(app);
    assert!(!process_exists(pid), "the plugin outlived the app");
}
