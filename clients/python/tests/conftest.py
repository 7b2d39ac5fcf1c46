"""Starts the demo app (examples/ipc_agent) once for the test session.

The binary comes from $DEMO_BIN (default: the debug build in this
repository; build it with `cargo build --example ipc_agent --features
full`; without the inspector feature, test_inspector.py skips). It listens on a free loopback port (--port 0) and prints
`  websocket: ws://127.0.0.1:PORT/`.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

CLIENT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CLIENT_ROOT))

REPO_ROOT = CLIENT_ROOT.parents[1]
DEFAULT_DEMO_BIN = REPO_ROOT / "target" / "debug" / "examples" / "ipc_agent"
START_TIMEOUT = 30.0
URL_LINE = re.compile(r"^\s*websocket:\s*(ws://\S+)")


class Demo:
    def __init__(self, proc: subprocess.Popen, url: str, output: list, stderr_path: str):
        self.proc = proc
        self.url = url
        self.output = output  # stdout lines so far (its logs go to stderr_path)
        self.stderr_path = stderr_path


@pytest.fixture(scope="session")
def demo():
    binary = os.environ.get("DEMO_BIN", str(DEFAULT_DEMO_BIN))
    if not os.path.isfile(binary):
        pytest.fail(f"demo binary {binary} not found; run "
                    "`cargo build --example ipc_agent --features full` or set DEMO_BIN")
    stderr = tempfile.NamedTemporaryFile(prefix="ipc_agent-", suffix=".stderr", delete=False)
    proc = subprocess.Popen(
        [binary, "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info")},
    )
    lines: list = []
    urls: "queue.Queue[str]" = queue.Queue()

    # Drain stdout for the whole session: a full pipe would stall the game
    # at its next print.
    def drain():
        for line in proc.stdout:
            lines.append(line)
            match = URL_LINE.match(line)
            if match:
                urls.put(match.group(1))

    threading.Thread(target=drain, name="demo-stdout", daemon=True).start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        url = None
        while url is None:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"demo exited with {proc.returncode}:\n{''.join(lines)}"
                    f"{Path(stderr.name).read_text(errors='replace')}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"demo printed no websocket URL within {START_TIMEOUT} s:\n"
                                   + "".join(lines))
            try:
                url = urls.get(timeout=0.2)
            except queue.Empty:
                pass
        assert url.startswith("ws://127.0.0.1:"), url
        wait_for_channels(url, deadline)
        yield Demo(proc, url, lines, stderr.name)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        stderr.close()
        os.unlink(stderr.name)


# Every channel the demo's agents advertise.
DEMO_CHANNELS = {
    "echo",
    "scene/command",
    "scene/entities",
    "telemetry/frame_time",
    "telemetry/fps",
    "telemetry/entity_count",
}


def wait_for_channels(url: str, deadline: float) -> None:
    """The demo prints its URL before every agent has advertised (the
    telemetry channels can come a frame later), so wait until a client sees
    them all; the tests then find every channel in Welcome."""
    from switchboard_client import Client, Timeout

    with Client.connect(url, name="pytest-ready", timeout=5.0) as c:
        while not DEMO_CHANNELS <= {info.name for info in c.channels.values()}:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"demo channels missing: {sorted(c.channels.values())}")
            try:
                c.recv(timeout=min(remaining, 0.5))
            except Timeout:
                pass


@pytest.fixture
def client(demo):
    from switchboard_client import Client

    c = Client.connect(demo.url, name="pytest", timeout=5.0)
    try:
        yield c
    finally:
        c.close()
