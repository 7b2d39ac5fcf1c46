//! The plain `Host` API, for an engine other than Bevy: an echo channel and
//! a telemetry value, driven from the game's own frame loop. README.md
//! quotes this file (below this header) verbatim; tests/readme.rs keeps the
//! two equal.

use std::time::Duration;

use switchboard::{ChannelSpec, Host, HostConfig, HostError, HostEvent};

fn main() -> Result<(), HostError> {
    let host = Host::start(HostConfig::default().port(9001))?;
    let echo = host.advertise(ChannelSpec::new("echo").clients_may_publish())?;
    let fps = host.advertise(ChannelSpec::new("telemetry/fps").latest())?;
    println!("listening on ws://{}/", host.local_addr());
    // The game's frame loop.
    loop {
        for event in host.drain_events() {
            // Also Connected, Disconnected, and answers to the game's requests.
            if let HostEvent::Message(m) = event {
                if m.channel() != echo {
                    continue;
                }
                match m.request_id() {
                    Some(id) => host.respond(m.client(), id, m.content_bytes())?,
                    None => host.send_to(m.client(), echo, m.content_bytes())?,
                }
            }
        }
        host.publish(fps, &b"{\"value\":60}"[..])?;
        std::thread::sleep(Duration::from_millis(16));
    }
}
