//! Outbound connections: the host dials an editor (a Python `websockets`
//! server speaking as the Switchboard client, tests/support/editor.py) over
//! real sockets, and reconnects when the editor restarts.

mod common;
#[cfg(feature = "hardware")]
#[path = "support/examples.rs"]
mod examples;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{PATIENCE, start_host, wait_for};
use serde_json::Value;
use switchboard::client::Client;
use switchboard::{DialBackoff, DialState, DialStatus, Host, HostEvent};

/// The Python editor, its stdout read line by line on a thread.
struct Editor {
    child: Child,
    lines: mpsc::Receiver<Value>,
    port: u16,
}

impl Editor {
    fn start(args: &[&str]) -> Editor {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/editor.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    if tx.send(value).is_err() {
                        return;
                    }
                }
            }
        });
        let mut editor = Editor {
            child,
            lines,
            port: 0,
        };
        let listening = editor.next("listening");
        editor.port = listening["port"].as_u64().expect("port") as u16;
        editor
    }

    /// The next report of `event`, skipping others.
    fn next(&self, event: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(value) if value["event"] == event => return value,
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        panic!("the editor did not report {event:?} within {PATIENCE:?}");
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/game", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        self.kill();
    }
}

fn next_dial(host: &Host) -> DialStatus {
    wait_for(host, |e| match e {
        HostEvent::Dial(status) => Some(status),
        _ => None,
    })
}

fn wait_open(host: &Host) -> switchboard::ClientId {
    wait_for(host, |e| match e {
        HostEvent::Dial(DialStatus {
            state: DialState::Open { client },
            ..
        }) => Some(client),
        _ => None,
    })
}

#[test]
fn the_editor_restarts_and_the_game_reconnects_with_the_same_session() {
    let mut editor = Editor::start(&["--token", "s3cret"]);
    let url = editor.url();
    let host = start_host(|c| c.token("s3cret").dial(url.clone()));

    let first = next_dial(&host);
    assert_eq!(first.url, url);
    assert_eq!(first.state, DialState::Connecting { attempt: 1 });
    let client = wait_open(&host);
    let info = wait_for(&host, |e| match e {
        HostEvent::Connected(info) => Some(info),
        _ => None,
    });
    assert_eq!((info.id, info.name.as_str()), (client, "dialled-editor"));
    assert_eq!(
        info.addr().map(|a| a.port()),
        Some(editor.port),
        "the dialled peer's address is the editor's"
    );
    let welcome = editor.next("welcome");
    assert_eq!(welcome["session_id"], host.session_id());
    assert_eq!(welcome["client_id"], client.0);

    // Stay up past the healthy time, so the backoff starts from the bottom.
    std::thread::sleep(DialBackoff::default().healthy + Duration::from_millis(200));
    let port = editor.port;
    editor.kill();
    wait_for(&host, |e| match e {
        HostEvent::Disconnected { client: gone, .. } if gone == client => Some(()),
        _ => None,
    });
    let retry = wait_for(&host, |e| match e {
        HostEvent::Dial(DialStatus {
            state: DialState::Retrying {
                retry_in, failures, ..
            },
            ..
        }) => Some((retry_in, failures)),
        _ => None,
    });
    assert_eq!(retry.1, 1, "a healthy connection resets the failure count");
    assert!(retry.0 <= DialBackoff::default().initial);

    let editor = Editor::start(&["--token", "s3cret", "--port", &port.to_string()]);
    let again = editor.next("welcome");
    assert_eq!(
        again["session_id"],
        host.session_id(),
        "same game, same session"
    );
    assert_ne!(
        again["client_id"], client.0,
        "a new connection, a new client id"
    );
    host.shutdown();
}

#[test]
fn a_dialled_peer_without_the_token_is_refused_like_any_client() {
    let editor = Editor::start(&[]);
    let host = start_host(|c| c.token("s3cret").dial(editor.url()));
    let closed = editor.next("closed");
    assert_eq!(closed["code"], 4003, "{closed}");
    drop(host);
}

#[test]
fn a_dialled_peer_that_never_says_hello_gets_the_handshake_timeout() {
    let editor = Editor::start(&["--silent"]);
    let started = Instant::now();
    let host = start_host(|c| {
        c.dial(editor.url())
            .handshake_timeout(Duration::from_millis(300))
    });
    wait_open(&host);
    let closed = editor.next("closed");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(closed["code"], 4001, "{closed}");
    assert_eq!(closed["errors"][0]["code"], "HandshakeRequired", "{closed}");
    let retry = wait_for(&host, |e| match e {
        HostEvent::Dial(DialStatus {
            state: DialState::Retrying { reason, .. },
            ..
        }) => Some(reason),
        _ => None,
    });
    assert!(retry.contains("no Hello"), "{retry}");
}

