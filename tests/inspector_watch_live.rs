//! Watching resources and the entity list through the inspector over a
//! real WebSocket client: a changed resource reaches the watcher within one
//! frame, its removal and return are reported, a slow watcher's newest
//! message holds the newest value, and spawned, renamed, reparented and
//! despawned entities are named on the stream that keeps an editor's
//! entity list live.
#![cfg(feature = "inspector")]

mod common;

use bevy_app::prelude::*;
use bevy_ecs::hierarchy::ChildOf;
use bevy_ecs::name::Name;
use common::inspector::*;
use serde_json::{Value, json};
use switchboard::ClientId;
use switchboard::agents::inspector::{Writes, watch_channel_name};
use switchboard::client::Client;

/// Subscribes to the client's watch stream, then sets the watch; returns
/// the stream's channel id.
fn start_watch(app: &mut App, client: &mut Client, body: Value) -> u32 {
    let name = watch_channel_name(ClientId(client.welcome().client_id));
    client.subscribe(&[], &[name.as_str()]).unwrap();
    let answer = ok(app, client, "world/watch", body);
    assert_eq!(answer["channel"], name.as_str());
    answer["id"].as_u64().unwrap() as u32
}

#[test]
fn a_changed_resource_reaches_the_watcher_within_one_frame() {
    let mut app = app(Writes::Local);
    let (a, _) = spawn_scene(&mut app);
    let mut client = connect(&mut app);
    let channel = start_watch(&mut app, &mut client, json!({ "resources": [SCORE] }));
    let first = next_watch(&mut client, channel, |_| true);
    assert_eq!(first["resources"][SCORE], json!({ "points": 7 }));
    assert_eq!(first["changed_resources"], json!([SCORE]));
    // Resources only: no entity is in the message.
    assert_eq!(first["entities"], json!({}));
    assert!(first["entities"].get(a.to_string()).is_none());

    // The game changes it; the next frame's message has the new value.
    app.world_mut().resource_mut::<Score>().points = 9;
    app.update();
    let changed = next_watch(&mut client, channel, |v| {
        v.get("changed_resources").is_some()
    });
    assert_eq!(changed["resources"][SCORE], json!({ "points": 9 }));
    assert_eq!(changed["changed_resources"], json!([SCORE]));

    // Quiet frames send nothing.
    app.update();
    app.update();
    assert_no_watch_message(&mut client, channel);

    // A change through the inspector itself.
    ok(
        &mut app,
        &mut client,
        "world/mutate_resources",
        json!({ "resource": SCORE, "path": "points", "value": 11 }),
    );
    let mutated = next_watch(&mut client, channel, |v| {
        v["resources"][SCORE]["points"] == 11
    });
    assert_eq!(mutated["changed_resources"], json!([SCORE]));

    // Removed, then inserted again.
    app.world_mut().remove_resource::<Score>();
    app.update();
    let removed = next_watch(&mut client, channel, |v| {
        v.get("removed_resources").is_some()
    });
    assert_eq!(removed["removed_resources"], json!([SCORE]));
    assert_eq!(removed["resources"], json!({}));
    app.world_mut().insert_resource(Score { points: 1 });
    app.update();
    let back = next_watch(&mut client, channel, |v| {
        v.get("changed_resources").is_some()
    });
    assert_eq!(back["resources"][SCORE], json!({ "points": 1 }));
}

#[test]
fn a_slow_watcher_gets_the_newest_resource_value_and_others_are_not_disturbed() {
    let mut app = app(Writes::Off);
    spawn_scene(&mut app);
    let mut slow = connect(&mut app);
    let slow_channel = start_watch(&mut app, &mut slow, json!({ "resources": [SCORE] }));
    let mut other = connect(&mut app);
    let other_channel = start_watch(&mut app, &mut other, json!({ "components": [POSITION] }));
    next_watch(&mut other, other_channel, |_| true);

    // 200 frames, each changing the score, while the slow client reads nothing.
    for points in 0..200u32 {
        app.world_mut().resource_mut::<Score>().points = points;
        app.update();
    }
    // What it then reads ends with the newest value, complete.
    let mut newest = None;
    let mut count = 0;
    while let Some(v) = try_next_watch(&mut slow, slow_channel) {
        count += 1;
        newest = Some(v);
    }
    let newest = newest.expect("the slow client got the score");
    assert_eq!(newest["resources"][SCORE], json!({ "points": 199 }));
    assert!(count <= 201, "{count} messages for 201 states");
    // The other client watches no resource: it heard nothing of them.
    assert_no_watch_message(&mut other, other_channel);
}

