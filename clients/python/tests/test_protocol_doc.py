"""docs/protocol/writing-a-client.md, section 12 (Python): the documented reader, run as
written against the demo, and the same helpers as the client's wire module."""

from __future__ import annotations

import ast
import inspect
import os
import sys
import time
from pathlib import Path

import pytest
from websockets.sync.client import connect as ws_connect

from switchboard_client import wire

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol" / "writing-a-client.md"
GENERATED = Path(wire.__file__).resolve().parent / "generated"


def python_blocks() -> str:
    text = DOC.read_text()
    start = text.index("## 12. Notes for other languages")
    section = text[start:]
    blocks = []
    while "```python\n" in section:
        section = section[section.index("```python\n") + len("```python\n"):]
        end = section.index("```\n")
        blocks.append(section[:end])
        section = section[end:]
    assert blocks, "section 12 has no Python code"
    return "\n".join(blocks)


@pytest.fixture(scope="module")
def documented():
    """The documented code, executed: its names in a dict."""
    source = python_blocks()
    # The document imports flatc's module as `ipc_generated`, from wherever
    # the reader generated it; here that is the client's copy.
    sys.path.insert(0, str(GENERATED))
    try:
        namespace: dict = {}
        exec(compile(source, f"{DOC}#section-12", "exec"), namespace)
    finally:
        sys.path.remove(str(GENERATED))
    namespace["__source__"] = source
    return namespace


def function_source(source: str, name: str) -> str:
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(source, node)
    raise AssertionError(f"section 12 defines no {name}()")


def test_the_documented_helpers_are_the_clients(documented):
    for name in ("body_as", "byte_vector"):
        client = inspect.getsource(getattr(wire, name)).rstrip()
        assert function_source(documented["__source__"], name) == client, name
    assert documented["DATA_CONTENT"] == wire.DATA_CONTENT
    assert documented["RESPONSE_CONTENT"] == wire.RESPONSE_CONTENT


def recv_until(ws, read, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "nothing matching within the timeout"
        result = read(ws.recv(timeout=remaining))
        if result is not None:
            return result


def test_the_documented_reader_against_the_demo(demo, documented):
    ipc = documented["ipc"]
    body_as, byte_vector = documented["body_as"], documented["byte_vector"]
    read_data = documented["read_data"]
    payload = os.urandom(64 << 10)

    with ws_connect(demo.url, compression=None, proxy=None, open_timeout=5, max_size=None) as ws:
        ws.send(wire.encode_hello("doc-reader"))

        # The union body read as a Welcome, as the document says.
        def welcome(message):
            frame = ipc.Frame.GetRootAs(bytes(message), 0)
            if frame.BodyType() != ipc.Body.Welcome:
                return None
            return body_as(ipc.Welcome, frame.Body())

        w = recv_until(ws, welcome)
        channels = [w.Channels(i) for i in range(w.ChannelsLength())]
        echo = next(c.Id() for c in channels if c.Name() == b"echo")

        def echoed(message):
            data = read_data(message)
            return data if data is not None and data[0] == echo else None

        ws.send(wire.encode_data(echo, payload))
        channel, request_id, sequence, content = recv_until(ws, echoed)
        assert (channel, request_id, sequence) == (echo, 0, 0)
        assert content == payload

        ws.send(wire.encode_data(echo, payload[:1000], request_id=1))

        def response(message):
            frame = ipc.Frame.GetRootAs(bytes(message), 0)
            if frame.BodyType() != ipc.Body.Response:
                return None
            return body_as(ipc.Response, frame.Body())

        r = recv_until(ws, response)
        assert r.RequestId() == 1 and r.Status() == ipc.ResponseStatus.Ok
        answer = byte_vector(r._tab, documented["RESPONSE_CONTENT"])
        assert answer == payload[:1000]
        # The slice reads what the generated per-byte accessor reads.
        assert answer == bytes(r.Content(j) for j in range(r.ContentLength()))


def test_the_documented_reader_refuses_what_is_not_a_frame(documented):
    with pytest.raises(ValueError):
        documented["read_data"](b"short")
    with pytest.raises(ValueError):
        documented["read_data"](b"\x08\x00\x00\x00XXXX" + bytes(8))
    # A content length that runs past the message is an error, not a
    # silently shorter content.
    frame = bytearray(wire.encode_data(3, b"abcdef"))
    length_at = bytes(frame).index(b"abcdef") - 4
    frame[length_at:length_at + 4] = (1 << 20).to_bytes(4, "little")
    with pytest.raises(ValueError, match="runs past the end"):
        documented["read_data"](bytes(frame))
