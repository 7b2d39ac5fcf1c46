#!/usr/bin/env python3
"""An adapter plugin that breaks the adapter protocol (docs/plugins.md,
section 8) in every way the bridge must refuse, then lists one good device,
for tests/plugin_adapters.rs."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

from switchboard_plugin import Plugin  # noqa: E402

plugin = Plugin()
plugin.advertise("adapter/devices", latest=True)
plugin.advertise("adapter/changes")
plugin.request("adapter/command")(lambda request: {"state": {"on": request["command"] == "turn_on"}})

plugin.publish("adapter/devices", b"not json")
plugin.publish("adapter/devices", {"devices": [{"id": "Bad Id", "type": "bulb"}]})
plugin.publish("adapter/devices", {"types": [{"id": "bulb", "name": "Not yours"}], "devices": []})
plugin.publish("adapter/devices", {"devices": [{"id": "lamp", "type": "no_such_type"}]})
plugin.publish("adapter/changes", {"device": "ghost", "changes": {"on": True}})
# Fresh type ids, one list at a time: the seventeenth is refused.
for i in range(17):
    plugin.publish("adapter/devices", {"types": [{"id": f"fresh_{i}", "name": "Fresh"}], "devices": []})
# At last a good list, with a state value the type refuses (brightness 300).
plugin.publish("adapter/devices", {"devices": [
    {"id": "lamp", "type": "bulb", "state": {"on": False, "brightness": 300}},
]})
plugin.log("bad adapter done")
plugin.run()
