//! Channel names and NATS subjects: `telemetry/fps` on instance `a` is
//! `switchboard.a.telemetry.fps`.
//!
//! A NATS subject token may not hold `.`, `*`, `>` or whitespace, so a
//! channel with such a character in a segment has no subject and is not
//! bridged (the bridge says so in its log and its announcement). A first
//! segment of `rpc` or `_bridge` would collide with the bridge's own
//! subjects, so those channels are not published either.

/// Where instances announce themselves.
pub const INSTANCES: &str = "switchboard.instances";
/// Where a gateway asks every instance to announce itself at once.
pub const DISCOVER: &str = "switchboard.discover";
/// The prefix of every subject the bridge uses.
pub const PREFIX: &str = "switchboard";

/// Headers on every published message.
pub mod headers {
    /// The channel's name, as the game calls it.
    pub const CHANNEL: &str = "Switchboard-Channel";
    /// The channel's encoding (`json`, `flatbuffers`, `text`, ...).
    pub const ENCODING: &str = "Switchboard-Encoding";
    /// `latest` or `reliable`.
    pub const DELIVERY: &str = "Switchboard-Delivery";
    /// The message's sequence number on its channel.
    pub const SEQUENCE: &str = "Switchboard-Sequence";
    /// On a reply: `ok`, or `failed` with the reason as the payload.
    pub const STATUS: &str = "Switchboard-Status";
}

fn is_token(token: &str) -> bool {
    !token.is_empty()
        && !token
            .chars()
            .any(|c| c == '.' || c == '*' || c == '>' || c.is_whitespace() || c.is_control())
}

/// Whether `id` can name an instance: one subject token, and no `/` either
/// (it becomes a channel segment at the gateway), at most 64 bytes.
pub fn is_instance_id(id: &str) -> bool {
    id.len() <= 64 && is_token(id) && !id.contains('/')
}

/// The subject path (`telemetry.fps`) of a channel name, or `None` when a
/// segment is not a valid subject token.
pub fn channel_path(channel: &str) -> Option<String> {
    channel
        .split('/')
        .all(is_token)
        .then(|| channel.replace('/', "."))
}

/// The subject a channel is published on, or `None` when it is not
/// bridged (see the module's notes).
pub fn data_subject(instance: &str, channel: &str) -> Option<String> {
    let first = channel.split('/').next().unwrap_or_default();
    if first == "rpc" || first == "_bridge" {
        return None;
    }
    channel_path(channel).map(|path| format!("{PREFIX}.{instance}.{path}"))
}

/// The subject NATS requests for a channel go to.
pub fn rpc_subject(instance: &str, channel: &str) -> Option<String> {
    channel_path(channel).map(|path| format!("{PREFIX}.{instance}.rpc.{path}"))
}

/// The subject the bridge reports its counters on.
pub fn status_subject(instance: &str) -> String {
    format!("{PREFIX}.{instance}._bridge.status")
}

/// The channel name a request subject names, when it is one of
/// `instance`'s request subjects.
pub fn channel_of_rpc(instance: &str, subject: &str) -> Option<String> {
    let rest = subject.strip_prefix(PREFIX)?.strip_prefix('.')?;
    let rest = rest.strip_prefix(instance)?.strip_prefix(".rpc.")?;
    (!rest.is_empty()).then(|| rest.replace('.', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_map_to_subjects_and_back() {
        assert_eq!(
            data_subject("a", "telemetry/fps").as_deref(),
            Some("switchboard.a.telemetry.fps")
        );
        assert_eq!(data_subject("a", "v1.2/x"), None);
        assert_eq!(data_subject("a", "has space"), None);
        assert_eq!(data_subject("a", "rpc/x"), None);
        let rpc = rpc_subject("a", "scene/spawn").unwrap();
        assert_eq!(rpc, "switchboard.a.rpc.scene.spawn");
        assert_eq!(channel_of_rpc("a", &rpc).as_deref(), Some("scene/spawn"));
        assert_eq!(channel_of_rpc("b", &rpc), None);
        assert_eq!(channel_of_rpc("a", "switchboard.a.rpc."), None);
    }

    #[test]
    fn instance_ids_are_single_tokens() {
        assert!(is_instance_id("playtest-1"));
        assert!(!is_instance_id("a.b"));
        assert!(!is_instance_id("a/b"));
        assert!(!is_instance_id(""));
        assert!(!is_instance_id(&"x".repeat(65)));
    }
}
