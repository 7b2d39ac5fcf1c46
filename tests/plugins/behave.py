#!/usr/bin/env python3
"""A plugin that misbehaves on purpose, for tests/plugins.rs. The first
argument says how; the plugin registers first unless told not to."""

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

from switchboard_plugin import Plugin, PluginError  # noqa: E402

mode = sys.argv[1]

if mode == "no-register":
    time.sleep(60)
    sys.exit(0)
if mode == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

plugin = Plugin(plugin_id=sys.argv[2] if mode == "wrong-id" else None)

if mode == "crash":
    plugin.log("crashing on purpose")
    sys.exit(3)
if mode == "hang":
    # Registered, then never reads again: pings go unanswered.
    time.sleep(60)
if mode == "garbage":
    os.write(plugin._writer.fileno(), b"\x01\x00\x00\x80\x09")
    time.sleep(60)
if mode == "oversized":
    os.write(plugin._writer.fileno(), (100_000_000).to_bytes(4, "little"))
    time.sleep(60)
if mode == "flood":
    # Requests on a channel that does not exist, never reading the errors
    # they earn: the host's queue to this plugin overflows.
    from switchboard_client import wire

    for i in range(200_000):
        plugin._send(wire.encode_data(4_000_000, b"x", request_id=i + 1))
    time.sleep(60)
if mode == "noise":
    for i in range(2000):
        os.write(1, b"stray print on stdout %d\n" % i)

counter = {"n": 0}


@plugin.request("echo")
def echo(payload):
    counter["n"] += 1
    return payload


@plugin.request("ask-game")
def ask_game(payload):
    # Many requests to a game channel in flight at once, then the answers.
    ids = [plugin.send_request(payload["channel"], str(i)) for i in range(payload["count"])]
    answers = [plugin.wait_response(i).decode() for i in ids]
    return {"answers": len(answers), "last": answers[-1]}


plugin.log(f"{plugin.id} ready ({mode})")
if mode == "ignore-close":
    # Registered and answering, but never leaves when asked.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            # Answers pings; the close and everything else is ignored.
            message = plugin._read()
            if message[0] == "end":
                time.sleep(60)
        except (OSError, PluginError):
            time.sleep(60)
plugin.run()
