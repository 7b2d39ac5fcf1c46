"""A test plugin for the device requests of the lifecycle
(tests/plugin_devices.rs), through the Python SDK. On ``run`` it
subscribes to the bridge's device events, discovers, registers a found
Zigbee bulb, commands it (once with a value its type refuses), reads its
state, and publishes what it got on its channel ``report`` (latest); the
``change`` events it hears are added to the report as they come. Every
refusal is reported with its reason, so a plugin without the permission
(or a game without a bridge) shows the host's answer.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

from switchboard_plugin import Plugin, RemoteFailure  # noqa: E402

plugin = Plugin()
report = {"changes": []}


def publish():
    plugin.publish("report", report)


def attempt(name, step):
    """Runs one step; its answer or its refusal goes into the report."""
    try:
        report[name] = {"ok": step()}
    except RemoteFailure as refused:
        report[name] = {"error": str(refused)}
    publish()
    return report[name].get("ok")


@plugin.on("run")
def run(event):
    attempt("subscribe", lambda: plugin.subscribe_devices() or {})
    found = attempt("discover", lambda: plugin.discover(radio="zigbee"))
    if not found:
        return
    bulbs = [d["id"] for d in found.get("devices", []) if d.get("type") == "bulb"]
    if not bulbs:
        report["no_bulb"] = found
        publish()
        return
    bulb = report["bulb"] = bulbs[0]
    attempt("register", lambda: plugin.register_device(bulb, name="Plugin lamp"))
    attempt("bad_command", lambda: plugin.command(bulb, "set_brightness", {"brightness": 150}))
    attempt("command", lambda: plugin.command(bulb, "set_brightness", {"brightness": 30}))
    attempt("state", lambda: plugin.device_state(bulb))


@plugin.on("change")
def change(event):
    if len(report["changes"]) < 32:
        report["changes"].append(event)
        publish()


plugin.advertise("report", latest=True)
plugin.run()
