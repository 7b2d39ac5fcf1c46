//! `switchboard channels`, `sub`, `call` and `pub`, run as the built
//! program against a host started here, over WebSocket and over the
//! message queues (the host's process id as the target), and against the
//! demo: output, `--json`, `--token`, `--timeout` and the exit codes.
#![cfg(all(feature = "cli", feature = "mqueue", target_os = "linux"))]

mod common;
#[path = "support/examples.rs"]
mod examples;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{PATIENCE, start_host};
use switchboard::{ChannelSpec, Host, HostConfig, HostEvent, MqueueConfig};

fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the switchboard binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A host answering `echo` requests with their content, never answering
/// `silent`, keeping what clients publish on `inbox`, and publishing on
/// `news` every few milliseconds; over WebSocket and, under `prefix`, the
/// message queues.
struct Game {
    host: Arc<Host>,
    prefix: String,
    inbox: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Game {
    fn start(test: &str, configure: impl FnOnce(HostConfig) -> HostConfig) -> Game {
        let prefix = format!("SwitchboardCli{test}");
        let queues = MqueueConfig::default()
            .prefix(&prefix)
            .look_interval(Duration::from_millis(20));
        let host = Arc::new(start_host(|c| configure(c.message_queues(queues))));
        let echo = host
            .advertise(ChannelSpec::new("echo").encoding("text"))
            .unwrap();
        host.advertise(ChannelSpec::new("silent")).unwrap();
        let inbox_channel = host
            .advertise(ChannelSpec::new("inbox").clients_may_publish())
            .unwrap();
        let news = host
            .advertise(ChannelSpec::new("news").encoding("text"))
            .unwrap();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (host, inbox, stop) = (Arc::clone(&host), Arc::clone(&inbox), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let _ = host.publish(news, format!("item {n}").into_bytes());
                    while let Some(event) = host.wait_event(Duration::from_millis(10)) {
                        let HostEvent::Message(m) = event else {
                            continue;
                        };
                        match m.request_id() {
                            Some(id) if m.channel() == echo => {
                                let _ = host.respond(m.client(), id, m.content().to_vec());
                            }
                            None if m.channel() == inbox_channel => {
                                inbox.lock().unwrap().push(m.content().to_vec());
                            }
                            _ => {}
                        }
                    }
                }
            })
        };
        Game {
            host,
            prefix,
            inbox,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.host.local_addr())
    }

    fn pid(&self) -> String {
        std::process::id().to_string()
    }

    /// The targets to try: the URL, and the process id with the prefix.
    fn targets(&self) -> Vec<Vec<String>> {
        vec![
            vec![self.url()],
            vec![self.pid(), "--queue-prefix".into(), self.prefix.clone()],
        ]
    }
}