#[test]
fn an_unreachable_url_is_retried_with_growing_delays_while_others_are_served() {
    // A port nobody listens on: bound, then let go.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let backoff = DialBackoff {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(160),
        ..DialBackoff::default()
    };
    let host = start_host(|c| {
        c.dial(format!("ws://127.0.0.1:{port}/"))
            .dial_backoff(backoff)
            .max_clients(3)
    });
    let watch = Duration::from_secs(2);
    let started = Instant::now();
    let mut delays = Vec::new();
    while started.elapsed() < watch {
        if let Some(HostEvent::Dial(DialStatus {
            state: DialState::Retrying {
                retry_in, failures, ..
            },
            ..
        })) = host.wait_event(Duration::from_millis(50))
        {
            assert_eq!(failures as usize, delays.len() + 1);
            delays.push(retry_in);
        }
    }
    assert!(delays.len() >= 8, "too few attempts: {delays:?}");
    // Whatever the jitter, no faster than the schedule allows.
    let fastest = 4 + (watch.as_millis() / (backoff.max.as_millis() * 3 / 4)) as usize;
    assert!(
        delays.len() <= fastest,
        "{} attempts: {delays:?}",
        delays.len()
    );
    assert!(delays[0] < delays[1] && delays[1] < delays[2] && delays[2] < delays[3]);
    assert!(delays.iter().all(|d| *d <= backoff.max), "{delays:?}");
    assert!(
        delays.last().unwrap() >= &(backoff.max * 3 / 4),
        "{delays:?}"
    );

    // Failed attempts hold no connection slot: with room for three, two
    // clients get in and are served.
    let chat = host
        .advertise(switchboard::ChannelSpec::new("chat").clients_may_publish())
        .unwrap();
    let mut clients: Vec<Client> = (0..2)
        .map(|i| Client::connect(host.local_addr(), &format!("c{i}")).expect("served"))
        .collect();
    clients[1].publish(chat.0, b"still here").unwrap();
    let content = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m.content().to_vec()),
        _ => None,
    });
    assert_eq!(content, b"still here");
}

#[test]
fn no_attempts_pile_up_while_the_game_does_not_drain() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let every_10ms = DialBackoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(10),
        ..DialBackoff::default()
    };
    let host = start_host(|mut c| {
        c.limits.inbound_queue = 8;
        c.dial(format!("ws://127.0.0.1:{port}/"))
            .dial_backoff(every_10ms)
    });
    // Two events per attempt, one attempt per 7.5-10 ms: without the rule
    // some 400 events would wait after two seconds.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(host.pending_events(), 8, "the game's queue is full");
    let draining = Instant::now();
    let mut seen = 0;
    while draining.elapsed() < Duration::from_millis(100) {
        if host.wait_event(Duration::from_millis(5)).is_some() {
            seen += 1;
        }
    }
    // The queue, what waited behind it, and what 100 ms of attempts add.
    assert!(seen < 60, "{seen} events after the stall");
    assert!(seen > 8, "attempts resume once the game drains: {seen}");
}

#[test]
fn a_peer_that_accepts_but_never_answers_the_upgrade_is_dropped_in_time() {
    // Takes the TCP connection and holds it, saying nothing.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || listener.accept().map(|(socket, _)| socket));
    let started = Instant::now();
    let host = start_host(|c| {
        c.dial(format!("ws://127.0.0.1:{port}/"))
            .handshake_timeout(Duration::from_millis(300))
    });
    let reason = wait_for(&host, |e| match e {
        HostEvent::Dial(DialStatus {
            state: DialState::Retrying { reason, .. },
            ..
        }) => Some(reason),
        _ => None,
    });
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(reason.contains("not open in time"), "{reason}");
    drop(holder.join());
}

#[test]
fn names_are_looked_up_off_the_network_thread() {
    // RFC 6761: .invalid never resolves.
    let host = start_host(|mut c| {
        // A name is not known to be loopback.
        c.allow_insecure_remote = true;
        c.dial("ws://no-such-editor.invalid:7000/")
    });
    let reason = wait_for(&host, |e| match e {
        HostEvent::Dial(DialStatus {
            state: DialState::Retrying { reason, .. },
            ..
        }) => Some(reason),
        _ => None,
    });
    assert!(
        reason.contains("cannot resolve no-such-editor.invalid"),
        "{reason}"
    );

    // This machine's own name, looked up the same way, reaches an editor
    // listening on the address it resolves to.
    use std::net::ToSocketAddrs;
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let name = name.trim();
    let Some(ip) = (name, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.find(|a| a.is_ipv4()))
        .map(|a| a.ip().to_string())
    else {
        eprintln!("skipped the lookup of {name:?}: it does not resolve on this machine");
        return;
    };
    let editor = Editor::start(&["--bind", &ip]);
    let host = start_host(|mut c| {
        c.allow_insecure_remote = true;
        c.dial(format!("ws://{name}:{}/", editor.port))
    });
    assert_eq!(editor.next("welcome")["session_id"], host.session_id());
}

