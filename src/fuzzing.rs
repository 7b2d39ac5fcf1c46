//! Entry points for the fuzz targets under `fuzz/` (cargo feature
//! `fuzzing`; not part of the API, and not built without the feature).
//!
//! Each entry takes untrusted bytes and drives the real parser the way the
//! host (or the client) does, then checks what must hold for any input:
//! re-encoded frames verify and read back the same, a sanitized path has
//! only plain components, a served file lies under the web root, the pattern
//! matcher agrees with a naive reference, validated objects validate again
//! to themselves. A broken check panics, which the fuzzer reports.
//!
//! The HTTP side (`net::http`, `net::access`, `net::static_files`) and the
//! hardware bridge's request shapes (`agents/hardware/api.rs`) live in
//! private modules, so this module compiles those very source files a second
//! time as its own children (`#[path]`), with small shims for what they
//! import through `super`. The code fuzzed is byte for byte the code the
//! host runs, and nothing in the real modules had to be widened.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;

use crate::client::{Client, ClientError, ClientOptions, Incoming};
use crate::protocol::{
    ChannelDescription, ChannelPattern, FILE_IDENTIFIER, HelloArgs, WelcomeArgs, encode_advertise,
    encode_data, encode_error, encode_hello, encode_response, encode_subscribe, encode_unadvertise,
    encode_unsubscribe, encode_welcome, ipc, negotiate_version, verify_frame,
};
use crate::{ClientId, HostConfig, HostEvent, RemoteMessage, RemoteResponse};

// --- the private HTTP modules, compiled again from their own files --------

#[allow(dead_code)]
#[allow(clippy::duplicate_mod)]
#[path = "net/transport/ws/http.rs"]
mod http;

#[allow(dead_code)]
#[allow(clippy::duplicate_mod)]
#[path = "net/transport/ws/access.rs"]
mod access;

#[allow(dead_code)]
#[allow(clippy::duplicate_mod)]
#[path = "net/transport/ws/static_files.rs"]
mod static_files;

// --- the hardware bridge's private request shapes -------------------------

/// What `agents/hardware/api.rs` reaches through `super::adapter`.
#[cfg(feature = "hardware")]
mod adapter {
    #[allow(unused_imports)]
    pub(crate) use crate::agents::hardware::*;
}

/// What `agents/hardware/api.rs` reaches through `super::validate`.
#[cfg(feature = "hardware")]
mod validate {
    #[allow(unused_imports)]
    pub(crate) use crate::agents::hardware::*;
}

/// What `agents/hardware/api.rs` may reach through `super::schema`.
#[cfg(feature = "hardware")]
mod schema {
    #[allow(unused_imports)]
    pub(crate) use crate::agents::hardware::*;
}

#[cfg(feature = "hardware")]
#[allow(dead_code)]
#[allow(clippy::duplicate_mod)]
#[path = "agents/hardware/api.rs"]
mod hardware_api;

/// `protocol::pattern::MAX_PATTERN_LEN` (that module is private).
const MAX_PATTERN_LEN: usize = 256;

/// Largest input the targets look at; libFuzzer's `-max_len` stays below.
const MAX_INPUT: usize = 1 << 20;

// --- frames ---------------------------------------------------------------

