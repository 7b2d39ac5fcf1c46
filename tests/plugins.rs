//! Plugins as real child processes: the Python example and SDK, the Rust
//! SDK, a plugin written from docs/plugins.md alone, stdio pipes, the Bevy
//! plugin; registration, calls from a remote WebSocket client end to end,
//! many requests in flight both ways, permissions on game channels.
#![cfg(all(unix, feature = "plugins"))]

#[path = "support/plugins.rs"]
mod support;

use std::time::{Duration, Instant};

use support::*;
use switchboard::client::{Client, Incoming};
use switchboard::plugins::{PluginManager, PluginManifest, PluginState, PluginsConfig};
use switchboard::{ChannelSpec, Host, HostConfig, HostEvent};

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
        // A pattern: it matches the plugin's channels once they appear.
        client.subscribe(&[], &["plugins/weather/*"]).unwrap();
        let reading: serde_json::Value =
            serde_json::from_slice(&call(&mut client, "plugins/weather/read", b"{}").unwrap())
                .unwrap();
        let readings = client.channel_id("plugins/weather/readings").unwrap();
        let published = loop {
            match client.recv(WAIT).unwrap() {
                Incoming::Data {
                    channel,
                    content,
                    sequence,
                    ..
                } if channel == readings => break (sequence, content),
                _ => {}
            }
        };
        let published_json: serde_json::Value = serde_json::from_slice(&published.1).unwrap();
        assert_eq!(
            (published.0, &published_json),
            (1, &reading),
            "the plugin's publish"
        );
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

/// The plugin in docs/plugins.md section 10, run as it is written there.
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
        "-B".to_owned(),
        script.display().to_string(),
        repo().join("clients/python").display().to_string(),
    ];
    manifest.env = vec!["PATH".to_owned()];
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut plugins = PluginManager::start(
        &host,
        config("doc")
            .plugin(manifest)
            .ping_timeout(Duration::from_secs(3)),
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
