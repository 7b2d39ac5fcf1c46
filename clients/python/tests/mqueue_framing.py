"""An independent client end of the message-queue transport, written from
the framing's description (docs/protocol/transport-and-lifecycle.md,
section 1.3) with PyPI ``posix_ipc``: the client creates
``/{prefix}In.{pid}`` (it writes) and ``/{prefix}Out.{pid}`` (it reads),
mode 0600; every slot is ``<metadata JSON>\\0<part>``.

It checks the host's side of the framing as it reads: one ``uniq`` per
message, ``remain`` falling by each part's length, ``status`` 206 while
parts follow and 200 on the last, every part within the slot.
"""

from __future__ import annotations

import json
import os
import time
from typing import List, Optional, Tuple

import posix_ipc

from switchboard_client import wire

PREFIX = "Switchboard"


def names(game_pid: int, prefix: str = PREFIX) -> Tuple[str, str]:
    return f"/{prefix}In.{game_pid}", f"/{prefix}Out.{game_pid}"


def queue_exists(name: str) -> bool:
    try:
        posix_ipc.MessageQueue(name).close()
        return True
    except posix_ipc.ExistentialError:
        return False


def meta(req: int, uniq: int, remain: int, pad: int = 0, **extra) -> bytes:
    """Metadata JSON; ``pad`` spaces before the closing brace (still valid
    JSON) let a test hit an exact slot length."""
    fields = {"req": req, "uniq": uniq, "remain": remain, **extra}
    text = json.dumps(fields, separators=(",", ":"))
    return (text[:-1] + " " * pad + "}").encode()


def split(message: bytes, uniq: int, slot: int, pad: int = 0, **extra) -> List[bytes]:
    """Cuts a message into slots: req 1 while more follow, 0 on the last."""
    parts = []
    offset = 0
    while True:
        rest = len(message) - offset
        last = meta(0, uniq, rest, pad, **extra)
        if len(last) + 1 + rest <= slot:
            parts.append(last + b"\0" + message[offset:])
            return parts
        more = meta(1, uniq, rest, pad, **extra)
        take = slot - len(more) - 1
        parts.append(more + b"\0" + message[offset:offset + take])
        offset += take


class Refused(Exception):
    def __init__(self, status: int, uniq: int, reason: str):
        super().__init__(f"{status} for message {uniq}: {reason}")
        self.status = status
        self.uniq = uniq
        self.reason = reason


class Closed(Exception):
    def __init__(self, code: int, reason: str):
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class QueueClient:
    """One client over a game's queue pair. ``send_pid`` puts this
    process's id in the metadata, so the game can tell when it is gone."""

    def __init__(self, game_pid: int, prefix: str = PREFIX, send_pid: bool = True):
        self.in_name, self.out_name = names(game_pid, prefix)
        self.to_game = posix_ipc.MessageQueue(self.in_name, posix_ipc.O_CREX, mode=0o600)
        self.from_game = posix_ipc.MessageQueue(self.out_name, posix_ipc.O_CREX, mode=0o600)
        self.slot = self.to_game.max_message_size
        self.extra = {"pid": os.getpid()} if send_pid else {}
        self.next_uniq = 1
        self.next_request = 1
        self.parts_received: List[dict] = []
        self.welcome: Optional[wire.WelcomeFrame] = None
        self.backlog: list = []

    # -- framing -----------------------------------------------------------

    def send_raw(self, slot: bytes, timeout: float = 10.0) -> None:
        self.to_game.send(slot, timeout=timeout)

    def send_message(self, message: bytes, uniq: Optional[int] = None, pad: int = 0) -> List[bytes]:
        if uniq is None:
            uniq = self.take_uniq()
        parts = split(message, uniq, self.slot, pad, **self.extra)
        for part in parts:
            self.send_raw(part)
        return parts

    def take_uniq(self) -> int:
        uniq = self.next_uniq
        self.next_uniq += 1
        return uniq

    def receive_part(self, timeout: float) -> Tuple[dict, bytes]:
        slot, _ = self.from_game.receive(timeout=timeout)
        assert len(slot) <= self.from_game.max_message_size
        head, sep, part = slot.partition(b"\0")
        assert sep, f"no NUL in {slot[:80]!r}"
        metadata = json.loads(head)
        self.parts_received.append(metadata)
        return metadata, part

    def receive_message(self, timeout: float = 10.0):
        """('frame', bytes), or raises Refused / Closed. Checks the host's
        parts as it joins them."""
        deadline = time.monotonic() + timeout
        joined = b""
        uniq = None
        expect = None
        while True:
            left = max(deadline - time.monotonic(), 0.001)
            metadata, part = self.receive_part(left)
            status = metadata["status"]
            if status in (400, 500, 501):
                assert uniq is None, "a refusal inside another message"
                assert metadata["remain"] == len(part)
                raise Refused(status, metadata["uniq"], part.decode())
            if uniq is None:
                uniq = metadata["uniq"]
            assert metadata["uniq"] == uniq, (metadata, uniq)
            if expect is not None:
                assert metadata["remain"] == expect, (metadata, expect)
            joined += part
            if status == 206:
                assert len(part) > 0 and metadata["remain"] > len(part)
                expect = metadata["remain"] - len(part)
                continue
            assert status == 200, metadata
            assert metadata["remain"] == len(part), metadata
            if "close" in metadata:
                raise Closed(metadata["close"], joined.decode(errors="replace"))
            return joined

    # -- protocol ----------------------------------------------------------

    def send_frame(self, frame: bytes) -> List[bytes]:
        return self.send_message(frame)

    def receive_frame(self, timeout: float = 10.0):
        return wire.decode_frame(self.receive_message(timeout))

    def hello(self, name: str = "python-mqueue", token: Optional[str] = None) -> wire.WelcomeFrame:
        self.send_frame(wire.encode_hello(name, token=token))
        frame = self.receive_frame()
        assert isinstance(frame, wire.WelcomeFrame), frame
        self.welcome = frame
        return frame

    def channel(self, name: str) -> int:
        assert self.welcome is not None
        for info in self.welcome.channels:
            if info.name == name:
                return info.id
        raise KeyError(name)

    def request_frame(self, channel: int, content: bytes) -> Tuple[int, bytes]:
        request_id = self.next_request
        self.next_request += 1
        return request_id, wire.encode_data(channel, content, request_id=request_id)

    def wait_response(self, request_id: int, timeout: float = 20.0) -> wire.ResponseFrame:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.receive_frame(max(deadline - time.monotonic(), 0.001))
            if isinstance(frame, wire.ResponseFrame) and frame.request_id == request_id:
                return frame
            self.backlog.append(frame)

    def call(self, channel: int, content: bytes, timeout: float = 20.0) -> bytes:
        request_id, frame = self.request_frame(channel, content)
        self.send_frame(frame)
        response = self.wait_response(request_id, timeout)
        assert response.ok, response
        return response.content

    def close(self) -> None:
        for q, name in ((self.to_game, self.in_name), (self.from_game, self.out_name)):
            q.close()
            try:
                posix_ipc.unlink_message_queue(name)
            except posix_ipc.ExistentialError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