/// What the host does with a received binary message: verify it, then read
/// every field of the body through the generated accessors and, for `Data`
/// and `Response`, through the zero-copy views handed to the game. Every
/// body is re-encoded with the crate's encoders and must verify and read
/// back the same.
pub fn frame(bytes: &[u8]) {
    if bytes.len() > MAX_INPUT {
        return;
    }
    let Ok(frame) = verify_frame(bytes) else {
        return;
    };
    assert!(bytes.len() >= 8 && &bytes[4..8] == FILE_IDENTIFIER);
    let shared = Bytes::copy_from_slice(bytes);
    match frame.body_type() {
        ipc::Body::Hello => {
            if let Some(h) = frame.body_as_hello() {
                hello(h);
            }
        }
        ipc::Body::Welcome => {
            if let Some(w) = frame.body_as_welcome() {
                welcome(w);
            }
        }
        ipc::Body::Advertise => {
            if let Some(a) = frame.body_as_advertise() {
                let channels = channel_list(a.channels());
                let again = encode_advertise(&channels);
                let a2 = verify_frame(&again)
                    .expect("re-encoded Advertise verifies")
                    .body_as_advertise()
                    .expect("Advertise body");
                assert_eq!(channel_list(a2.channels()), channels);
            }
        }
        ipc::Body::Unadvertise => {
            if let Some(u) = frame.body_as_unadvertise() {
                let ids = u32_list(u.channel_ids());
                let again = encode_unadvertise(&ids);
                let u2 = verify_frame(&again)
                    .expect("re-encoded Unadvertise verifies")
                    .body_as_unadvertise()
                    .expect("Unadvertise body");
                assert_eq!(u32_list(u2.channel_ids()), ids);
            }
        }
        ipc::Body::Subscribe => {
            if let Some(s) = frame.body_as_subscribe() {
                subscription(true, s.request_id(), s.channel_ids(), s.patterns());
            }
        }
        ipc::Body::Unsubscribe => {
            if let Some(s) = frame.body_as_unsubscribe() {
                subscription(false, s.request_id(), s.channel_ids(), s.patterns());
            }
        }
        ipc::Body::Data => {
            if let Some(d) = frame.body_as_data() {
                data(d, &shared);
            }
        }
        ipc::Body::Response => {
            if let Some(r) = frame.body_as_response() {
                response(r, &shared);
            }
        }
        ipc::Body::Error => {
            if let Some(e) = frame.body_as_error() {
                let message = e.message().unwrap_or_default();
                let again = encode_error(e.code(), message, e.request_id(), e.channel());
                let e2 = verify_frame(&again)
                    .expect("re-encoded Error verifies")
                    .body_as_error()
                    .expect("Error body");
                assert_eq!(
                    (e2.code(), e2.message().unwrap_or_default()),
                    (e.code(), message)
                );
                assert_eq!(
                    (e2.request_id(), e2.channel()),
                    (e.request_id(), e.channel())
                );
            }
        }
        _ => unreachable!("verify_frame refuses unknown bodies"),
    }
}

fn u32_list(v: Option<flatbuffers::Vector<'_, u32>>) -> Vec<u32> {
    v.map(|v| v.iter().collect()).unwrap_or_default()
}

fn string_list<'a>(
    v: Option<flatbuffers::Vector<'a, flatbuffers::ForwardsUOffset<&'a str>>>,
) -> Vec<&'a str> {
    v.map(|v| v.iter().collect()).unwrap_or_default()
}

fn channel_list(
    v: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<ipc::ChannelInfo<'_>>>>,
) -> Vec<ChannelDescription> {
    v.map(|v| v.iter().map(ChannelDescription::from_table).collect())
        .unwrap_or_default()
}