/// The next message on the watch stream, if one comes within 150 ms.
fn try_next_watch(client: &mut Client, channel: u32) -> Option<Value> {
    use std::time::{Duration, Instant};
    use switchboard::client::{ClientError, Incoming};
    let deadline = Instant::now() + Duration::from_millis(150);
    while Instant::now() < deadline {
        match client.recv(Duration::from_millis(20)) {
            Ok(Incoming::Data {
                channel: c,
                content,
                ..
            }) if c == channel => return Some(serde_json::from_slice(&content).unwrap()),
            Ok(_) | Err(ClientError::Timeout) => continue,
            Err(e) => panic!("client error: {e}"),
        }
    }
    None
}

#[test]
fn bad_resource_watches_are_refused_by_name() {
    let mut app = app(Writes::Off);
    let mut client = connect(&mut app);
    let e = refused(
        &mut app,
        &mut client,
        "world/watch",
        json!({ "resources": ["inspector::Nope"] }),
    );
    assert_eq!(e["code"], "unknown_resource", "{e}");
    assert_eq!(e["component"], "inspector::Nope", "{e}");
    let e = refused(
        &mut app,
        &mut client,
        "world/watch",
        json!({ "resources": [POSITION] }),
    );
    assert_eq!(e["code"], "unknown_resource", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("not as a resource"),
        "{e}"
    );
    let e = refused(
        &mut app,
        &mut client,
        "world/watch",
        json!({ "list": false }),
    );
    assert_eq!(e["code"], "invalid_request", "{e}");
}

#[test]
fn the_entity_list_watch_names_spawned_renamed_reparented_and_despawned_entities() {
    let mut app = app(Writes::Off);
    let (a, b) = spawn_scene(&mut app);
    let mut client = connect(&mut app);
    let channel = start_watch(
        &mut app,
        &mut client,
        json!({ "list": true, "entities": [a] }),
    );
    let first = next_watch(&mut client, channel, |_| true);
    // The first message only starts the list; the editor read it already.
    assert!(first.get("list").is_none(), "{first}");
    assert!(first["entities"].get(a.to_string()).is_some());

    let c = app.world_mut().spawn(Name::new("newcomer")).id();
    app.update();
    let spawned = next_watch(&mut client, channel, |v| v.get("list").is_some());
    assert_eq!(spawned["list"], json!({ "spawned": [c.to_bits()] }));

    app.world_mut().get_mut::<Name>(c).unwrap().set("renamed");
    app.update();
    let renamed = next_watch(&mut client, channel, |v| v.get("list").is_some());
    assert_eq!(renamed["list"], json!({ "changed": [c.to_bits()] }));

    app.world_mut().entity_mut(c).insert(ChildOf(entity(b)));
    app.update();
    let reparented = next_watch(&mut client, channel, |v| v.get("list").is_some());
    // The child changed, and so did the parent (its Children).
    assert_eq!(reparented["list"]["changed"], json!([c.to_bits()]));

    app.world_mut().entity_mut(c).remove::<ChildOf>();
    app.update();
    let root = next_watch(&mut client, channel, |v| v.get("list").is_some());
    assert_eq!(root["list"], json!({ "changed": [c.to_bits()] }));

    app.world_mut().despawn(c);
    app.update();
    let gone = next_watch(&mut client, channel, |v| v.get("list").is_some());
    assert_eq!(gone["list"], json!({ "despawned": [c.to_bits()] }));

    // Nothing happened: nothing is sent.
    app.update();
    app.update();
    assert_no_watch_message(&mut client, channel);
}
