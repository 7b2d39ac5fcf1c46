//! The entity inspector's world, resource and schema channels over a real
//! WebSocket client against a Bevy app with `IpcHostPlugin` +
//! `InspectorPlugin`: every channel, the errors that name what was wrong,
//! write access, limits, and a query over 10,000 entities.
#![cfg(feature = "inspector")]

mod common;

use bevy_app::prelude::*;
use bevy_ecs::prelude::*;
use common::init_logs;
use common::inspector::*;
use serde_json::json;
use switchboard::HostConfig;
use switchboard::agents::inspector::{InspectorPlugin, Writes};
use switchboard::bevy::IpcHostPlugin;

#[test]
fn query_get_and_list_in_brp_shapes() {
    let mut app = app(Writes::Off);
    let (a, b) = spawn_scene(&mut app);
    let mut client = connect(&mut app);

    let rows = ok(
        &mut app,
        &mut client,
        "world/query",
        json!({
            "data": { "components": [POSITION], "option": [LABEL], "has": [MODE] },
        }),
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let row_a = rows.iter().find(|r| r["entity"] == a).unwrap();
    assert_eq!(row_a["components"][POSITION], json!({ "x": 1.0, "y": 2.0 }));
    assert_eq!(row_a["components"][LABEL], json!("a"));
    assert_eq!(row_a["has"][MODE], json!(false));
    let row_b = rows.iter().find(|r| r["entity"] == b).unwrap();
    assert!(row_b["components"].get(LABEL).is_none());
    assert_eq!(row_b["has"][MODE], json!(true));

    // Filters and the name search.
    let with = ok(
        &mut app,
        &mut client,
        "world/query",
        json!({
            "data": {}, "filter": { "with": [MODE], "without": [LABEL] },
        }),
    );
    assert_eq!(with, json!([{ "entity": b, "components": {} }]));
    let named = ok(
        &mut app,
        &mut client,
        "world/query",
        json!({
            "data": { "components": [NAME] }, "name": "ORBIT",
        }),
    );
    assert_eq!(
        named,
        json!([{ "entity": a, "components": { NAME: "orbiter" } }])
    );

    // get: all reflectable components, enums in the serializer's shape.
    let got = ok(&mut app, &mut client, "world/get", json!({ "entity": b }));
    assert_eq!(
        got["components"][MODE],
        json!({ "Moving": { "speed": 2.5 } })
    );
    assert_eq!(got["components"][NAME], json!("drifter"));
    let partial = ok(
        &mut app,
        &mut client,
        "world/get",
        json!({ "entity": a, "components": [POSITION, MODE] }),
    );
    assert_eq!(
        partial["components"][POSITION],
        json!({ "x": 1.0, "y": 2.0 })
    );
    assert_eq!(partial["errors"][MODE]["code"], "missing_component");

    let listed = ok(
        &mut app,
        &mut client,
        "world/list_components",
        json!({ "entity": a }),
    );
    for path in [POSITION, LABEL, NAME] {
        assert!(
            listed.as_array().unwrap().contains(&json!(path)),
            "{listed}"
        );
    }
    let all = ok(&mut app, &mut client, "world/list_components", json!({}));
    assert!(all.as_array().unwrap().contains(&json!(MODE)), "{all}");
    assert!(
        !all.as_array().unwrap().contains(&json!(SCORE)),
        "resources are listed apart"
    );
}

#[test]
fn writes_change_the_world() {
    let mut app = app(Writes::Local);
    let (a, b) = spawn_scene(&mut app);
    let mut client = connect(&mut app);

    ok(
        &mut app,
        &mut client,
        "world/mutate",
        json!({
            "entity": a, "component": POSITION, "path": "x", "value": 9.5,
        }),
    );
    assert_eq!(
        app.world().get::<Position>(entity(a)),
        Some(&Position { x: 9.5, y: 2.0 })
    );
    ok(
        &mut app,
        &mut client,
        "world/mutate",
        json!({
            "entity": b, "component": MODE, "path": "", "value": "Idle",
        }),
    );
    assert_eq!(app.world().get::<Mode>(entity(b)), Some(&Mode::Idle));

    ok(
        &mut app,
        &mut client,
        "world/insert",
        json!({
            "entity": b, "components": { LABEL: "b", POSITION: { "x": 0.0, "y": 0.0 } },
        }),
    );
    assert_eq!(
        app.world().get::<Label>(entity(b)),
        Some(&Label("b".into()))
    );
    ok(
        &mut app,
        &mut client,
        "world/remove",
        json!({ "entity": b, "components": [LABEL] }),
    );
    assert!(app.world().get::<Label>(entity(b)).is_none());

    let spawned = ok(
        &mut app,
        &mut client,
        "world/spawn",
        json!({
            "components": { POSITION: { "x": 3.0, "y": 4.0 }, NAME: "newborn" },
        }),
    );
    let c = spawned["entity"].as_u64().unwrap();
    assert_eq!(
        app.world().get::<Position>(entity(c)),
        Some(&Position { x: 3.0, y: 4.0 })
    );

    ok(
        &mut app,
        &mut client,
        "world/reparent",
        json!({ "entities": [c], "parent": a }),
    );
    assert_eq!(
        app.world().get::<ChildOf>(entity(c)).map(|p| p.parent()),
        Some(entity(a))
    );
    let cycle = refused(
        &mut app,
        &mut client,
        "world/reparent",
        json!({ "entities": [a], "parent": c }),
    );
    assert!(
        cycle["message"].as_str().unwrap().contains("cycle"),
        "{cycle}"
    );
    ok(
        &mut app,
        &mut client,
        "world/reparent",
        json!({ "entities": [c] }),
    );
    assert!(app.world().get::<ChildOf>(entity(c)).is_none());

    ok(
        &mut app,
        &mut client,
        "world/despawn",
        json!({ "entity": c }),
    );
    assert!(app.world().get_entity(entity(c)).is_err());
}

#[test]
fn resources_through_their_channels() {
    let mut app = app(Writes::Local);
    let mut client = connect(&mut app);
    let listed = ok(&mut app, &mut client, "world/list_resources", json!({}));
    assert!(
        listed.as_array().unwrap().contains(&json!(SCORE)),
        "{listed}"
    );
    let got = ok(
        &mut app,
        &mut client,
        "world/get_resources",
        json!({ "resource": SCORE }),
    );
    assert_eq!(got, json!({ "value": { "points": 7 } }));
    ok(
        &mut app,
        &mut client,
        "world/mutate_resources",
        json!({ "resource": SCORE, "path": "points", "value": 8 }),
    );
    assert_eq!(app.world().resource::<Score>().points, 8);
    ok(
        &mut app,
        &mut client,
        "world/insert_resources",
        json!({ "resource": SCORE, "value": { "points": 40 } }),
    );
    assert_eq!(app.world().resource::<Score>().points, 40);
    ok(
        &mut app,
        &mut client,
        "world/remove_resources",
        json!({ "resource": SCORE }),
    );
    assert!(app.world().get_resource::<Score>().is_none());
    let gone = refused(
        &mut app,
        &mut client,
        "world/get_resources",
        json!({ "resource": SCORE }),
    );
    assert_eq!(gone["code"], "unknown_resource");
    ok(
        &mut app,
        &mut client,
        "world/insert_resources",
        json!({ "resource": SCORE, "value": { "points": 1 } }),
    );
    assert_eq!(app.world().resource::<Score>().points, 1);
}

#[test]
fn schema_describes_registered_types() {
    let mut app = app(Writes::Off);
    let mut client = connect(&mut app);
    let schema = ok(
        &mut app,
        &mut client,
        "registry/schema",
        json!({
            "type_limit": { "with": ["Component"] },
        }),
    );
    let position = &schema[POSITION];
    assert_eq!(position["kind"], "Struct");
    assert_eq!(position["type"], "object");
    assert_eq!(
        position["properties"]["x"],
        json!({ "$ref": "#/$defs/f64" })
    );
    assert_eq!(position["required"], json!(["x", "y"]));
    assert!(
        position["reflectTypes"]
            .as_array()
            .unwrap()
            .contains(&json!("Component"))
    );
    assert!(schema.get(SCORE).is_none(), "a resource is not a Component");
    let mode = &schema[MODE]["oneOf"];
    assert!(
        mode.as_array()
            .unwrap()
            .contains(&json!({ "const": "Idle" })),
        "{mode}"
    );
    let bad = refused(
        &mut app,
        &mut client,
        "registry/schema",
        json!({ "type_limit": { "with": ["Sparkle"] } }),
    );
    assert!(
        bad["message"].as_str().unwrap().contains("Sparkle"),
        "{bad}"
    );
}

#[test]
fn errors_name_the_entity_type_and_path() {
    let mut app = app(Writes::Local);
    let (a, _) = spawn_scene(&mut app);
    let mut client = connect(&mut app);
    let missing = 0x0000_0001_0000_0fffu64;

    let e = refused(
        &mut app,
        &mut client,
        "world/get",
        json!({ "entity": missing, "components": [POSITION] }),
    );
    assert_eq!(
        (e["code"].as_str(), e["entity"].as_u64()),
        (Some("unknown_entity"), Some(missing))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(&missing.to_string()),
        "{e}"
    );

    let e = refused(
        &mut app,
        &mut client,
        "world/get",
        json!({ "entity": a, "components": ["game::Nope"], "strict": true }),
    );
    assert_eq!(e["code"], "unknown_component");
    assert_eq!(e["component"], "game::Nope");
    let e = refused(
        &mut app,
        &mut client,
        "world/query",
        json!({ "data": { "components": ["game::Nope"] } }),
    );
    assert_eq!(e["code"], "unknown_component");

    let e = refused(
        &mut app,
        &mut client,
        "world/mutate",
        json!({
            "entity": a, "component": POSITION, "path": "z", "value": 1.0,
        }),
    );
    assert_eq!(
        (e["code"].as_str(), e["path"].as_str()),
        (Some("bad_path"), Some("z"))
    );
    assert!(e["message"].as_str().unwrap().contains(POSITION), "{e}");

    let e = refused(
        &mut app,
        &mut client,
        "world/mutate",
        json!({
            "entity": a, "component": POSITION, "path": "x", "value": "fast",
        }),
    );
    assert_eq!(
        (e["code"].as_str(), e["path"].as_str()),
        (Some("bad_value"), Some("x"))
    );
    assert!(e["message"].as_str().unwrap().contains("f64"), "{e}");
    assert_eq!(
        app.world().get::<Position>(entity(a)).map(|p| p.x),
        Some(1.0),
        "unchanged"
    );

    let e = refused(
        &mut app,
        &mut client,
        "world/insert",
        json!({
            "entity": a, "components": { POSITION: { "x": "one", "y": 2.0 }, LABEL: "kept?" },
        }),
    );
    assert_eq!(e["code"], "bad_value");
    assert_eq!(e["component"], POSITION);
    assert_eq!(
        app.world().get::<Label>(entity(a)),
        Some(&Label("a".into())),
        "nothing inserted"
    );

    let e = refused(
        &mut app,
        &mut client,
        "world/mutate",
        json!({
            "entity": a, "component": MODE, "path": "", "value": "Idle",
        }),
    );
    assert_eq!(e["code"], "missing_component");

    let e = refused(&mut app, &mut client, "world/get", json!([a]));
    assert_eq!(e["code"], "invalid_request");
    let e = refused(
        &mut app,
        &mut client,
        "world/despawn",
        json!({ "entity": "a" }),
    );
    assert_eq!(e["code"], "invalid_request");
    // The host and the inspector keep serving.
    assert_eq!(
        ok(&mut app, &mut client, "world/list_resources", json!({})),
        json!([SCORE])
    );
}

#[test]
fn writes_are_off_by_default_and_every_refusal_says_why() {
    let mut app = app(Writes::Off);
    let (a, _) = spawn_scene(&mut app);
    let mut client = connect(&mut app);
    for (channel, body) in [
        (
            "world/mutate",
            json!({ "entity": a, "component": POSITION, "path": "x", "value": 0.0 }),
        ),
        ("world/insert", json!({ "entity": a, "components": {} })),
        ("world/remove", json!({ "entity": a, "components": [] })),
        ("world/spawn", json!({})),
        ("world/despawn", json!({ "entity": a })),
        ("world/reparent", json!({ "entities": [a] })),
        (
            "world/insert_resources",
            json!({ "resource": SCORE, "value": { "points": 0 } }),
        ),
        (
            "world/mutate_resources",
            json!({ "resource": SCORE, "path": "points", "value": 0 }),
        ),
        ("world/remove_resources", json!({ "resource": SCORE })),
    ] {
        let e = refused(&mut app, &mut client, channel, body);
        assert_eq!(e["code"], "writes_disabled", "{channel}: {e}");
        let message = e["message"].as_str().unwrap();
        assert!(
            message.contains(channel) && message.contains("InspectorPlugin::writes"),
            "{message}"
        );
    }
    assert!(app.world().get_entity(entity(a)).is_ok());
    assert_eq!(app.world().resource::<Score>().points, 7);

    // The game's own rule, after the setting allowed the write.
    init_logs();
    let mut app = App::new();
    app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
        .add_plugins(InspectorPlugin::default().writes(Writes::Any).write_rule(
            |client, channel| match channel {
                "world/despawn" => Err(format!("{} may not despawn", client.name)),
                _ => Ok(()),
            },
        ))
        .register_type::<Position>();
    app.update();
    let (a, _) = spawn_scene(&mut app);
    let mut client = connect(&mut app);
    let e = refused(
        &mut app,
        &mut client,
        "world/despawn",
        json!({ "entity": a }),
    );
    assert_eq!(e["code"], "forbidden");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("inspector-test may not despawn"),
        "{e}"
    );
    ok(
        &mut app,
        &mut client,
        "world/mutate",
        json!({ "entity": a, "component": POSITION, "path": "y", "value": 5.0 }),
    );
}