fn key_values(
    v: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<ipc::KeyValue<'_>>>>,
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = v
        .map(|v| {
            v.iter()
                .map(|kv| {
                    (
                        kv.key().to_owned(),
                        kv.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // The encoder sorts by key (stable), as FlatBuffers key lookups need.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
}

fn hello(h: ipc::Hello<'_>) {
    let name = h.client_name().unwrap_or_default();
    let versions: Vec<u16> = h
        .protocol_versions()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    if let Some(v) = negotiate_version(&versions) {
        assert!(versions.contains(&v));
    }
    let token = h.token();
    let again = encode_hello(&HelloArgs {
        client_name: name,
        protocol_versions: &versions,
        token,
    });
    let h2 = verify_frame(&again)
        .expect("re-encoded Hello verifies")
        .body_as_hello()
        .expect("Hello body");
    assert_eq!(h2.client_name().unwrap_or_default(), name);
    let versions2: Vec<u16> = h2
        .protocol_versions()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    assert_eq!(versions2, versions);
    assert_eq!(h2.token(), token);
}

fn welcome(w: ipc::Welcome<'_>) {
    let capabilities = string_list(w.capabilities());
    let channels = channel_list(w.channels());
    let info = w.info();
    let directories = key_values(info.and_then(|i| i.directories()));
    let preferences = key_values(info.and_then(|i| i.preferences()));
    let limits = w.limits();
    let args = WelcomeArgs {
        client_id: w.client_id(),
        host_name: w.host_name().unwrap_or_default(),
        host_version: w.host_version().unwrap_or_default(),
        protocol_version: w.protocol_version(),
        capabilities: &capabilities,
        session_id: w.session_id().unwrap_or_default(),
        directories: &directories,
        preferences: &preferences,
        max_message_size: limits.map_or(0, |l| l.max_message_size()),
        max_pending_requests: limits.map_or(0, |l| l.max_pending_requests()),
        request_timeout_ms: limits.map_or(0, |l| l.request_timeout_ms()),
    };
    let _ = (w.min_protocol_version(), w.max_protocol_version());
    let again = encode_welcome(&args, &channels);
    let w2 = verify_frame(&again)
        .expect("re-encoded Welcome verifies")
        .body_as_welcome()
        .expect("Welcome body");
    assert_eq!(w2.client_id(), args.client_id);
    assert_eq!(w2.host_name().unwrap_or_default(), args.host_name);
    assert_eq!(w2.host_version().unwrap_or_default(), args.host_version);
    assert_eq!(w2.protocol_version(), args.protocol_version);
    assert_eq!(w2.session_id().unwrap_or_default(), args.session_id);
    assert_eq!(string_list(w2.capabilities()), capabilities);
    assert_eq!(channel_list(w2.channels()), channels);
    let info2 = w2.info();
    assert_eq!(key_values(info2.and_then(|i| i.directories())), directories);
    assert_eq!(key_values(info2.and_then(|i| i.preferences())), preferences);
    let l2 = w2.limits().expect("the encoder always writes limits");
    assert_eq!(
        (
            l2.max_message_size(),
            l2.max_pending_requests(),
            l2.request_timeout_ms()
        ),
        (
            args.max_message_size,
            args.max_pending_requests,
            args.request_timeout_ms
        )
    );
}

fn subscription(
    subscribe: bool,
    request_id: u64,
    ids: Option<flatbuffers::Vector<'_, u32>>,
    patterns: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<&str>>>,
) {
    let ids = u32_list(ids);
    let patterns = string_list(patterns);
    // What the host does with each pattern of a Subscribe.
    for p in &patterns {
        if let Ok(compiled) = ChannelPattern::parse(p) {
            assert_eq!(compiled.as_str(), *p);
        }
    }
    let again = if subscribe {
        encode_subscribe(request_id, &ids, &patterns)
    } else {
        encode_unsubscribe(request_id, &ids, &patterns)
    };
    let f2 = verify_frame(&again).expect("re-encoded subscription verifies");
    let (r2, ids2, patterns2) = if subscribe {
        let s = f2.body_as_subscribe().expect("Subscribe body");
        (
            s.request_id(),
            u32_list(s.channel_ids()),
            string_list(s.patterns()),
        )
    } else {
        let s = f2.body_as_unsubscribe().expect("Unsubscribe body");
        (
            s.request_id(),
            u32_list(s.channel_ids()),
            string_list(s.patterns()),
        )
    };
    assert_eq!((r2, ids2, patterns2), (request_id, ids, patterns));
}

fn data(d: ipc::Data<'_>, shared: &Bytes) {
    let content = d.content().map(|c| c.bytes()).unwrap_or_default();
    // The zero-copy view the game gets (`HostEvent::Message`).
    let m = RemoteMessage::from_verified(ClientId(1), shared.clone(), d._tab.loc());
    assert_eq!(m.client(), ClientId(1));
    assert_eq!(m.channel().0, d.channel());
    assert_eq!(m.request_id().map_or(0, |r| r.0), d.request_id());
    assert_eq!(m.message().sequence(), d.sequence());
    assert_eq!(m.message().timestamp_ns(), d.timestamp_ns());
    assert_eq!(m.content(), content);
    assert_eq!(m.content_bytes().as_ref(), content);
    assert_eq!(m.frame_bytes(), shared);
    assert_eq!(HostEvent::Message(m).queued_size(), shared.len());

    let again = encode_data(
        d.channel(),
        d.request_id(),
        d.sequence(),
        d.timestamp_ns(),
        content,
    );
    let d2 = verify_frame(&again)
        .expect("re-encoded Data verifies")
        .body_as_data()
        .expect("Data body");
    assert_eq!(
        (
            d2.channel(),
            d2.request_id(),
            d2.sequence(),
            d2.timestamp_ns()
        ),
        (d.channel(), d.request_id(), d.sequence(), d.timestamp_ns())
    );
    assert_eq!(d2.content().map(|c| c.bytes()).unwrap_or_default(), content);
}

fn response(r: ipc::Response<'_>, shared: &Bytes) {
    let content = r.content().map(|c| c.bytes()).unwrap_or_default();
    let error = r.error().unwrap_or_default();
    let ok = r.status() == ipc::ResponseStatus::Ok;
    // The zero-copy view the game gets (`HostEvent::Response`).
    let view = RemoteResponse::from_verified(ClientId(2), shared.clone(), r._tab.loc());
    assert_eq!(view.request_id().0, r.request_id());
    assert_eq!(view.response().channel(), r.channel());
    match view.result() {
        Ok(c) => {
            assert!(ok);
            assert_eq!(c, content);
        }
        Err(reason) => {
            assert!(!ok);
            assert_eq!(reason, r.error().unwrap_or("failed without a reason"));
        }
    }
    assert_eq!(HostEvent::Response(view).queued_size(), shared.len());

    let result = if ok { Ok(content) } else { Err(error) };
    let again = encode_response(r.request_id(), r.channel(), result);
    let r2 = verify_frame(&again)
        .expect("re-encoded Response verifies")
        .body_as_response()
        .expect("Response body");
    assert_eq!(
        (
            r2.request_id(),
            r2.channel(),
            r2.status() == ipc::ResponseStatus::Ok
        ),
        (r.request_id(), r.channel(), ok)
    );
    if ok {
        assert_eq!(r2.content().map(|c| c.bytes()).unwrap_or_default(), content);
    } else {
        assert_eq!(r2.error().unwrap_or_default(), error);
    }
}

// --- the client's side ----------------------------------------------------

struct ClientHarness {
    client: Client,
    /// The host's end of the same connection, driven from this thread.
    host: tungstenite::WebSocket<TcpStream>,
}

fn client_harness() -> &'static Mutex<ClientHarness> {
    static HARNESS: OnceLock<Mutex<ClientHarness>> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let host = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            stream.set_nodelay(true).expect("nodelay");
            let mut ws = tungstenite::accept(stream).expect("WebSocket handshake");
            let _hello = ws.read().expect("Hello");
            let welcome = encode_welcome(
                &WelcomeArgs {
                    client_id: 1,
                    host_name: "fuzz",
                    host_version: "0",
                    protocol_version: 1,
                    capabilities: &[],
                    session_id: "fuzz",
                    directories: &[],
                    preferences: &[],
                    max_message_size: 1 << 20,
                    max_pending_requests: 8,
                    request_timeout_ms: 1000,
                },
                &[],
            );
            ws.send(tungstenite::Message::Binary(welcome))
                .expect("send Welcome");
            ws
        });
        let client = Client::connect_with(addr, ClientOptions::new("fuzz")).expect("connect");
        let host = host.join().expect("host side of the harness");
        Mutex::new(ClientHarness { client, host })
    })
}

