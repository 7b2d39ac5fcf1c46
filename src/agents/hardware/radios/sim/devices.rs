//! The virtual devices' values: a seeded generator, addresses, first
//! states that fit each type's rules, and sensor readings that wander.

use serde_json::Value;

use crate::agents::hardware::adapter::{Object, Radio};
use crate::agents::hardware::schema::DeviceType;
use crate::fields::{FieldType, Format};

/// SplitMix64: tiny, fast, and the same everywhere.
#[derive(Debug, Clone)]
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

pub(super) fn short(radio: Radio) -> &'static str {
    match radio {
        Radio::Zigbee => "ZB",
        Radio::Zwave => "ZW",
        Radio::Wifi => "WF",
        Radio::Bluetooth => "BT",
        Radio::Plugin => "PL",
    }
}

pub(super) fn mac(prefix: &str, rng: &mut Rng) -> String {
    let n = rng.next_u64();
    format!(
        "{prefix}:{:02x}:{:02x}:{:02x}",
        (n >> 16) as u8,
        (n >> 8) as u8,
        n as u8
    )
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A plausible first state: defaults, else values inside the declared
/// ranges and formats.
pub(super) fn initial_state(ty: &DeviceType, rng: &mut Rng) -> Object {
    let mut state = Object::new();
    for (name, field) in &ty.state {
        let value = if let Some(default) = &field.default {
            default.clone()
        } else if let Some(first) = field.one_of.as_ref().and_then(|v| v.first()) {
            first.clone()
        } else {
            let min = field.minimum.unwrap_or(0.0);
            let max = field.maximum.unwrap_or(min + 100.0);
            match field.kind {
                FieldType::Boolean => Value::Bool(false),
                FieldType::Integer => {
                    Value::from((min + (max - min) * (0.5 + 0.4 * rng.unit())).round() as i64)
                }
                FieldType::Number if state.get("on") == Some(&Value::Bool(false)) => {
                    // A meter on a device that is off reads its minimum.
                    Value::from(min)
                }
                FieldType::Number => {
                    Value::from(round1(min + (max - min) * (0.35 + 0.1 * rng.unit())))
                }
                FieldType::String => {
                    let len = field.length.or(field.min_length).unwrap_or(0);
                    if field.format == Some(Format::Hex) {
                        Value::from(
                            (0..len)
                                .map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap_or('0'))
                                .collect::<String>(),
                        )
                    } else {
                        Value::from("x".repeat(len))
                    }
                }
            }
        };
        state.insert(name.clone(), value);
    }
    state
}

/// New readings: read-only numbers wander a little within their range,
/// unless the device has an `on` switch that is off. Returns what changed.
pub(super) fn drift(ty: &DeviceType, state: &mut Object, rng: &mut Rng) -> Object {
    let mut changes = Object::new();
    if state.get("on") == Some(&Value::Bool(false)) {
        return changes;
    }
    for (name, field) in &ty.state {
        if !field.read_only || field.kind != FieldType::Number {
            continue;
        }
        let min = field.minimum.unwrap_or(f64::MIN);
        let max = field.maximum.unwrap_or(f64::MAX);
        let step = match (field.minimum, field.maximum) {
            (Some(lo), Some(hi)) => (hi - lo) / 500.0,
            _ => 0.5,
        };
        let old = state
            .get(name)
            .and_then(Value::as_f64)
            .unwrap_or(min.max(0.0));
        let new = round1((old + step * (2.0 * rng.unit() - 1.0)).clamp(min, max));
        if new != old {
            state.insert(name.clone(), Value::from(new));
            changes.insert(name.clone(), Value::from(new));
        }
    }
    changes
}
