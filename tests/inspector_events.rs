//! `world/trigger_event` and `world/write_message` over a real WebSocket
//! client: the game's observer and message reader see the value the client
//! sent, and unknown types, types of the wrong kind, values of the wrong
//! shape and disabled writes are refused with errors that name them.
#![cfg(feature = "inspector")]

mod common;

use bevy_app::prelude::*;
use bevy_ecs::prelude::*;
use bevy_reflect::Reflect;
use common::inspector::*;
use serde_json::json;
use switchboard::agents::inspector::Writes;

#[derive(Event, Reflect, Debug, Clone, PartialEq)]
#[reflect(Event)]
#[type_path = "inspector"]
struct Boost {
    amount: f64,
}

#[derive(Event, Reflect, Debug, Clone, PartialEq)]
#[reflect(Event)]
#[type_path = "inspector"]
struct Reset;

#[derive(Message, Reflect, Debug, Clone, PartialEq)]
#[reflect(Message)]
#[type_path = "inspector"]
struct Say {
    text: String,
}

/// Registered for reflection, but the game never adds its queue.
#[derive(Message, Reflect, Debug, Clone, PartialEq)]
#[reflect(Message)]
#[type_path = "inspector"]
struct Unqueued {
    n: u32,
}

/// What the game's observers and readers saw.
#[derive(Resource, Default)]
struct Seen {
    boosts: Vec<f64>,
    resets: usize,
    said: Vec<String>,
}

const BOOST: &str = "inspector::Boost";
const RESET: &str = "inspector::Reset";
const SAY: &str = "inspector::Say";

fn game(writes: Writes) -> App {
    let mut app = app(writes);
    app.register_type::<Boost>()
        .register_type::<Reset>()
        .register_type::<Say>()
        .register_type::<Unqueued>()
        .add_message::<Say>()
        .init_resource::<Seen>()
        .add_observer(|boost: On<Boost>, mut seen: ResMut<Seen>| seen.boosts.push(boost.amount))
        .add_observer(|_: On<Reset>, mut seen: ResMut<Seen>| seen.resets += 1)
        .add_systems(
            Update,
            |mut said: MessageReader<Say>, mut seen: ResMut<Seen>| {
                seen.said.extend(said.read().map(|m| m.text.clone()))
            },
        );
    app
}

#[test]
fn a_triggered_event_reaches_the_games_observer() {
    let mut app = game(Writes::Local);
    let mut client = connect(&mut app);
    let answer = ok(
        &mut app,
        &mut client,
        "world/trigger_event",
        json!({ "event": BOOST, "value": { "amount": 2.5 } }),
    );
    assert_eq!(answer, json!(null));
    assert_eq!(app.world().resource::<Seen>().boosts, vec![2.5]);

    // A type without fields needs no value, as in BRP.
    ok(
        &mut app,
        &mut client,
        "world/trigger_event",
        json!({ "event": RESET }),
    );
    assert_eq!(app.world().resource::<Seen>().resets, 1);
}

#[test]
fn a_written_message_reaches_the_games_reader() {
    let mut app = game(Writes::Local);
    let mut client = connect(&mut app);
    ok(
        &mut app,
        &mut client,
        "world/write_message",
        json!({ "message": SAY, "value": { "text": "hello" } }),
    );
    // Written during this frame's Update; the reader may run before the
    // inspector in the same frame, so give it the next one.
    app.update();
    assert_eq!(
        app.world().resource::<Seen>().said,
        vec!["hello".to_owned()]
    );
}

#[test]
fn bad_events_and_messages_are_refused_by_name() {
    let mut app = game(Writes::Local);
    let mut client = connect(&mut app);
    let cases = [
        (
            "world/trigger_event",
            json!({ "event": "inspector::Nope" }),
            "unknown_type",
            "inspector::Nope",
        ),
        (
            "world/trigger_event",
            json!({ "event": POSITION, "value": { "x": 1.0, "y": 2.0 } }),
            "unknown_type",
            "not as an event",
        ),
        (
            "world/trigger_event",
            json!({ "event": BOOST, "value": { "amount": "lots" } }),
            "bad_value",
            "inspector::Boost",
        ),
        (
            "world/trigger_event",
            json!({ "event": BOOST }),
            "bad_value",
            "no value given",
        ),
        (
            "world/write_message",
            json!({ "message": BOOST, "value": { "amount": 1.0 } }),
            "unknown_type",
            "not as a message",
        ),
        (
            "world/write_message",
            json!({ "message": SAY, "value": [1, 2] }),
            "bad_value",
            "inspector::Say",
        ),
        (
            "world/write_message",
            json!({ "message": "inspector::Unqueued", "value": { "n": 1 } }),
            "unknown_type",
            "no queue",
        ),
        (
            "world/write_message",
            json!({ "text": "no type named" }),
            "invalid_request",
            "message",
        ),
    ];
    for (channel, body, code, named) in cases {
        let e = refused(&mut app, &mut client, channel, body.clone());
        assert_eq!(e["code"], code, "{channel} {body}: {e}");
        assert!(
            e["message"].as_str().unwrap_or("").contains(named),
            "{channel} {body}: {e} should name {named}"
        );
    }
    let seen = app.world().resource::<Seen>();
    assert!(seen.boosts.is_empty() && seen.said.is_empty());
    // The game still runs and still answers.
    ok(
        &mut app,
        &mut client,
        "world/trigger_event",
        json!({ "event": BOOST, "value": { "amount": 1.0 } }),
    );
    assert_eq!(app.world().resource::<Seen>().boosts, vec![1.0]);
}

#[test]
fn events_and_messages_are_writes_and_off_by_default() {
    let mut app = game(Writes::Off);
    let mut client = connect(&mut app);
    for (channel, body) in [
        (
            "world/trigger_event",
            json!({ "event": BOOST, "value": { "amount": 1.0 } }),
        ),
        (
            "world/write_message",
            json!({ "message": SAY, "value": { "text": "x" } }),
        ),
    ] {
        let e = refused(&mut app, &mut client, channel, body);
        assert_eq!(e["code"], "writes_disabled", "{channel}: {e}");
        assert!(e["message"].as_str().unwrap_or("").contains(channel), "{e}");
    }
    app.update();
    let seen = app.world().resource::<Seen>();
    assert!(seen.boosts.is_empty() && seen.said.is_empty());
}