/// What the Rust client does with one binary message from the host: the
/// public [`Client::recv`] path (verify, decode into [`Incoming`], track
/// channels), over a real loopback WebSocket whose host end this thread
/// writes the fuzz input to.
pub fn client_decode(bytes: &[u8]) {
    // The host end writes on this same thread before the client reads, so
    // the message must fit the socket buffers.
    if bytes.len() > 64 << 10 {
        return;
    }
    let mut guard = client_harness()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let harness = &mut *guard;
    harness
        .host
        .send(tungstenite::Message::Binary(Bytes::copy_from_slice(bytes)))
        .expect("host end sends");
    match harness.client.recv(Duration::from_secs(10)) {
        Ok(Incoming::Data { content, .. }) => assert!(content.len() <= bytes.len()),
        Ok(Incoming::Response { result, .. }) => {
            let len = result.map_or_else(|e| e.len(), |c| c.len());
            assert!(len <= bytes.len());
        }
        Ok(Incoming::Error { message, .. }) => assert!(message.len() <= bytes.len()),
        Ok(Incoming::Advertise(channels)) => {
            for c in &channels {
                assert!(harness.client.channels().any(|known| known.id == c.id));
            }
        }
        Ok(Incoming::Unadvertise(ids)) => {
            for id in ids {
                assert!(harness.client.channels().all(|known| known.id != id));
            }
        }
        Ok(Incoming::Closed { .. }) => panic!("only binary messages are sent"),
        Err(ClientError::Frame(_) | ClientError::Unexpected(_)) => {}
        Err(e) => panic!("client connection broke: {e}"),
    }
    // Forget the channels an Advertise added, so memory stays flat across
    // runs (this also runs the Unadvertise path).
    let known: Vec<u32> = harness.client.channels().map(|c| c.id).collect();
    if !known.is_empty() {
        harness
            .host
            .send(tungstenite::Message::Binary(encode_unadvertise(&known)))
            .expect("host end sends");
        match harness.client.recv(Duration::from_secs(10)) {
            Ok(Incoming::Unadvertise(_)) => {}
            other => panic!("expected the Unadvertise back, got {other:?}"),
        }
        assert_eq!(harness.client.channels().count(), 0);
    }
}

