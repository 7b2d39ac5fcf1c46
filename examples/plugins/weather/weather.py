#!/usr/bin/env python3
"""A simulated weather station as a Switchboard plugin (docs/plugins.md).

As a hardware adapter it provides the device `station` (type
`weather_station`, declared in weather_station.yml) to the game's hardware
bridge: a reading every reporting interval, and the commands
`set_interval` (validated by the type: 1 to 3600 s) and `refresh`.

Its own channels (under plugins/weather/): `read` answers a request with
the current reading and publishes it on `readings`; `calibrate` takes an
offset in degrees; `fail` always fails, to show errors reaching the caller.
"""

import math
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run from the repository: the SDK sits beside the Python client.
sys.path.insert(0, str(HERE.parents[2] / "clients" / "python"))

from switchboard_plugin import Plugin  # noqa: E402

DEFAULT_INTERVAL_S = 10

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


def station_state():
    # A little noise, as a real sensor has: consecutive reports differ.
    now = reading()
    return {
        "temperature": round(now["temperature_c"] + random.uniform(-0.1, 0.1), 2),
        "humidity": round(min(100.0, now["humidity_pct"] + random.uniform(-0.5, 0.5)), 1),
    }


station = plugin.adapter(types=[(HERE / "weather_station.yml").read_text()])
station.device("station", "weather_station", name="Roof weather station",
               manufacturer="Switchboard examples",
               model="Simulated station",
               state={**station_state(), "interval_s": DEFAULT_INTERVAL_S})


def report():
    station.report("station", station_state())


reports = plugin.every(DEFAULT_INTERVAL_S, report)


@station.command("set_interval")
def set_interval(_device, payload):
    reports.interval = payload["interval_s"]
    plugin.log(f"reporting every {reports.interval:g} s")
    return {"interval_s": payload["interval_s"]}


@station.command("refresh")
def refresh(_device, _payload):
    return station_state()


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
