//! Seed inputs for every target.

use bytes::Bytes;

use crate::protocol::{
    ChannelDescription, HelloArgs, WelcomeArgs, encode_advertise, encode_data, encode_error,
    encode_hello, encode_response, encode_subscribe, encode_unadvertise, encode_unsubscribe,
    encode_welcome, ipc,
};

/// Seed inputs for every target, built with the crate's own encoders:
/// `(target, file name, bytes)`. `fuzz/seedgen` writes them to
/// `fuzz/seeds/<target>/`.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: &[u8]| {
        out.push((target, name.to_owned(), bytes.to_vec()));
    };

    // Frames, one or more per body type.
    let channels = [
        ChannelDescription {
            id: 1,
            name: "telemetry/frame_time".into(),
            encoding: "flatbuffers".into(),
            schema_name: "FrameTime".into(),
            delivery: ipc::DeliveryPolicy::Latest,
            publishers: ipc::Publishers::AgentsOnly,
            description: "Frame time in ms".into(),
        },
        ChannelDescription {
            id: 7,
            name: "chat".into(),
            encoding: "text".into(),
            schema_name: String::new(),
            delivery: ipc::DeliveryPolicy::Reliable,
            publishers: ipc::Publishers::ClientsAndAgents,
            description: String::new(),
        },
    ];
    let directories = [
        ("data".to_owned(), "/home/me/.game/data".to_owned()),
        ("cache".to_owned(), "/tmp/game".to_owned()),
    ];
    let preferences = [("language".to_owned(), "en-US".to_owned())];
    let frames: Vec<(&str, Bytes)> = vec![
        (
            "hello",
            encode_hello(&HelloArgs {
                client_name: "editor",
                protocol_versions: &[1],
                token: None,
            }),
        ),
        (
            "hello-token",
            encode_hello(&HelloArgs {
                client_name: "dashboard",
                protocol_versions: &[1, 2, 7],
                token: Some("secret"),
            }),
        ),
        (
            "welcome",
            encode_welcome(
                &WelcomeArgs {
                    client_id: 3,
                    host_name: "my game",
                    host_version: "0.1.0",
                    protocol_version: 1,
                    capabilities: &["subscribe-pattern", "request-response", "latest-policy"],
                    session_id: "5f3a9c",
                    directories: &directories,
                    preferences: &preferences,
                    max_message_size: 8 << 20,
                    max_pending_requests: 64,
                    request_timeout_ms: 5000,
                },
                &channels,
            ),
        ),
        ("advertise", encode_advertise(&channels)),
        ("unadvertise", encode_unadvertise(&[1, 7])),
        (
            "subscribe",
            encode_subscribe(4, &[1], &["telemetry/*", "logs/**"]),
        ),
        ("unsubscribe", encode_unsubscribe(5, &[7], &["logs/**"])),
        ("data", encode_data(7, 0, 0, 0, b"hello game")),
        (
            "data-request",
            encode_data(1, 9, 11, 1_700_000_000_000_000_000, &[0, 1, 2, 3, 255]),
        ),
        ("response-ok", encode_response(9, 1, Ok(b"{\"ok\":true}"))),
        (
            "response-failed",
            encode_response(9, 1, Err("no such entity")),
        ),
        (
            "error",
            encode_error(ipc::ErrorCode::UnknownChannel, "no channel 42", 3, 42),
        ),
    ];
    for (name, bytes) in &frames {
        add("frame", name, bytes);
        add("client_decode", name, bytes);
    }

    // HTTP request heads.
    let requests: &[(&str, &str)] = &[
        (
            "upgrade",
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        ),
        (
            "upgrade-same-origin",
            "GET / HTTP/1.1\r\nHost: localhost:9001\r\nOrigin: http://localhost:9001\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\r\n",
        ),
        (
            "upgrade-foreign-origin",
            "GET / HTTP/1.1\r\nHost: [::1]:9001\r\nOrigin: https://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\r\n",
        ),
        (
            "upgrade-eager-frame",
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: WebSocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n\x02\x05\x01\x02\x03\x04hello",
        ),
        (
            "upgrade-version-8",
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: abc\r\n\r\n",
        ),
        (
            "upgrade-post",
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
        ),
        (
            "get-index",
            "GET / HTTP/1.1\r\nHost: localhost:9001\r\nAccept: text/html\r\n\r\n",
        ),
        (
            "get-file-query",
            "GET /js/app.js?v=1#top HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n\r\n",
        ),
        (
            "head-file",
            "HEAD /index.html HTTP/1.1\r\nHost: game.lan:9001\r\n\r\n",
        ),
        (
            "get-traversal",
            "GET /../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        ),
        (
            "get-encoded-traversal",
            "GET /%2e%2e/%2e%2e/secret HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        ),
        (
            "get-encoded-slash",
            "GET /a%2f..%2f..%2fx HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        ),
        (
            "get-backslash-nul",
            "GET /a%5c..%5cb/x%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        ),
        (
            "get-rebinding-host",
            "GET / HTTP/1.1\r\nHost: evil.example:9001\r\n\r\n",
        ),
        ("get-no-host", "GET / HTTP/1.0\r\n\r\n"),
        ("partial", "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr"),
    ];
    for (name, text) in requests.iter().copied() {
        add("http_request", name, text.as_bytes());
    }

    // Request targets for the static-file server.
    let targets = [
        "/",
        "/index.html",
        "/js/app.js?v=1",
        "/sub/",
        "/escape",
        "/up/secret.txt",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/a%2f..%2f..%2fsecret.txt",
        "/x%00",
        "/a\\..\\b",
        "/c:/windows",
        "/%zz",
        "/%E2%82%AC",
        "relative",
        "/./js/./app.js",
    ];
    for (i, target) in targets.iter().enumerate() {
        add("static_path", &format!("target-{i:02}"), target.as_bytes());
    }

    // Patterns, then NUL-separated names.
    let patterns: &[&[u8]] = &[
        b"telemetry/*\0telemetry/frame_time\0telemetry/gpu/load",
        b"telemetry/**\0telemetry/gpu/load\0telemetry",
        b"a/**/z\0a/b/c/z\0a/z\0a//z",
        b"tele*/f*s\0telemetry/fps\0telemetry/fpx",
        b"chat\0chat\0chat/x\0",
        b"*/*/**\0a/b\0a/b/c/d\0//",
    ];
    for (i, p) in patterns.iter().enumerate() {
        add("pattern", &format!("pattern-{i}"), p);
    }

    // Pipe streams: a chunk size, then framed messages (docs/plugins.md).
    let pipe_streams: &[(&str, &[u8])] = &[
        ("frame", b"\x05\x05\x00\x00\x00hello"),
        (
            "two-frames-bytewise",
            b"\x01\x01\x00\x00\x00a\x02\x00\x00\x00bc",
        ),
        (
            "ping",
            b"\x03\x09\x00\x00\x80\x02\x01\x02\x03\x04\x05\x06\x07\x08",
        ),
        (
            "pong",
            b"\x40\x09\x00\x00\x80\x03\x08\x07\x06\x05\x04\x03\x02\x01",
        ),
        ("close", b"\x02\x06\x00\x00\x80\x01\xe8\x03bye"),
        ("oversized", b"\x04\x00\x00\x01\x00"),
        ("unknown-control", b"\x07\x01\x00\x00\x80\x09"),
        ("truncated", b"\x10\x08\x00\x00\x00abc"),
    ];
    for (name, bytes) in pipe_streams {
        add("pipe_framing", name, bytes);
    }

    // hardware/* request bodies, typed by the shipped YAML device types.
    let bodies = [
        "",
        "{}",
        r#"{"registered":true,"radio":"zigbee"}"#,
        r#"{"id":"rgb_bulb"}"#,
        r#"{"radio":"wifi","timeout_ms":250}"#,
        r#"{"device":"zigbee:00124b00a1b2c3d4","name":"Kitchen","config":{"transition_ms":250.0,"power_on":"previous"}}"#,
        r#"{"device":"bluetooth:c4:7c:8d:6a:11:02","name":"Bathroom","config":{"serial_number":"SC-123456","pin":"1234","pairing_key":"00112233445566778899aabbccddeeff","display_unit":"lb"}}"#,
        r#"{"device":"zigbee:00124b00a1b2c3d4","command":"set_brightness","payload":{"brightness":50}}"#,
        r#"{"device":"zigbee:00124b00a1b2c3d4","command":"set_brightness","payload":{"brightness":150}}"#,
        r#"{"device":"zwave:5","command":"set_color","payload":{"color":"ff8800"}}"#,
        r#"{"device":"wifi:a4:cf:12:00:00:01","command":"toggle"}"#,
        r#"{"device":"bluetooth:c4:7c:8d:6a:11:02","command":"set_user","payload":{"user":"Ann B"}}"#,
        r#"{"device":"zigbee:00124b00a1b2c3d5","command":"refresh"}"#,
        r#"{"device":"wifi:a4:cf:12:00:00:02","config":{"report_interval_s":60,"offset_c":-1.5,"display_unit":"c"}}"#,
        r#"{"device":"wifi:a4:cf:12:00:00:03","config":{"label":"Fan","inverted":false,"auto_off_s":30}}"#,
        r#"{"device":"zigbee:00124b00a1b2c3d4","cached":true}"#,
        r#"{"device":"zigbee:00124b00a1b2c3d4","name":"Hall","config":{"transition_ms":null,"default_color":"00ff00"}}"#,
        r#"{"device":"zwave:5"}"#,
        r#"{"brightness":2.0,"on":true,"color":"ABCDEF","weight_kg":80.5,"user":"x"}"#,
        r#"[1,2,{"a":null}]"#,
    ];
    for (i, body) in bodies.iter().enumerate() {
        add("hardware_json", &format!("body-{i:02}"), body.as_bytes());
    }

    // Device type files.
    #[cfg(feature = "hardware")]
    for (name, text) in crate::agents::hardware::BUILTIN_TYPES {
        add("device_type_yaml", name, text.as_bytes());
    }
    add(
        "device_type_yaml",
        "fan.yml",
        b"id: fan\nname: Fan\nradios: [zigbee]\nstate:\n  speed: {type: integer, minimum: 0, maximum: 3}\ncommands:\n  set_speed:\n    payload:\n      speed: {type: integer, required: true, minimum: 0, maximum: 3}\n",
    );
    add(
        "device_type_yaml",
        "anchors.yml",
        b"id: x\nname: &n X\ndescription: *n\nconfig:\n  a: &f {type: string, regex: \"[a-z]{2,8}\", default: abc}\n  b: *f\n",
    );

    // Message-queue slots: a length-prefixed sequence of parts after a
    // control byte (see the target). Good sequences and each broken kind.
    let slots = |control: u8, parts: &[&[u8]]| {
        let mut v = vec![control];
        for p in parts {
            v.extend_from_slice(&(p.len() as u16).to_le_bytes());
            v.extend_from_slice(p);
        }
        v
    };
    let mq: [(&str, Vec<u8>); 7] = [
        (
            "one-part",
            slots(0, &[b"{\"req\":0,\"uniq\":1,\"remain\":2}\0hi"]),
        ),
        (
            "two-parts",
            slots(
                0,
                &[
                    b"{\"req\":1,\"uniq\":2,\"remain\":5}\0abc",
                    b"{\"req\":0,\"uniq\":2,\"remain\":2}\0de",
                ],
            ),
        ),
        (
            "growing-remain",
            slots(
                0,
                &[
                    b"{\"req\":1,\"uniq\":3,\"remain\":5}\0abc",
                    b"{\"req\":0,\"uniq\":3,\"remain\":9}\0de",
                ],
            ),
        ),
        (
            "changed-uniq",
            slots(
                0,
                &[
                    b"{\"req\":1,\"uniq\":4,\"remain\":5}\0abc",
                    b"{\"req\":0,\"uniq\":5,\"remain\":2}\0de",
                ],
            ),
        ),
        ("bad-json", slots(0, &[b"{\"req\":1,\"uniq\0abc"])),
        (
            "host-partial",
            slots(
                1,
                &[
                    b"{\"status\":206,\"uniq\":6,\"remain\":4}\0ab",
                    b"{\"status\":200,\"uniq\":6,\"remain\":2}\0cd",
                ],
            ),
        ),
        (
            "close",
            slots(
                0,
                &[b"{\"req\":0,\"uniq\":7,\"remain\":3,\"close\":1000,\"pid\":12}\0bye"],
            ),
        ),
    ];
    for (name, bytes) in &mq {
        add("mqueue_framing", name, bytes);
    }
    #[cfg(feature = "packages")]
    for (name, bytes) in package_seeds() {
        out.push(("package_archive", name, bytes));
    }
    out
}

/// A good package, one with hooks and device types, a zip-slip, and the
/// YAML files alone.
#[cfg(feature = "packages")]
fn package_seeds() -> Vec<(String, Vec<u8>)> {
    use crate::packages::{Entries, Package};
    let info = "version: 1.0.0\nname: Weather\npackage: com.example.weather\nabstract: a\n\
        description: d\nrepository: https://example.com/r\nwebsite: https://example.com\n\
        email: a@example.com\nlicense: MIT\nauthors: [A <a@example.com>]\n";
    let config = "config:\n  key: {type: string, secret: true, length: 4}\n  \
        every: {type: integer, minimum: 1, maximum: 9, default: 3}\n\
        device_types:\n  bulb:\n    name: Bulb\n    state: {on: {type: boolean}}\n    \
        commands: {toggle: {}, dim: {payload: {level: {type: number, required: true}}}}\n";
    let mut entries = Entries::default();
    for (path, text) in [
        ("info.yml", info),
        ("config.yml", config),
        ("plugin", "#!/bin/sh\nexit 0\n"),
        ("hooks/install", "#!/bin/sh\ntouch ok\n"),
    ] {
        entries
            .files
            .insert(path.to_owned(), text.as_bytes().to_vec());
    }
    let mut out = Vec::new();
    if let Ok(package) = Package::from_entries(entries, String::new())
        && let Ok(bytes) = crate::packages::pack::write_zip(&package)
    {
        // The same archive with an entry renamed to climb out.
        let slip = String::from_utf8_lossy(&bytes)
            .contains("hooks/install")
            .then(|| replace_all(&bytes, b"hooks/install", b"../../install"));
        out.push(("good.lamp".to_owned(), bytes));
        if let Some(slip) = slip {
            out.push(("zip-slip.lamp".to_owned(), slip));
        }
    }
    out.push(("info.yml".to_owned(), info.as_bytes().to_vec()));
    out.push(("config.yml".to_owned(), config.as_bytes().to_vec()));
    out
}

#[cfg(feature = "packages")]
fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}
