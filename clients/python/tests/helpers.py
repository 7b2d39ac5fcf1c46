"""Bounded waiting helpers shared by the tests."""

from __future__ import annotations

import time

from switchboard_client import RemoteError, Timeout


def recv_until(client, predicate, timeout: float = 5.0):
    """The first event for which predicate(event) is true; other events are
    skipped. Raises Timeout after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout(f"no matching event within {timeout} s")
        try:
            event = client.recv(timeout=remaining)
        except Timeout:
            continue
        if predicate(event):
            return event


def next_error(client, timeout: float = 5.0) -> RemoteError:
    """The next Error frame surfaced by recv(); other events are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout(f"no Error within {timeout} s")
        try:
            client.recv(timeout=remaining)
        except RemoteError as e:
            return e
        except Timeout:
            continue


def drain(client, seconds: float) -> list:
    """Everything that arrives within `seconds` (errors included, as objects)."""
    events = []
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return events
        try:
            events.append(client.recv(timeout=remaining))
        except Timeout:
            return events
        except RemoteError as e:
            events.append(e)
