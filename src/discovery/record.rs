//! What a host says about itself in its discovery file.

/// One running host, as its discovery file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "discovery", derive(serde::Deserialize, serde::Serialize))]
pub struct Record {
    /// The game's process id.
    pub pid: u32,
    /// The host's name (`HostConfig::host_name`).
    pub name: String,
    /// The Switchboard version it runs.
    pub version: String,
    /// Its session id, as in `Welcome`.
    pub session_id: String,
    /// Where to connect: `ws://` or `wss://`, on a loopback address when the
    /// host listens on every interface.
    pub url: String,
    /// The POSIX message queue pair, when that transport is on; `None`
    /// otherwise.
    #[cfg_attr(feature = "discovery", serde(default))]
    pub queues: Option<QueueNames>,
    /// When the host started, in milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// When the process started, in clock ticks since boot, so a reader can
    /// tell a record whose pid now belongs to another process.
    #[cfg_attr(feature = "discovery", serde(default))]
    pub process_start: Option<u64>,
}

/// The names of a host's message queue pair.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "discovery", derive(serde::Deserialize, serde::Serialize))]
pub struct QueueNames {
    /// The queue clients write and the game reads.
    pub to_game: String,
    /// The queue the game writes and clients read.
    pub from_game: String,
}

impl Record {
    /// The record as one JSON object (written without serde, so every host
    /// can publish itself whatever its features).
    pub(crate) fn to_json(&self) -> String {
        let queues = match &self.queues {
            Some(q) => format!(
                "{{\"to_game\":{},\"from_game\":{}}}",
                json_string(&q.to_game),
                json_string(&q.from_game)
            ),
            None => "null".to_owned(),
        };
        let process_start = self
            .process_start
            .map_or_else(|| "null".to_owned(), |s| s.to_string());
        format!(
            "{{\"pid\":{},\"name\":{},\"version\":{},\"session_id\":{},\"url\":{},\"queues\":{},\"started_unix_ms\":{},\"process_start\":{}}}\n",
            self.pid,
            json_string(&self.name),
            json_string(&self.version),
            json_string(&self.session_id),
            json_string(&self.url),
            queues,
            self.started_unix_ms,
            process_start,
        )
    }
}

/// A JSON string literal for `text`.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(all(test, feature = "discovery"))]
mod tests {
    use super::*;

    #[test]
    fn the_hand_written_json_reads_back_with_serde() {
        let record = Record {
            pid: 42,
            name: "a \"quoted\"\\ name\n\u{1}é".to_owned(),
            version: "0.1.0".to_owned(),
            session_id: "5f3a".to_owned(),
            url: "ws://127.0.0.1:9001/".to_owned(),
            queues: Some(QueueNames {
                to_game: "/SwitchboardIn.42".to_owned(),
                from_game: "/SwitchboardOut.42".to_owned(),
            }),
            started_unix_ms: 1_700_000_000_000,
            process_start: Some(12345),
        };
        let back: Record = serde_json::from_str(&record.to_json()).unwrap();
        assert_eq!(back, record);
        let bare = Record {
            queues: None,
            process_start: None,
            ..record
        };
        let back: Record = serde_json::from_str(&bare.to_json()).unwrap();
        assert_eq!(back, bare);
    }
}
