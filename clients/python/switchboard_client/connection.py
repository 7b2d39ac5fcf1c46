"""The transport and the handshake (docs/protocol/transport-and-lifecycle.md):
the WebSocket opened with the options the host expects, then Hello and the
wait for Welcome or a refusal. This runs before there is a Client to hold
the socket, so it lives apart from it; Client only takes over a welcomed
connection."""

from __future__ import annotations

import time
from typing import Optional, Sequence, Tuple

from websockets.exceptions import ConnectionClosed as _WsClosed
from websockets.sync.client import connect as _ws_connect

from . import wire
from .errors import ConnectionClosed, HandshakeError, ProtocolError, Timeout


def open_connection(
    url: str,
    name: str,
    token: Optional[str],
    protocol_versions: Sequence[int],
    timeout: float,
    ping_interval: Optional[float],
) -> Tuple[object, wire.WelcomeFrame]:
    """The open WebSocket and the host's ``Welcome``; see Client.connect for
    what is raised. The socket is closed when no ``Welcome`` comes."""
    deadline = time.monotonic() + timeout
    ws = _ws_connect(
        url,
        compression=None,  # the host negotiates no extensions
        proxy=None,  # connect directly; ignore *_proxy environment variables
        max_size=None,  # the host's frames are bounded by its own queue limit
        open_timeout=timeout,
        ping_interval=ping_interval,
        ping_timeout=ping_interval,
        close_timeout=2.0,
        user_agent_header=None,
        legacy=True,  # a plain connection, closed by close() (websockets >= 17.1)
    )
    try:
        ws.send(wire.encode_hello(name, protocol_versions, token))
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout(f"no Welcome within {timeout:g} s")
            try:
                message = ws.recv(timeout=remaining)
            except TimeoutError:
                raise Timeout(f"no Welcome within {timeout:g} s") from None
            except _WsClosed as e:
                raise ConnectionClosed(*close_of(ws, e)) from None
            if isinstance(message, str):
                raise ProtocolError("the host sent a text message")
            frame = wire.decode_frame(message)
            if isinstance(frame, wire.WelcomeFrame):
                return ws, frame
            if isinstance(frame, wire.ErrorFrame):
                # The host closes right after a refusal (4001/4002/4003).
                code, reason = _wait_for_close(ws, time.monotonic() + 3.0)
                raise HandshakeError(frame, code, reason)
            raise ProtocolError(f"expected Welcome, got {type(frame).__name__}")
    except BaseException:
        ws.close()
        raise


def close_of(ws, exc=None):
    """(code, reason) of the close frame received, if any."""
    rcvd = getattr(exc, "rcvd", None) if exc is not None else None
    if rcvd is None:
        rcvd = getattr(ws.protocol, "close_rcvd", None)
    if rcvd is None:
        return None, "connection lost without a close frame"
    return rcvd.code, rcvd.reason


def _wait_for_close(ws, deadline: float):
    """After a refused Hello: read until the host's close (bounded)."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, None
        try:
            ws.recv(timeout=min(remaining, 2.0))
        except TimeoutError:
            continue
        except _WsClosed as e:
            return close_of(ws, e)
