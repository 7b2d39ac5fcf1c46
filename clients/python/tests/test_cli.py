"""`python -m switchboard_client` against the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLIENT_ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, timeout=30):
    env = {**os.environ, "PYTHONPATH": str(CLIENT_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "switchboard_client", *args],
        capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
    )


def test_cli_subscribe_count(demo):
    done = run_cli(demo.url, "--subscribe", "telemetry/*", "--count", "5", "--seconds", "20")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 5, done.stdout
    assert all(line.startswith("telemetry/") and '"value"' in line for line in lines), lines
    assert "session" in done.stderr


def test_cli_seconds_bound_and_list(demo):
    done = run_cli(demo.url, "--subscribe", "nothing/matches/*", "--seconds", "0.5")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    listed = run_cli(demo.url, "--list")
    assert listed.returncode == 0, listed.stderr
    assert "scene/command" in listed.stdout and "telemetry/fps" in listed.stdout


def test_cli_call(demo):
    done = run_cli(demo.url, "--call", "echo", "hello from the cli")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "hello from the cli"
    failed = run_cli(demo.url, "--call", "scene/command", "{}")
    assert failed.returncode == 1
    assert "bad scene command" in failed.stderr