#[test]
fn a_query_over_ten_thousand_entities() {
    let mut app = app(Writes::Off);
    app.world_mut().spawn_batch((0..10_000).map(|i| {
        (
            Position {
                x: i as f64,
                y: 0.0,
            },
            Label(format!("e{i}")),
        )
    }));
    let mut client = connect(&mut app);
    let rows = ok(
        &mut app,
        &mut client,
        "world/query",
        json!({ "data": { "components": [POSITION, LABEL] } }),
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 10_000);
    let mut xs: Vec<f64> = rows
        .iter()
        .map(|r| r["components"][POSITION]["x"].as_f64().unwrap())
        .collect();
    xs.sort_by(f64::total_cmp);
    assert_eq!(xs.first(), Some(&0.0));
    assert_eq!(xs.last(), Some(&9999.0));
    let limited = ok(
        &mut app,
        &mut client,
        "world/query",
        json!({ "data": { "components": [POSITION] }, "limit": 10 }),
    );
    assert_eq!(limited.as_array().unwrap().len(), 10);
}

#[test]
fn oversized_answers_and_ecs_bookkeeping_are_refused_with_the_reason() {
    init_logs();
    let mut app = App::new();
    app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
        .add_plugins(
            InspectorPlugin::default()
                .writes(Writes::Local)
                .max_answer_bytes(2048),
        )
        .register_type::<Position>();
    app.update();
    app.world_mut().spawn_batch((0..200).map(|i| Position {
        x: i as f64,
        y: 0.0,
    }));
    let (a, _) = spawn_scene(&mut app);
    let mut client = connect(&mut app);
    let e = refused(
        &mut app,
        &mut client,
        "world/query",
        json!({ "data": { "components": [POSITION] } }),
    );
    assert_eq!(e["code"], "too_large");
    assert!(e["message"].as_str().unwrap().contains("limit"), "{e}");
    let some = ok(
        &mut app,
        &mut client,
        "world/query",
        json!({ "data": { "components": [POSITION] }, "limit": 5 }),
    );
    assert_eq!(some.as_array().unwrap().len(), 5);

    let children = "bevy_ecs::hierarchy::Children";
    let e = refused(
        &mut app,
        &mut client,
        "world/insert",
        json!({ "entity": a, "components": { children: [a] } }),
    );
    assert_eq!(
        (e["code"].as_str(), e["component"].as_str()),
        (Some("immutable"), Some(children))
    );
    assert!(
        e["message"].as_str().unwrap().contains("world/reparent"),
        "{e}"
    );
    let child_of = "bevy_ecs::hierarchy::ChildOf";
    let e = refused(
        &mut app,
        &mut client,
        "world/spawn",
        json!({ "components": { child_of: a } }),
    );
    assert_eq!(e["component"], child_of);
    assert!(e["message"].as_str().unwrap().contains("cycles"), "{e}");
}