// --- HTTP -----------------------------------------------------------------

/// What the host does with the bytes of a request head: parse it, run the
/// access checks (default configuration and one with allowlists, plain and
/// TLS), decide the upgrade and write the answer; for GET and HEAD also the
/// static-file path sanitizer.
pub fn http_request(bytes: &[u8]) {
    if bytes.len() > MAX_INPUT {
        return;
    }
    let (head, len) = match http::parse_request(bytes) {
        http::Parsed::Partial => return,
        http::Parsed::Invalid(reason) => {
            assert!(!reason.is_empty());
            return;
        }
        http::Parsed::Complete(head, len) => (head, len),
    };
    assert!(len <= bytes.len());
    // The head alone parses to the same thing (the connection re-parses a
    // growing buffer; eager WebSocket bytes after the head do not count).
    match http::parse_request(&bytes[..len]) {
        http::Parsed::Complete(again, len2) => assert_eq!((again, len2), (head.clone(), len)),
        other => panic!("the head alone parsed as {other:?}"),
    }

    static CONFIGS: OnceLock<[HostConfig; 2]> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        [
            HostConfig::default(),
            HostConfig::default()
                .allow_origin("http://localhost:5173")
                .allow_host("game.lan"),
        ]
    });
    for config in configs {
        for tls in [false, true] {
            if let Err(refusal) = access::check(&head, config, tls) {
                assert!(matches!(refusal.status, 400 | 403));
                let _ = refusal.to_bytes(true);
            }
        }
    }
    match http::decide_upgrade(&head) {
        http::Decision::Upgrade { accept_key } => {
            assert!(head.upgrade_websocket && head.connection_upgrade);
            assert_eq!(head.method, "GET");
            assert_eq!(accept_key.len(), 28, "base64 of a SHA-1");
            let answer = http::switching_protocols(&accept_key);
            assert!(answer.starts_with(b"HTTP/1.1 101 "));
        }
        http::Decision::Respond(response) => {
            assert!(matches!(response.status, 400 | 405 | 426));
            let include_body = head.method != "HEAD";
            let _ = response.to_bytes(include_body);
        }
    }
    // With a web root configured, a non-upgrade request is served from it.
    if !head.upgrade_websocket {
        check_served(&head);
    }
}

/// A request target served from a small web root that has symlinks leading
/// out (`static_files::serve`, the only caller of the private path
/// sanitizer and percent decoder): whatever the target, the answer is never
/// a file outside the root, and the sanitizer refuses exactly what a
/// strict reading of its rules refuses.
pub fn static_path(bytes: &[u8]) {
    if bytes.len() > 64 << 10 {
        return;
    }
    let target = String::from_utf8_lossy(bytes);
    for method in ["GET", "HEAD"] {
        check_served(&http::RequestHead {
            method: method.to_owned(),
            path: target.to_string(),
            ..http::RequestHead::default()
        });
    }
}

fn check_served(head: &http::RequestHead) {
    let fixture = web_fixture();
    let target = &head.path;
    let response = static_files::serve(&fixture.root, head);
    if head.method != "GET" && head.method != "HEAD" {
        assert_eq!(response.status, 405);
        return;
    }
    assert!(
        matches!(response.status, 200 | 400 | 404),
        "status {} for {target:?}",
        response.status
    );
    assert_ne!(
        response.body, SECRET,
        "{target:?} served a file outside the root"
    );
    if response.status == 200 {
        assert!(
            fixture.inside.contains(&response.body),
            "{target:?} served something that is not a file of the root"
        );
    }
    assert_eq!(
        response.status == 400,
        !reference_path_allowed(target),
        "the sanitizer and its reference disagree on {target:?}"
    );
}

/// The sanitizer's rules, read strictly: the path part (before `?` or `#`)
/// starts with '/', every '%' is followed by two hex digits, the decoded
/// bytes are UTF-8, and no segment is `..` or holds '\\', NUL or ':'.
fn reference_path_allowed(target: &str) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return false;
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|b| hex(*b));
            let lo = bytes.get(i + 2).and_then(|b| hex(*b));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return false;
            };
            decoded.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let Ok(decoded) = String::from_utf8(decoded) else {
        return false;
    };
    decoded
        .split('/')
        .all(|s| s != ".." && !s.contains(['\\', '\0', ':']))
}

