#!/usr/bin/env python3
"""A simulated weather station as a Switchboard plugin (docs/plugins.md).

Channels (under plugins/weather/): `read` answers a request with the current
reading and publishes it on `readings`; `calibrate` takes an offset in
degrees; `fail` always fails, to show errors reaching the caller.
"""

import math
import sys
import time
from pathlib import Path

# Run from the repository: the SDK sits beside the Python client.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "clients" / "python"))

from switchboard_plugin import Plugin  # noqa: E402

plugin = Plugin()
offset = 0.0
plugin.advertise("readings", latest=True, description="The latest reading")


def reading():
    t = time.time()
    return {
        "temperature_c": round(12.0 + 3.0 * math.sin(t / 60.0) + offset, 2),
        "humidity_pct": round(60.0 + 10.0 * math.cos(t / 90.0), 1),
        "language": plugin.preferences.get("language", ""),
    }


@plugin.request("read", description="Reads the station now")
def read(_payload):
    now = reading()
    plugin.publish("readings", now)
    return now


@plugin.request("calibrate", description="Adds an offset in degrees C")
def calibrate(payload):
    global offset
    offset = float(payload["offset_c"])
    plugin.log(f"calibrated by {offset} C")
    return {"offset_c": offset}


@plugin.request("fail", description="Always fails")
def fail(_payload):
    raise ValueError("the station is offline")


plugin.log(f"weather station up, data in {plugin.directories.get('data')}")
plugin.run()
