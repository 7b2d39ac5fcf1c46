"""The entity inspector in the demo (built with the `inspector` feature, as
scripts/test.sh builds it): the scene's entities by reflection, a write
from loopback, and the watch stream that carries it."""

from __future__ import annotations

import json

import pytest

from helpers import recv_until
from switchboard_client import Message, RequestFailed

POSITION = "ipc_agent::scene::Position"
LABEL = "ipc_agent::scene::Label"
NAME = "bevy_ecs::name::Name"


@pytest.fixture
def inspector(client):
    if "world/query" not in {info.name for info in client.channels.values()}:
        pytest.skip("the demo was built without the inspector feature")
    return client


def call(client, channel: str, body) -> object:
    return json.loads(client.call(channel, json.dumps(body).encode(), timeout=5.0))


def test_the_scene_by_reflection(inspector):
    rows = call(inspector, "world/query", {"data": {"components": [NAME, POSITION, LABEL]}})
    names = {row["components"][NAME] for row in rows}
    assert {"orbiter", "drifter"} <= names, rows
    orbiter = next(r for r in rows if r["components"][NAME] == "orbiter")
    assert set(orbiter["components"][POSITION]) == {"x", "y"}
    assert orbiter["components"][LABEL] == "orbiter"
    listed = call(inspector, "world/list_components", {})
    assert {POSITION, LABEL, "ipc_agent::scene::Velocity"} <= set(listed)
    schema = call(inspector, "registry/schema", {"type_limit": {"with": ["Component"]}})
    assert schema[POSITION]["required"] == ["x", "y"]


def test_an_edit_from_loopback_reaches_the_watch(inspector):
    still = json.loads(inspector.call("scene/command", json.dumps(
        {"op": "spawn", "name": "statue", "x": 1.0, "y": 1.0}).encode(), timeout=5.0))["id"]
    stream = f"inspector/watch/{inspector.client_id}"
    inspector.subscribe(patterns=[stream])
    answer = call(inspector, "world/watch", {"entities": [still]})
    assert answer["channel"] == stream
    first = recv_until(inspector, lambda e: isinstance(e, Message) and e.channel_name == stream)
    assert first.json()["entities"][str(still)][POSITION] == {"x": 1.0, "y": 1.0}

    call(inspector, "world/mutate", {"entity": still, "component": POSITION, "path": "x", "value": 6.5})
    changed = recv_until(inspector, lambda e: isinstance(e, Message) and e.channel_name == stream
                         and e.json()["entities"][str(still)][POSITION]["x"] == 6.5)
    assert changed.json()["changed"] == {str(still): [POSITION]}

    with pytest.raises(RequestFailed) as refused:
        call(inspector, "world/mutate", {"entity": still, "component": POSITION, "path": "z", "value": 1})
    error = json.loads(refused.value.reason)
    assert (error["code"], error["path"]) == ("bad_path", "z")
    call(inspector, "world/despawn", {"entity": still})