const SECRET: &[u8] = b"outside the web root\n";

struct WebFixture {
    root: PathBuf,
    inside: Vec<Vec<u8>>,
}

fn web_fixture() -> &'static WebFixture {
    static FIXTURE: OnceLock<WebFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let base = std::env::temp_dir().join("switchboard-fuzz-web");
        let root = base.join("root");
        let files: [(&str, &[u8]); 4] = [
            ("index.html", b"<!doctype html>index\n"),
            ("app.js", b"console.log('app');\n"),
            ("js/app.js", b"console.log('js');\n"),
            ("sub/index.html", b"<!doctype html>sub\n"),
        ];
        std::fs::create_dir_all(root.join("js")).expect("fixture dir");
        std::fs::create_dir_all(root.join("sub")).expect("fixture dir");
        for (name, content) in files {
            std::fs::write(root.join(name), content).expect("fixture file");
        }
        std::fs::write(base.join("secret.txt"), SECRET).expect("fixture secret");
        #[cfg(unix)]
        for (link, to) in [("escape", "../secret.txt"), ("up", "..")] {
            let link = root.join(link);
            if std::fs::symlink_metadata(&link).is_err() {
                std::os::unix::fs::symlink(to, &link).expect("fixture symlink");
            }
        }
        WebFixture {
            root,
            inside: files.iter().map(|(_, c)| c.to_vec()).collect(),
        }
    })
}

// --- channel patterns -----------------------------------------------------

/// A pattern and names to match: the input is split at NUL bytes; the
/// first part is the pattern, the others are channel names. Each match is
/// compared with a naive reference matcher, and each name goes through the
/// channel name check.
pub fn pattern(bytes: &[u8]) {
    if bytes.len() > 64 << 10 {
        return;
    }
    let mut parts = bytes.split(|b| *b == 0);
    let source = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let names: Vec<_> = parts.map(String::from_utf8_lossy).collect();
    for name in &names {
        if crate::validate_channel_name(name).is_ok() {
            assert!(!name.is_empty() && !name.contains('*'));
        }
    }
    let compiled = match ChannelPattern::parse(&source) {
        Ok(p) => p,
        Err(e) => {
            assert!(
                source.is_empty() || source.len() > MAX_PATTERN_LEN || source.contains("***"),
                "{source:?} refused: {e}"
            );
            return;
        }
    };
    assert!(!source.is_empty() && source.len() <= MAX_PATTERN_LEN);
    assert_eq!(compiled.as_str(), source);
    assert_eq!(compiled.to_string(), source);
    assert_eq!(compiled.is_literal(), !source.contains('*'));
    let tokens = reference_tokens(source.as_bytes());
    for name in &names {
        let got = compiled.matches(name);
        // The reference's memo table is tokens × name; keep it small.
        if (tokens.len() + 1) * (name.len() + 1) <= 1 << 20 {
            let expected = reference_match(&tokens, name.as_bytes());
            assert_eq!(got, expected, "{source:?} against {name:?}");
        }
        if compiled.is_literal() {
            assert_eq!(got, **name == *source);
        }
    }
}

#[derive(Clone, Copy)]
enum RefToken {
    Byte(u8),
    Star,
    DoubleStar,
}

fn reference_tokens(pattern: &[u8]) -> Vec<RefToken> {
    let mut tokens = Vec::new();
    let mut rest = pattern;
    while let Some((&b, tail)) = rest.split_first() {
        if b != b'*' {
            tokens.push(RefToken::Byte(b));
            rest = tail;
        } else if tail.first() == Some(&b'*') {
            tokens.push(RefToken::DoubleStar);
            rest = &tail[1..];
        } else {
            tokens.push(RefToken::Star);
            rest = tail;
        }
    }
    tokens
}

