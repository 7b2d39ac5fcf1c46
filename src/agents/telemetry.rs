//! Frame time, frame rate, entity count and user metrics on `telemetry/*`
//! channels, with the latest-value policy so a slow dashboard only ever
//! sees fresh numbers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use bevy_app::{App, First, Plugin, PostUpdate, Startup};
use bevy_ecs::prelude::*;

use crate::ChannelId;
use crate::ChannelSpec;
use crate::bevy::{IpcHost, IpcSet, ToRemote};

/// Publishes `telemetry/frame_time` (ms, averaged over the interval),
/// `telemetry/fps`, `telemetry/entity_count` and every metric set in
/// [`Metrics`] as `telemetry/<name>`, each as JSON `{"value": number}`.
///
/// ```
/// use bevy_app::prelude::*;
/// use switchboard::agents::{Metrics, TelemetryAgentPlugin};
/// use switchboard::bevy::IpcHostPlugin;
///
/// let mut app = App::new();
/// app.add_plugins((
///     IpcHostPlugin::new(switchboard::HostConfig::default().port(0)),
///     TelemetryAgentPlugin::default(),
/// ));
/// app.world_mut().resource_mut::<Metrics>().set("physics/bodies", 42.0);
/// app.update();
/// ```
#[derive(Debug, Clone)]
pub struct TelemetryAgentPlugin {
    /// How often to publish.
    pub interval: Duration,
}

impl Default for TelemetryAgentPlugin {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(100),
        }
    }
}

impl TelemetryAgentPlugin {
    /// Publish `hz` times per second.
    pub fn rate_hz(hz: f64) -> Self {
        let hz = if hz.is_finite() && hz > 0.0 { hz } else { 10.0 };
        Self {
            interval: Duration::from_secs_f64(1.0 / hz),
        }
    }
}

/// User metrics: set a value and it is published on `telemetry/<name>`.
#[derive(Resource, Debug, Default)]
pub struct Metrics {
    values: BTreeMap<String, f64>,
}

impl Metrics {
    /// Sets (or replaces) a metric.
    pub fn set(&mut self, name: impl Into<String>, value: f64) {
        self.values.insert(name.into(), value);
    }

    /// The current value of a metric.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }
}

/// The channels the agent has advertised, by name.
#[derive(Resource, Debug, Default)]
pub struct TelemetryChannels {
    ids: HashMap<String, ChannelId>,
    /// Names the host refused (warned about once).
    refused: HashSet<String>,
}

impl TelemetryChannels {
    /// The id of `telemetry/<name>`, once advertised.
    pub fn get(&self, name: &str) -> Option<ChannelId> {
        self.ids.get(name).copied()
    }
}

#[derive(Resource, Debug)]
struct FrameClock {
    interval: Duration,
    last_frame: Option<Instant>,
    window_start: Instant,
    frames: u32,
    frame_time_sum: Duration,
}

impl Plugin for TelemetryAgentPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Metrics>()
            .init_resource::<TelemetryChannels>()
            .insert_resource(FrameClock {
                interval: self.interval,
                last_frame: None,
                window_start: Instant::now(),
                frames: 0,
                frame_time_sum: Duration::ZERO,
            })
            .add_systems(Startup, advertise_builtin)
            .add_systems(First, tick)
            .add_systems(PostUpdate, publish.before(IpcSet::Send));
    }
}

/// The built-in metrics, with their descriptions.
const BUILTIN: [(&str, &str); 3] = [
    ("frame_time", "milliseconds per frame, averaged"),
    ("fps", "frames per second"),
    ("entity_count", "entities in the world"),
];

/// Advertises the built-in channels at startup, so clients see them in
/// their first Welcome; user metrics are advertised when first set.
fn advertise_builtin(host: Option<Res<IpcHost>>, mut channels: ResMut<TelemetryChannels>) {
    let Some(host) = host else { return };
    for (name, description) in BUILTIN {
        channel_for(&host, &mut channels, name, description);
    }
}

fn tick(mut clock: ResMut<FrameClock>) {
    let now = Instant::now();
    if let Some(last) = clock.last_frame {
        clock.frame_time_sum += now - last;
        clock.frames += 1;
    }
    clock.last_frame = Some(now);
}

fn publish(
    host: Option<Res<IpcHost>>,
    mut clock: ResMut<FrameClock>,
    mut channels: ResMut<TelemetryChannels>,
    metrics: Res<Metrics>,
    entities: Query<Entity>,
    mut out: MessageWriter<ToRemote>,
) {
    let Some(host) = host else { return };
    let now = Instant::now();
    let elapsed = now - clock.window_start;
    if elapsed < clock.interval || clock.frames == 0 {
        return;
    }
    let frame_ms = clock.frame_time_sum.as_secs_f64() * 1000.0 / f64::from(clock.frames);
    let fps = f64::from(clock.frames) / elapsed.as_secs_f64();
    clock.window_start = now;
    clock.frames = 0;
    clock.frame_time_sum = Duration::ZERO;

    let values = [frame_ms, fps, entities.iter().count() as f64];
    let builtin = BUILTIN
        .into_iter()
        .zip(values)
        .map(|((name, description), value)| (name, value, description));
    let samples = builtin.into_iter().chain(
        metrics
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), *v, "user metric")),
    );
    for (name, value, description) in samples {
        let Some(channel) = channel_for(&host, &mut channels, name, description) else {
            continue;
        };
        out.write(ToRemote::publish(channel, sample_json(value).as_bytes()));
    }
}

fn channel_for(
    host: &IpcHost,
    channels: &mut TelemetryChannels,
    name: &str,
    description: &str,
) -> Option<ChannelId> {
    if let Some(id) = channels.ids.get(name) {
        return Some(*id);
    }
    if channels.refused.contains(name) {
        return None;
    }
    let spec = ChannelSpec::new(format!("telemetry/{name}"))
        .latest()
        .encoding("json")
        .description(format!("{description}; JSON {{\"value\": number}}"));
    match host.advertise(spec) {
        Ok(id) => {
            channels.ids.insert(name.to_owned(), id);
            Some(id)
        }
        Err(e) => {
            if channels.refused.insert(name.to_owned()) {
                tracing::warn!("telemetry metric {name:?} not published: {e}");
            }
            None
        }
    }
}

/// `{"value":12.5}`; non-finite numbers become `null` (JSON has no NaN).
fn sample_json(value: f64) -> String {
    if value.is_finite() {
        format!("{{\"value\":{value}}}")
    } else {
        "{\"value\":null}".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::sample_json;

    #[test]
    fn samples_are_json() {
        assert_eq!(sample_json(1.5), "{\"value\":1.5}");
        assert_eq!(sample_json(f64::NAN), "{\"value\":null}");
    }
}