impl Drop for Game {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `switchboard <command> <target...> <rest...>`.
fn run(command: &str, target: &[String], rest: &[&str]) -> Output {
    let mut args: Vec<&str> = vec![command, &target[0]];
    args.extend(rest);
    args.extend(target[1..].iter().map(String::as_str));
    switchboard(&args)
}

#[test]
fn call_prints_the_answer_over_both_transports() {
    let game = Game::start("Call", |c| c);
    for target in game.targets() {
        let out = run("call", &target, &["echo", "hi there"]);
        assert!(out.status.success(), "{target:?}: {out:?}");
        assert_eq!(stdout(&out), "hi there\n");
        let out = run("call", &target, &["echo", "json please", "--json"]);
        assert!(out.status.success(), "{out:?}");
        let line: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(line["content"], "json please");
        assert_eq!(line["channel"], "echo");
    }
}

#[test]
fn channels_lists_every_channel() {
    let game = Game::start("Channels", |c| c);
    for target in game.targets() {
        let out = run("channels", &target, &[]);
        assert!(out.status.success(), "{out:?}");
        let text = stdout(&out);
        for name in ["echo", "silent", "inbox", "news"] {
            assert!(text.contains(name), "{text}");
        }
        let out = run("channels", &target, &["--json"]);
        let names: Vec<String> = stdout(&out)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["name"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(names, ["echo", "inbox", "news", "silent"]);
    }
}

#[test]
fn pub_reaches_the_game_and_a_refusal_is_exit_five() {
    let game = Game::start("Pub", |c| c);
    for (i, target) in game.targets().iter().enumerate() {
        let body = format!("note {i}");
        let out = run("pub", target, &["inbox", &body]);
        assert!(out.status.success(), "{out:?}");
        let deadline = Instant::now() + PATIENCE;
        while !game
            .inbox
            .lock()
            .unwrap()
            .contains(&body.clone().into_bytes())
        {
            assert!(Instant::now() < deadline, "the game never got {body:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
        // Only agents publish on news.
        let out = run("pub", target, &["news", "x"]);
        assert_eq!(out.status.code(), Some(5), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("only agents publish"));
    }
}

#[test]
fn sub_prints_messages_until_count() {
    let game = Game::start("Sub", |c| c);
    for target in game.targets() {
        let out = run("sub", &target, &["n*", "--count", "3"]);
        assert!(out.status.success(), "{out:?}");
        let text = stdout(&out);
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(
            text.lines()
                .all(|l| l.starts_with("news #") && l.contains("item ")),
            "{text}"
        );
        let out = run("sub", &target, &["news", "--count", "2", "--json"]);
        for line in stdout(&out).lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["channel"], "news");
            assert!(v["content"].as_str().unwrap().starts_with("item "));
        }
    }
}

#[test]
fn token_timeout_and_unreachable_have_their_exit_codes() {
    let game = Game::start("Codes", |c| c.token("sesame"));
    for target in game.targets() {
        let out = run("call", &target, &["echo", "x"]);
        assert_eq!(out.status.code(), Some(5), "no token: {out:?}");
        let out = run("call", &target, &["echo", "x", "--token", "sesame"]);
        assert!(out.status.success(), "{out:?}");
        let out = run(
            "call",
            &target,
            &["silent", "x", "--token", "sesame", "--timeout", "0.5"],
        );
        assert_eq!(out.status.code(), Some(4), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("no answer in time"));
        let out = run("call", &target, &["missing", "x", "--token", "sesame"]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
    }
    // Nobody listens there, or looks for that pair.
    let out = switchboard(&["call", "ws://127.0.0.1:1/", "echo", "x"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let pid = std::process::id().to_string();
    let out = switchboard(&[
        "call",
        &pid,
        "echo",
        "x",
        "--queue-prefix",
        "NobodyLooks",
        "--timeout",
        "0.5",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("message queues on?"),
        "{out:?}"
    );
    let out = switchboard(&["call", "http://127.0.0.1:1/", "echo", "x"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = switchboard(&[
        "call",
        "ws://127.0.0.1:1/",
        "echo",
        "x",
        "--timeout",
        "zero",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn help_on_each_talking_subcommand_exits_zero() {
    for command in ["channels", "sub", "call", "pub"] {
        let out = switchboard(&[command, "--help"]);
        assert!(out.status.success(), "{command}: {out:?}");
        assert!(stdout(&out).contains("TARGET"), "{command}");
    }
}

/// The demo with its queues on: `switchboard call <PID> echo hi`.
#[cfg(feature = "hardware")]
#[test]
fn call_the_demo_by_its_process_id() {
    let registry = std::env::temp_dir().join(format!(
        "switchboard-cli-talk-{}.sqlite",
        std::process::id()
    ));
    let mut demo = Command::new(examples::example_binary("ipc_agent"))
        .args(["--port", "0", "--registry"])
        .arg(&registry)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    let stdout_pipe = demo.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout_pipe).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + PATIENCE * 3;
    let mut queue_line = None;
    while queue_line.is_none() && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            if line.trim().starts_with("queues:") {
                queue_line = Some(line);
            }
        }
    }
    let pid = demo.id().to_string();
    let result = queue_line.map(|line| (line, switchboard(&["call", &pid, "echo", "hi"])));
    let _ = demo.kill();
    let _ = demo.wait();
    let _ = std::fs::remove_file(&registry);
    let (line, out) = result.expect("the demo announced its queues");
    assert!(line.contains(&format!("/SwitchboardIn.{pid}")), "{line}");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "hi\n");
}

/// A game's name from discovery works as a TARGET; an unknown name is
/// exit 3, like any target that cannot be reached.
#[test]
fn a_game_is_found_by_its_name() {
    let dir = std::env::temp_dir().join(format!("switchboard-cli-name-{}", std::process::id()));
    let name = format!("cli-name-{}", std::process::id());
    let game = Game::start("Name", |c| c.host_name(&name).discovery_dir(&dir));
    let by_name = |target: &str| {
        Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .env("SWITCHBOARD_DISCOVERY_DIR", &dir)
            .args(["call", target, "echo", "hi"])
            .stdin(Stdio::null())
            .output()
            .expect("the switchboard binary runs")
    };
    let found = by_name(&name);
    let missing = by_name("no-game-has-this-name");
    drop(game);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(found.status.success(), "{found:?}");
    assert_eq!(stdout(&found), "hi\n");
    assert_eq!(missing.status.code(), Some(3), "{missing:?}");
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(said.contains("no running game is named"), "{said}");
}
