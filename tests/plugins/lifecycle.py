"""A test plugin for the lifecycle (tests/plugin_lifecycle.rs), through the
Python SDK: it records the lifecycle events it gets, answers with what it
knows of its configuration (never the secret itself: its length), fetches
its configuration and asks for a restart on request, and marks after_run in
a file (its session closes right after).

    lifecycle.py MODE MARKS_FILE    MODE: ok | fail_before_run
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

from switchboard_plugin import Plugin  # noqa: E402

mode, marks = sys.argv[1], sys.argv[2]
plugin = Plugin()
events = []


@plugin.on("before_run")
def before_run(event):
    events.append("before_run")
    if mode == "fail_before_run":
        raise RuntimeError("no sensor attached")


@plugin.on("run")
def run(event):
    events.append("run")


@plugin.on("configuration")
def configuration(event):
    events.append("configuration")


@plugin.on("after_run")
def after_run(event):
    with open(marks, "a") as out:
        out.write("after_run\n")


@plugin.request("state")
def state(_):
    return {
        "events": events,
        "greeting": plugin.configuration.get("greeting"),
        "token_length": len(plugin.configuration.get("token", "")),
    }


@plugin.request("fetched")
def fetched(_):
    return plugin.fetch_configuration().get("greeting")


@plugin.request("restart")
def restart(_):
    plugin.restart()
    return {}


plugin.run()
