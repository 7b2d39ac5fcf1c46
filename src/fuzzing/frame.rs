//! The `frame` target: what the host does with a received binary message.

use bytes::Bytes;

use super::MAX_INPUT;
use crate::protocol::{
    ChannelDescription, ChannelPattern, FILE_IDENTIFIER, HelloArgs, WelcomeArgs, encode_advertise,
    encode_data, encode_error, encode_hello, encode_response, encode_subscribe, encode_unadvertise,
    encode_unsubscribe, encode_welcome, ipc, negotiate_version, verify_frame,
};
use crate::{ClientId, HostEvent, RemoteMessage, RemoteResponse};

/// What the host does with a received binary message: verify it, then read
/// every field of the body through the generated accessors and, for `Data`
/// and `Response`, through the zero-copy views handed to the game. Every
/// body is re-encoded with the crate's encoders and must verify and read
/// back the same. The fast path for `Data` frames must agree with the
/// general FlatBuffers verifier on every input.
pub fn frame(bytes: &[u8]) {
    if bytes.len() > MAX_INPUT {
        return;
    }
    let general = ipc::root_as_frame(bytes).is_ok_and(|f| f.body_type() == ipc::Body::Data);
    assert_eq!(
        crate::protocol::fast_verify::is_data_frame(bytes),
        general,
        "the Data fast path and the general verifier disagree"
    );
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
    let m = RemoteMessage::from_verified(
        ClientId(1),
        shared.clone(),
        crate::protocol::fast_verify::DataFields::of(d),
    );
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