/// The definition, written as recursion with a memo table.
fn reference_match(tokens: &[RefToken], name: &[u8]) -> bool {
    fn go(
        tokens: &[RefToken],
        name: &[u8],
        t: usize,
        n: usize,
        memo: &mut Vec<Option<bool>>,
    ) -> bool {
        let slot = t * (name.len() + 1) + n;
        if let Some(known) = memo[slot] {
            return known;
        }
        let result = match tokens.get(t) {
            None => n == name.len(),
            Some(RefToken::Byte(b)) => {
                name.get(n) == Some(b) && go(tokens, name, t + 1, n + 1, memo)
            }
            Some(RefToken::Star) => {
                let end = name[n..]
                    .iter()
                    .position(|c| *c == b'/')
                    .map_or(name.len(), |i| n + i);
                (n..=end).any(|k| go(tokens, name, t + 1, k, memo))
            }
            Some(RefToken::DoubleStar) => {
                (n..=name.len()).any(|k| go(tokens, name, t + 1, k, memo))
            }
        };
        memo[slot] = Some(result);
        result
    }
    let mut memo = vec![None; (tokens.len() + 1) * (name.len() + 1)];
    go(tokens, name, 0, 0, &mut memo)
}

// --- the hardware bridge --------------------------------------------------

#[cfg(feature = "hardware")]
fn device_types() -> &'static crate::agents::hardware::DeviceTypes {
    static TYPES: OnceLock<crate::agents::hardware::DeviceTypes> = OnceLock::new();
    TYPES.get_or_init(|| {
        let types = crate::agents::hardware::DeviceTypes::builtin();
        assert_eq!(types.len(), crate::agents::hardware::BUILTIN_TYPES.len());
        types
    })
}

/// Validates like the bridge, then checks that what passed validates again
/// to itself (defaults filled, integers normalized: a fixed point).
#[cfg(feature = "hardware")]
fn validate_twice(
    what: &str,
    fields: &crate::agents::hardware::Fields,
    value: Option<&serde_json::Value>,
) {
    use crate::agents::hardware::validate_object;
    match validate_object(what, fields, value) {
        Ok(object) => {
            let again = serde_json::Value::Object(object.clone());
            match validate_object(what, fields, Some(&again)) {
                Ok(second) => assert_eq!(second, object, "validation is not a fixed point"),
                Err(e) => panic!("validated {what} {again} fails validation: {e:?}"),
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let error = hardware_api::ApiError::validation("invalid_payload", errors);
            let _ = error.to_json();
        }
    }
}

/// One `hardware/*` request body, parsed as every request shape the bridge
/// knows (the same `parse` and structs, from `api.rs`), then validated as
/// the bridge would against every shipped device type: configurations for
/// register and configure (merged over the defaults), payloads for
/// commands, names and device ids. The body is also validated directly as
/// each type's state, configuration and command payloads.
#[cfg(feature = "hardware")]
pub fn hardware_json(bytes: &[u8]) {
    use crate::agents::hardware::{parse_device_id, validate_object};
    use hardware_api::{
        CommandRequest, ConfigureRequest, DescribeRequest, DevicesRequest, DiscoverRequest,
        RegisterRequest, StateRequest, TypesRequest, check_name, parse,
    };
    use serde_json::Value;

    if bytes.len() > 64 << 10 {
        return;
    }
    let types = device_types();
    let report = |e: hardware_api::ApiError| {
        assert!(!e.message.is_empty());
        let _ = e.to_json();
    };

    match parse::<DevicesRequest>(bytes) {
        Ok(r) => {
            let _ = (
                r.registered,
                r.radio.map(|radio| types.for_radio(radio).count()),
            );
        }
        Err(e) => report(e),
    }
    match parse::<TypesRequest>(bytes) {
        Ok(r) => {
            if let Some(id) = r.id
                && let Some(ty) = types.get(&id)
            {
                let _ = serde_json::to_string(ty.as_ref()).expect("a type serializes");
            }
        }
        Err(e) => report(e),
    }
    match parse::<DiscoverRequest>(bytes) {
        Ok(r) => {
            let timeout = r
                .timeout_ms
                .map_or(Duration::from_secs(5), Duration::from_millis)
                .clamp(Duration::from_millis(1), Duration::from_secs(60));
            assert!(timeout <= Duration::from_secs(60));
        }
        Err(e) => report(e),
    }
    match parse::<RegisterRequest>(bytes) {
        Ok(r) => {
            let _ = parse_device_id(&r.device);
            if let Some(name) = &r.name
                && let Err(e) = check_name(name)
            {
                report(e);
            }
            for ty in types.iter() {
                validate_twice("config", &ty.config, r.config.as_ref());
            }
        }
        Err(e) => report(e),
    }
    match parse::<CommandRequest>(bytes) {
        Ok(r) => {
            let _ = parse_device_id(&r.device);
            let mut found = false;
            for ty in types.iter() {
                if let Some(spec) = ty.command(&r.command) {
                    found = true;
                    validate_twice("payload", &spec.payload, r.payload.as_ref());
                }
            }
            if !found {
                // Unknown command: still exercise the payload rules.
                for ty in types.iter() {
                    for spec in ty.commands.values() {
                        validate_twice("payload", &spec.payload, r.payload.as_ref());
                    }
                }
            }
        }
        Err(e) => report(e),
    }
    match parse::<StateRequest>(bytes) {
        Ok(r) => {
            let _ = (parse_device_id(&r.device), r.cached);
        }
        Err(e) => report(e),
    }
    match parse::<ConfigureRequest>(bytes) {
        Ok(r) => {
            let _ = parse_device_id(&r.device);
            if let Some(name) = &r.name
                && let Err(e) = check_name(name)
            {
                report(e);
            }
            if let Some(Value::Object(patch)) = r.config {
                for ty in types.iter() {
                    // The bridge merges the patch over the stored config.
                    let stored = validate_object("config", &ty.config, None).unwrap_or_default();
                    let mut merged = Value::Object(stored);
                    for (key, value) in &patch {
                        if value.is_null() {
                            merged.as_object_mut().map(|m| m.remove(key));
                        } else {
                            merged[key.as_str()] = value.clone();
                        }
                    }
                    validate_twice("config", &ty.config, Some(&merged));
                }
            }
        }
        Err(e) => report(e),
    }
    match parse::<DescribeRequest>(bytes) {
        Ok(r) => {
            if let Some((radio, address)) = parse_device_id(&r.device) {
                assert_eq!(crate::agents::hardware::device_id(radio, address), r.device);
            }
        }
        Err(e) => report(e),
    }

    // The body as a payload or configuration in its own right.
    if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
        for ty in types.iter() {
            validate_twice("state", &ty.state, Some(&value));
            validate_twice("config", &ty.config, Some(&value));
            for spec in ty.commands.values() {
                validate_twice("payload", &spec.payload, Some(&value));
            }
        }
    }
}

