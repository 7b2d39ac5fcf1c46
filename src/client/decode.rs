//! Turning the host's frames into [`Incoming`] values.

use super::{ClientError, Incoming, WelcomeInfo};
use crate::protocol::{ChannelDescription, ipc, verify_frame};

pub(super) enum Received {
    Welcome(WelcomeInfo, Vec<ChannelDescription>),
    Other(Incoming),
    /// A ping, pong or partial read: nothing for the caller yet.
    Nothing,
}

pub(super) fn decode(bytes: &[u8]) -> Result<Received, ClientError> {
    let frame = verify_frame(bytes)?;
    let channels =
        |v: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<ipc::ChannelInfo<'_>>>>| {
            v.map(|v| v.iter().map(ChannelDescription::from_table).collect())
                .unwrap_or_default()
        };
    let incoming = match frame.body_type() {
        ipc::Body::Welcome => {
            let w = frame
                .body_as_welcome()
                .ok_or_else(|| ClientError::Unexpected("empty Welcome".to_owned()))?;
            let pairs = |v: Option<
                flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<ipc::KeyValue<'_>>>,
            >| {
                v.map(|v| {
                    v.iter()
                        .map(|kv| {
                            (
                                kv.key().to_owned(),
                                kv.value().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
            };
            let info = w.info();
            let limits = w.limits();
            let welcome = WelcomeInfo {
                client_id: w.client_id(),
                host_name: w.host_name().unwrap_or_default().to_owned(),
                host_version: w.host_version().unwrap_or_default().to_owned(),
                protocol_version: w.protocol_version(),
                supported_versions: (w.min_protocol_version(), w.max_protocol_version()),
                capabilities: w
                    .capabilities()
                    .map(|v| v.iter().map(str::to_owned).collect())
                    .unwrap_or_default(),
                session_id: w.session_id().unwrap_or_default().to_owned(),
                directories: pairs(info.and_then(|i| i.directories())),
                preferences: pairs(info.and_then(|i| i.preferences())),
                max_message_size: limits.map_or(0, |l| l.max_message_size()),
                max_pending_requests: limits.map_or(0, |l| l.max_pending_requests()),
                request_timeout_ms: limits.map_or(0, |l| l.request_timeout_ms()),
            };
            return Ok(Received::Welcome(welcome, channels(w.channels())));
        }
        ipc::Body::Data => {
            let d = frame
                .body_as_data()
                .ok_or_else(|| ClientError::Unexpected("empty Data".to_owned()))?;
            Incoming::Data {
                channel: d.channel(),
                request_id: d.request_id(),
                sequence: d.sequence(),
                timestamp_ns: d.timestamp_ns(),
                content: d.content().map(|c| c.bytes().to_vec()).unwrap_or_default(),
            }
        }
        ipc::Body::Response => {
            let r = frame
                .body_as_response()
                .ok_or_else(|| ClientError::Unexpected("empty Response".to_owned()))?;
            Incoming::Response {
                request_id: r.request_id(),
                channel: r.channel(),
                result: if r.status() == ipc::ResponseStatus::Ok {
                    Ok(r.content().map(|c| c.bytes().to_vec()).unwrap_or_default())
                } else {
                    Err(r.error().unwrap_or_default().to_owned())
                },
            }
        }
        ipc::Body::Error => {
            let e = frame
                .body_as_error()
                .ok_or_else(|| ClientError::Unexpected("empty Error".to_owned()))?;
            Incoming::Error {
                code: e.code(),
                message: e.message().unwrap_or_default().to_owned(),
                request_id: e.request_id(),
                channel: e.channel(),
            }
        }
        ipc::Body::Advertise => Incoming::Advertise(channels(
            frame.body_as_advertise().and_then(|a| a.channels()),
        )),
        ipc::Body::Unadvertise => Incoming::Unadvertise(
            frame
                .body_as_unadvertise()
                .and_then(|u| u.channel_ids())
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
        ),
        other => {
            return Err(ClientError::Unexpected(format!(
                "{} from host",
                other.variant_name().unwrap_or("unknown body")
            )));
        }
    };
    Ok(Received::Other(incoming))
}
