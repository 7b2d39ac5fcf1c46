//! The owned form of a channel's description, as advertised to clients.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

use super::ipc;

/// Everything a client learns about a channel (`ChannelInfo` on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelDescription {
    /// Host-assigned id, never reused within a host session.
    pub id: u32,
    /// Slash-separated name such as `telemetry/frame_time`.
    pub name: String,
    /// How the content is encoded: `flatbuffers`, `json`, `raw`, `text`...
    pub encoding: String,
    /// Name of the content's schema, or empty.
    pub schema_name: String,
    /// What happens when a subscriber cannot keep up.
    pub delivery: ipc::DeliveryPolicy,
    /// Who may send one-way `Data` on the channel.
    pub publishers: ipc::Publishers,
    /// Free text for people.
    pub description: String,
}

impl ChannelDescription {
    /// Reads a `ChannelInfo` table into its owned form.
    pub fn from_table(info: ipc::ChannelInfo<'_>) -> Self {
        Self {
            id: info.id(),
            name: info.name().unwrap_or_default().to_owned(),
            encoding: info.encoding().unwrap_or_default().to_owned(),
            schema_name: info.schema_name().unwrap_or_default().to_owned(),
            delivery: info.delivery(),
            publishers: info.publishers(),
            description: info.description().unwrap_or_default().to_owned(),
        }
    }

    /// Writes this description as a `ChannelInfo` table.
    pub fn write<'b>(&self, fbb: &mut FlatBufferBuilder<'b>) -> WIPOffset<ipc::ChannelInfo<'b>> {
        let name = fbb.create_string(&self.name);
        let encoding = fbb.create_string(&self.encoding);
        let schema_name = fbb.create_string(&self.schema_name);
        let description = fbb.create_string(&self.description);
        ipc::ChannelInfo::create(
            fbb,
            &ipc::ChannelInfoArgs {
                id: self.id,
                name: Some(name),
                encoding: Some(encoding),
                schema_name: Some(schema_name),
                delivery: self.delivery,
                publishers: self.publishers,
                description: Some(description),
            },
        )
    }
}