/// A device type file (`DeviceType::from_yaml`, as `load_dir` reads them):
/// when it loads, it serializes, and its own defaults validate.
#[cfg(feature = "hardware")]
pub fn device_type_yaml(bytes: &[u8]) {
    use crate::agents::hardware::DeviceType;
    if bytes.len() > 64 << 10 {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let ty = match DeviceType::from_yaml("fuzz.yml", text) {
        Ok(ty) => ty,
        Err(e) => {
            assert_eq!(e.source_name, "fuzz.yml");
            return;
        }
    };
    let json = serde_json::to_value(&ty).expect("a loaded type serializes");
    assert!(json.is_object());
    validate_twice("config", &ty.config, None);
    for spec in ty.commands.values() {
        // Effects were checked against the state's rules at load time.
        let effect = serde_json::Value::Object(spec.effect.clone().into_iter().collect());
        let _ = crate::agents::hardware::validate_object("state", &ty.state, Some(&effect));
    }
}

// --- seeds ----------------------------------------------------------------

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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every seed goes through its entry point without tripping a check.
    #[test]
    fn seeds_pass_their_targets() {
        for (target, name, bytes) in seeds() {
            match target {
                "frame" => frame(&bytes),
                "client_decode" => client_decode(&bytes),
                "http_request" => http_request(&bytes),
                "static_path" => static_path(&bytes),
                "pattern" => pattern(&bytes),
                #[cfg(feature = "hardware")]
                "hardware_json" => hardware_json(&bytes),
                #[cfg(feature = "hardware")]
                "device_type_yaml" => device_type_yaml(&bytes),
                #[cfg(not(feature = "hardware"))]
                "hardware_json" | "device_type_yaml" => {}
                other => panic!("seed {name} for unknown target {other}"),
            }
        }
    }

    /// Writes the seeds to `$SWITCHBOARD_FUZZ_SEEDS/<target>/<name>`
    /// (`fuzz/run.sh seeds` runs it).
    #[test]
    #[ignore = "writes files; run by fuzz/run.sh seeds"]
    fn write_seeds() {
        let dir = PathBuf::from(
            std::env::var_os("SWITCHBOARD_FUZZ_SEEDS").expect("set SWITCHBOARD_FUZZ_SEEDS"),
        );
        for (target, name, bytes) in seeds() {
            let folder = dir.join(target);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join(name), bytes).unwrap();
        }
    }
}
