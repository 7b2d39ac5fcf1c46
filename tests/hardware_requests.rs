//! Request bodies over a real WebSocket client: every request channel of
//! the hardware bridge, `hardware/adapters` included, refuses a body that
//! is not its shape with `invalid_request`, before anything reaches a
//! radio.
#![cfg(feature = "hardware")]

mod common;

use std::time::Duration;

use common::hardware::Harness;
use serde_json::json;
use switchboard::agents::hardware::{HardwareBridgePlugin, channels};

const REQUEST_CHANNELS: [&str; 9] = [
    channels::ADAPTERS,
    channels::DEVICES,
    channels::TYPES,
    channels::DISCOVER,
    channels::REGISTER,
    channels::COMMAND,
    channels::STATE,
    channels::CONFIGURE,
    channels::DESCRIBE,
];

fn bridge() -> HardwareBridgePlugin {
    HardwareBridgePlugin::default()
        .latency(Duration::from_millis(1), Duration::from_millis(1))
        .failure_rate(0.0)
}

#[test]
fn the_adapters_request_takes_an_empty_object_only() {
    let mut h = Harness::new(bridge());
    for body in [&b""[..], b"{}", b" { } \n"] {
        let answer = h.call_raw(channels::ADAPTERS, body).unwrap();
        assert_eq!(answer["adapters"].as_array().unwrap().len(), 4, "{answer}");
    }
    let cases = [
        ("not json", "not JSON"),
        ("[1,2]", "must be a JSON object, not an array"),
        ("{\"bogus\":1}", "unknown field `bogus`"),
        ("\"{}\"", "must be a JSON object, not a string"),
        ("{} {}", "trailing characters"),
    ];
    for (body, why) in cases {
        let error = h.call_raw(channels::ADAPTERS, body.as_bytes()).unwrap_err();
        assert_eq!(error["code"], "invalid_request", "{body}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(why), "{body}: {message}");
    }
}

#[test]
fn every_request_channel_refuses_bodies_that_are_not_its_shape() {
    let mut h = Harness::new(bridge());
    for channel in REQUEST_CHANNELS {
        for body in ["not json", "[1,2]", "[]", "true", "{\"bogus\":1}"] {
            let error = h.call_raw(channel, body.as_bytes()).unwrap_err();
            assert_eq!(
                error["code"], "invalid_request",
                "{channel} {body}: {error}"
            );
        }
    }
    // Nothing was queued for a radio, and the bridge still answers.
    assert_eq!(h.bridge().pending(), 0);
    let devices = h.ok(channels::DEVICES, json!({"registered": true}));
    assert_eq!(devices["devices"], json!([]));
}