#[test]
fn refuses_urls_it_cannot_dial() {
    for (url, says) in [
        ("http://127.0.0.1:1/", "ws:// or wss://"),
        ("ws://editor.example:7000/", "in the clear"),
        ("ws://user:pw@127.0.0.1:7000/", "credentials"),
    ] {
        let refused = Host::start(switchboard::HostConfig::default().port(0).dial(url));
        match refused {
            Err(switchboard::HostError::InvalidConfig(reason)) => {
                assert!(reason.contains(says), "{url}: {reason}")
            }
            Err(other) => panic!("{url}: {other}"),
            Ok(_) => panic!("{url} accepted"),
        }
    }
}

#[cfg(feature = "tls")]
mod tls {
    use super::*;
    use switchboard::DialTlsConfig;

    fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn wss_to_an_editor_with_a_certificate_from_a_test_ca() {
        let (ca, cert, key) = common::tls::ca_and_localhost_cert();
        let dir = std::env::temp_dir().join(format!("switchboard-dial-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let editor = Editor::start(&[
            "--cert",
            &write(&dir, "cert.pem", &cert),
            "--key",
            &write(&dir, "key.pem", &key),
        ]);
        let url = format!("wss://localhost:{}/", editor.port);

        // Trusting another CA, the host refuses the editor's certificate.
        let (other_ca, _, _) = common::tls::ca_and_localhost_cert();
        let wary = start_host(|c| {
            c.dial(url.clone())
                .dial_tls(DialTlsConfig::from_ca_pem(other_ca.as_bytes()).unwrap())
        });
        let refused = wait_for(&wary, |e| match e {
            HostEvent::Dial(DialStatus {
                state: DialState::Retrying { reason, .. },
                ..
            }) => Some(reason),
            _ => None,
        });
        assert!(refused.to_lowercase().contains("certificate"), "{refused}");
        drop(wary);

        let host = start_host(|c| {
            c.dial(url.clone())
                .dial_tls(DialTlsConfig::from_ca_pem(ca.as_bytes()).unwrap())
        });
        let welcome = editor.next("welcome");
        assert_eq!(welcome["session_id"], host.session_id());
        wait_for(&host, |e| match e {
            HostEvent::Connected(info) if info.name == "dialled-editor" => Some(()),
            _ => None,
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(feature = "hardware")]
#[test]
fn the_demo_dials_every_url_given() {
    let editors = [Editor::start(&[]), Editor::start(&[])];
    let mut demo = Command::new(examples::example_binary("ipc_agent"))
        .args([
            "--port",
            "0",
            "--dial",
            &editors[0].url(),
            "--dial",
            &editors[1].url(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    for editor in &editors {
        let welcome = editor.next("welcome");
        assert_eq!(welcome["host_name"], "switchboard demo");
    }
    let _ = demo.kill();
    let _ = demo.wait();
}

#[cfg(feature = "bevy")]
#[test]
fn the_bevy_plugin_reports_dial_changes_as_messages() {
    use bevy_app::prelude::*;
    use bevy_ecs::prelude::*;
    use switchboard::bevy::{ClientConnected, DialChanged, IpcHostPlugin};

    #[derive(Resource, Default)]
    struct Seen {
        states: Vec<DialState>,
        names: Vec<String>,
    }
    fn collect(
        mut seen: ResMut<Seen>,
        mut dials: MessageReader<DialChanged>,
        mut connected: MessageReader<ClientConnected>,
    ) {
        seen.states.extend(dials.read().map(|d| d.0.state.clone()));
        seen.names
            .extend(connected.read().map(|c| c.0.name.clone()));
    }

    common::init_logs();
    let editor = Editor::start(&[]);
    let mut app = App::new();
    app.add_plugins(IpcHostPlugin::new(
        switchboard::HostConfig::default()
            .port(0)
            .dial(editor.url()),
    ))
    .init_resource::<Seen>()
    .add_systems(Update, collect);
    let deadline = Instant::now() + PATIENCE;
    while app.world().resource::<Seen>().names.is_empty() {
        assert!(Instant::now() < deadline, "no ClientConnected");
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.names, ["dialled-editor"]);
    assert_eq!(seen.states[0], DialState::Connecting { attempt: 1 });
    assert!(
        matches!(seen.states[1], DialState::Open { .. }),
        "{:?}",
        seen.states
    );
    editor.next("welcome");
}
