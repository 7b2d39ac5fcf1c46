//! The wire protocol: generated FlatBuffers types, version numbers, close
//! codes, frame encoding and verification, channel name patterns, the typed
//! ids, and the verified views of what clients send.
//!
//! One WebSocket binary message carries exactly one [`ipc::Frame`]. The
//! schema lives in `schema/ipc.fbs`; `docs/protocol/README.md` describes the
//! exchanges.

mod channel;
mod close;
mod codec;
pub(crate) mod fast_verify;
mod hand_laid;
mod ids;
mod pattern;
mod remote;
mod response_frame;
mod stamp;
#[cfg(feature = "bevy")]
mod to_remote_frame;

pub use channel::ChannelDescription;
pub use close::CloseCode;
pub(crate) use codec::{DATA_FRAME_OVERHEAD, DataHead, encode_data_into};
pub use codec::{
    FrameError, HelloArgs, WelcomeArgs, encode_advertise, encode_data, encode_error, encode_hello,
    encode_subscribe, encode_unadvertise, encode_unsubscribe, encode_welcome, verify_frame,
};
pub use ids::{ChannelId, ClientId, RequestId};
pub use pattern::{ChannelPattern, MAX_PATTERN_LEN, PatternError};
pub use remote::{RemoteMessage, RemoteResponse};
pub use response_frame::encode_response;
pub(crate) use stamp::Stamp;
// Only the Bevy plugin's `ToRemote` lays these frames out.
#[cfg(feature = "bevy")]
pub(crate) use to_remote_frame::{
    TO_REMOTE_TABLE, ToRemoteFields, encode_to_remote, to_remote_stamp,
};

#[allow(
    dead_code,
    unused_imports,
    unsafe_op_in_unsafe_fn,
    mismatched_lifetime_syntaxes,
    non_camel_case_types,
    deprecated,
    clippy::all,
    clippy::pedantic,
    missing_docs
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/ipc_generated.rs"));
}

/// The types generated from `schema/ipc.fbs` (tables, unions, enums and
/// their builders).
pub use generated::switchboard::ipc;

/// The protocol version this host prefers.
pub const PROTOCOL_VERSION: u16 = 1;
/// The oldest protocol version this host still speaks.
pub const MIN_PROTOCOL_VERSION: u16 = 1;
/// The newest protocol version this host speaks.
pub const MAX_PROTOCOL_VERSION: u16 = 1;

/// The four bytes at offset 4 of every frame.
pub const FILE_IDENTIFIER: &[u8; 4] = b"SWBD";

/// Picks the highest version both sides speak.
///
/// ```
/// use switchboard::protocol::negotiate_version;
/// assert_eq!(negotiate_version(&[1, 7]), Some(1));
/// assert_eq!(negotiate_version(&[9]), None);
/// ```
pub fn negotiate_version(offered: &[u16]) -> Option<u16> {
    offered
        .iter()
        .copied()
        .filter(|v| (MIN_PROTOCOL_VERSION..=MAX_PROTOCOL_VERSION).contains(v))
        .max()
}

// The host hands a client's `Data` table to agents as a `MessageFromRemote`
// without copying it, which is only sound while both tables have the same
// fields in the same slots with the same types. These checks fail the build
// when the schema lets them drift apart.
const _: () = {
    use ipc::{Data, MessageFromRemote};
    assert!(Data::VT_CHANNEL == MessageFromRemote::VT_CHANNEL);
    assert!(Data::VT_REQUEST_ID == MessageFromRemote::VT_REQUEST_ID);
    assert!(Data::VT_SEQUENCE == MessageFromRemote::VT_SEQUENCE);
    assert!(Data::VT_TIMESTAMP_NS == MessageFromRemote::VT_TIMESTAMP_NS);
    assert!(Data::VT_CONTENT == MessageFromRemote::VT_CONTENT);
};
// An agent's `MessageToRemote` goes on the wire as the body of a `Data`
// frame (see `bevy::ToRemote`), which is only sound while the two tables
// share their first five slots and types; the rest are extra slots that
// readers of `Data` skip.
const _: () = {
    use ipc::{Data, MessageToRemote};
    assert!(Data::VT_CHANNEL == MessageToRemote::VT_CHANNEL);
    assert!(Data::VT_REQUEST_ID == MessageToRemote::VT_REQUEST_ID);
    assert!(Data::VT_SEQUENCE == MessageToRemote::VT_SEQUENCE);
    assert!(Data::VT_TIMESTAMP_NS == MessageToRemote::VT_TIMESTAMP_NS);
    assert!(Data::VT_CONTENT == MessageToRemote::VT_CONTENT);
    assert!(MessageToRemote::VT_CLIENT > Data::VT_CONTENT);
};
#[allow(dead_code)]
fn same_to_remote_field_types(d: ipc::Data<'_>, m: ipc::MessageToRemote<'_>) {
    let _: [u32; 2] = [d.channel(), m.channel()];
    let _: [u64; 2] = [d.request_id(), m.request_id()];
    let _: [u64; 2] = [d.sequence(), m.sequence()];
    let _: [u64; 2] = [d.timestamp_ns(), m.timestamp_ns()];
    let _: [Option<flatbuffers::Vector<'_, u8>>; 2] = [d.content(), m.content()];
}
#[allow(dead_code)]
fn same_field_types(d: ipc::Data<'_>, m: ipc::MessageFromRemote<'_>) {
    let _: [u32; 2] = [d.channel(), m.channel()];
    let _: [u64; 2] = [d.request_id(), m.request_id()];
    let _: [u64; 2] = [d.sequence(), m.sequence()];
    let _: [u64; 2] = [d.timestamp_ns(), m.timestamp_ns()];
    let _: [Option<flatbuffers::Vector<'_, u8>>; 2] = [d.content(), m.content()];
}
