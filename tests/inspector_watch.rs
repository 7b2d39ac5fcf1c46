//! Watching through the entity inspector over a real WebSocket client: a
//! change reaches the client's own watch stream within one frame, added,
//! removed and despawned components are reported, quiet frames send
//! nothing, and a client that leaves takes its stream with it.
#![cfg(feature = "inspector")]

mod common;

use std::time::{Duration, Instant};

use bevy_app::prelude::*;
use common::PATIENCE;
use common::inspector::*;
use serde_json::json;
use switchboard::ClientId;
use switchboard::agents::inspector::{Writes, watch_channel_name};

#[test]
fn a_watch_delivers_changes_within_one_frame() {
    let mut app = app(Writes::Local);
    let (a, b) = spawn_scene(&mut app);
    let mut client = connect(&mut app);
    let name = watch_channel_name(ClientId(client.welcome().client_id));
    client.subscribe(&[], &[name.as_str()]).unwrap();

    let answer = ok(
        &mut app,
        &mut client,
        "world/watch",
        json!({ "components": [POSITION, MODE] }),
    );
    assert_eq!(answer["channel"], name.as_str());
    let channel = answer["id"].as_u64().unwrap() as u32;
    let first = next_watch(&mut client, channel, |_| true);
    assert_eq!(
        first["entities"][a.to_string()][POSITION],
        json!({ "x": 1.0, "y": 2.0 })
    );
    assert_eq!(
        first["entities"][b.to_string()][MODE],
        json!({ "Moving": { "speed": 2.5 } })
    );
    assert!(
        first["added"][a.to_string()]
            .as_array()
            .unwrap()
            .contains(&json!(POSITION))
    );

    // The game changes a value; one frame later the client has it.
    app.world_mut().get_mut::<Position>(entity(a)).unwrap().x = 42.0;
    app.update();
    let changed = next_watch(&mut client, channel, |v| v.get("changed").is_some());
    assert_eq!(changed["changed"], json!({ a.to_string(): [POSITION] }));
    assert_eq!(changed["entities"][a.to_string()][POSITION]["x"], 42.0);

    // Removed and despawned, each within its frame.
    app.world_mut().entity_mut(entity(b)).remove::<Mode>();
    app.update();
    let removed = next_watch(&mut client, channel, |v| v.get("removed").is_some());
    assert_eq!(removed["removed"], json!({ b.to_string(): [MODE] }));
    app.world_mut().despawn(entity(a));
    app.update();
    let gone = next_watch(&mut client, channel, |v| v.get("removed").is_some());
    assert!(gone["entities"].get(a.to_string()).is_none(), "{gone}");

    // A frame with no change sends nothing.
    app.update();
    app.update();
    assert_no_watch_message(&mut client, channel);

    // A watch of one entity, changed through the inspector itself.
    ok(
        &mut app,
        &mut client,
        "world/watch",
        json!({ "entities": [b] }),
    );
    let first = next_watch(&mut client, channel, |v| {
        v["entities"].get(b.to_string()).is_some()
    });
    assert_eq!(first["entities"][b.to_string()][NAME], "drifter");
    ok(
        &mut app,
        &mut client,
        "world/mutate",
        json!({ "entity": b, "component": POSITION, "path": "y", "value": -1.0 }),
    );
    let changed = next_watch(&mut client, channel, |v| v.get("changed").is_some());
    assert_eq!(changed["entities"][b.to_string()][POSITION]["y"], -1.0);

    let e = refused(
        &mut app,
        &mut client,
        "world/watch",
        json!({ "entities": [0x0000_0001_0000_0fffu64] }),
    );
    assert_eq!(e["code"], "unknown_entity");
    ok(&mut app, &mut client, "world/unwatch", json!({}));
    app.world_mut().get_mut::<Position>(entity(b)).unwrap().y = 3.0;
    app.update();
    assert_no_watch_message(&mut client, channel);
}

#[test]
fn a_client_that_leaves_takes_its_watch_channel_with_it() {
    let mut app = app(Writes::Off);
    spawn_scene(&mut app);
    let mut client = connect(&mut app);
    let name = watch_channel_name(ClientId(client.welcome().client_id));
    ok(
        &mut app,
        &mut client,
        "world/watch",
        json!({ "components": [POSITION] }),
    );
    let host = |app: &App| {
        app.world()
            .resource::<switchboard::bevy::IpcHost>()
            .find_channel(&name)
    };
    assert!(host(&app).is_some());
    client.close().unwrap();
    let deadline = Instant::now() + PATIENCE;
    while host(&app).is_some() {
        assert!(Instant::now() < deadline, "{name} still advertised");
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
}
