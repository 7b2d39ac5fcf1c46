"""A blocking Switchboard client (docs/protocol/README.md), for scripts and tests.

    from switchboard_client import Client

    with Client.connect("ws://127.0.0.1:9001/", name="dashboard") as client:
        client.subscribe(patterns=["telemetry/*"])
        event = client.recv(timeout=1.0)           # Message, Request, ...
        answer = client.call("scene/command", '{"op":"list"}', timeout=5.0)

A background thread reads the socket continuously (so the host never sees a
slow consumer while the program is busy), keeps the channel list current,
matches `Response` and `Error` frames to pending requests and queues
everything else for :meth:`Client.recv`. Every blocking method takes a
timeout.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import queue
import threading
import time
from typing import Callable, Dict, Iterable, Optional, Sequence, Union

from websockets.exceptions import ConnectionClosed as _WsClosed

from . import wire
from .connection import close_of, open_connection
# Re-exported: callers import these from switchboard_client.client too.
from .errors import (
    ConnectionClosed,
    HandshakeError,
    ProtocolError,
    RemoteError,
    RequestFailed,
    SwitchboardError,
    Timeout,
)
from .events import ChannelsAdded, ChannelsRemoved, Event, Limits, Message, Request
from .wire import ChannelInfo, ErrorCode, PROTOCOL_VERSION

log = logging.getLogger("switchboard_client")

Content = Union[bytes, bytearray, memoryview, str, None]
ChannelRef = Union[int, str]


class _Closed:
    """Queue sentinel: the reader thread ended."""


class PendingRequest:
    """A request in flight. :meth:`result` waits for the answer."""

    def __init__(self, client: "Client", request_id: int, channel: int):
        self.request_id = request_id
        self.channel = channel
        self._client = client
        self._future: concurrent.futures.Future = concurrent.futures.Future()

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: float) -> bytes:
        """The answer's content. Raises :class:`RequestFailed` (status
        Failed), :class:`RemoteError` (e.g. UnknownChannel, Timeout,
        Overloaded), :class:`ConnectionClosed`, or :class:`Timeout` when no
        answer arrived within ``timeout`` seconds (the request stays pending;
        call :meth:`forget` to stop waiting for it)."""
        try:
            outcome = self._future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise Timeout(
                f"no answer to request {self.request_id} within {timeout:g} s"
            ) from None
        if isinstance(outcome, wire.ErrorFrame):
            raise RemoteError.from_frame(outcome)
        if not outcome.ok:
            raise RequestFailed(outcome.error, outcome.request_id, outcome.channel)
        return outcome.content

    def forget(self) -> None:
        """Stops tracking this request; a late answer is dropped."""
        self._client._forget(self.request_id)


# --------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------


class Client:
    """A connected, welcomed client. Create it with :meth:`connect`."""

    def __init__(self, ws, welcome: wire.WelcomeFrame, on_request=None, request_workers=4):
        self._ws = ws
        self.welcome = welcome
        self.limits = Limits(
            welcome.max_message_size, welcome.max_pending_requests, welcome.request_timeout_ms
        )
        self._lock = threading.Lock()
        self._channels: Dict[int, ChannelInfo] = {c.id: c for c in welcome.channels}
        self._last_sequence: Dict[int, int] = {}
        self._pending: Dict[int, PendingRequest] = {}
        # Requests given up on before their answer came; the host still
        # answers each one (at the latest with Error{Timeout}), and that
        # answer is dropped quietly.
        self._abandoned: set = set()
        self._ids = itertools.count(1)
        self._events: "queue.Queue" = queue.Queue()
        self._closed: Optional[ConnectionClosed] = None
        self._on_request = on_request
        self._workers = (
            concurrent.futures.ThreadPoolExecutor(request_workers, "switchboard-request")
            if on_request
            else None
        )
        self._reader = threading.Thread(target=self._read_loop, name="switchboard-reader", daemon=True)
        self._reader.start()

    # ---- connecting ------------------------------------------------------

    @classmethod
    def connect(
        cls,
        url: str,
        name: str = "python",
        token: Optional[str] = None,
        protocol_versions: Sequence[int] = (PROTOCOL_VERSION,),
        timeout: float = 5.0,
        on_request: Optional[Callable[[Request], Content]] = None,
        ping_interval: Optional[float] = None,
    ) -> "Client":
        """Opens the WebSocket, sends ``Hello`` and waits for ``Welcome``.

        ``on_request``, when given, answers requests from the game on a
        worker thread: its return value is the ``Ok`` content, and an
        exception it raises becomes a ``Failed`` answer with the exception's
        text. Without it, requests arrive through :meth:`recv`.

        ``ping_interval`` is off by default: the host answers pings only while
        it reads, and it stops reading while the game is stalled (section 9.3).

        Raises :class:`HandshakeError` when the host refuses the ``Hello``,
        :class:`Timeout` when no answer comes within ``timeout`` seconds, and
        ``OSError``/websockets errors when the socket cannot be opened.
        """
        ws, welcome = open_connection(url, name, token, protocol_versions, timeout, ping_interval)
        try:
            return cls(ws, welcome, on_request=on_request)
        except BaseException:
            ws.close()
            raise
    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- what the host said ----------------------------------------------

    @property
    def client_id(self) -> int:
        return self.welcome.client_id

    @property
    def session_id(self) -> str:
        return self.welcome.session_id

    @property
    def channels(self) -> Dict[int, ChannelInfo]:
        """The channels advertised now, by id (a copy)."""
        with self._lock:
            return dict(self._channels)

    def channel(self, ref: ChannelRef) -> ChannelInfo:
        """The channel with this id or exact name; KeyError if not advertised."""
        with self._lock:
            if isinstance(ref, int):
                return self._channels[ref]
            for info in self._channels.values():
                if info.name == ref:
                    return info
        raise KeyError(f"no channel named {ref!r} is advertised")

    def _channel_id(self, ref: ChannelRef) -> int:
        # An int is sent as given (the host judges unknown ids).
        return ref if isinstance(ref, int) else self.channel(ref).id

    @property
    def closed(self) -> bool:
        return self._closed is not None

    # ---- subscriptions ---------------------------------------------------

    def subscribe(
        self,
        channel_ids: Iterable[int] = (),
        patterns: Iterable[str] = (),
        timeout: float = 5.0,
    ) -> None:
        """Subscribes and waits for the host's confirmation, after which
        every publish that arrives was routed by the new subscriptions.

        Raises :class:`RemoteError` (UnknownChannel for unknown ids, BadFrame
        for refused patterns; the valid rest was applied anyway)."""
        self._subscription(wire.encode_subscribe, list(channel_ids), list(patterns), False, timeout)

    def unsubscribe(
        self,
        channel_ids: Iterable[int] = (),
        patterns: Iterable[str] = (),
        timeout: float = 5.0,
    ) -> None:
        """Removes exactly these ids and pattern strings, and waits for the
        confirmation."""
        self._subscription(wire.encode_subscribe, list(channel_ids), list(patterns), True, timeout)

    def _subscription(self, encode, ids, patterns, unsubscribe, timeout) -> None:
        pending = self._register(0)
        try:
            self._send(encode(pending.request_id, ids, patterns, unsubscribe=unsubscribe))
            pending.result(timeout)
        finally:
            self._forget(pending.request_id)

    # ---- sending ---------------------------------------------------------

    def publish(self, channel: ChannelRef, content: Content, sequence: int = 0) -> None:
        """Sends a one-way ``Data``. Refusals (NotAllowed, UnknownChannel)
        arrive later as a :class:`RemoteError` from :meth:`recv`."""
        self._send(
            wire.encode_data(
                self._channel_id(channel), content, 0, sequence, time.time_ns()
            )
        )

    def request(self, channel: ChannelRef, content: Content) -> PendingRequest:
        """Sends a request and returns at once; any number may be in flight
        (the host allows ``limits.max_pending_requests``)."""
        channel_id = self._channel_id(channel)
        pending = self._register(channel_id)
        try:
            self._send(
                wire.encode_data(channel_id, content, pending.request_id, 0, time.time_ns())
            )
        except BaseException:
            self._forget(pending.request_id)
            raise
        return pending

    def call(self, channel: ChannelRef, content: Content, timeout: Optional[float] = None) -> bytes:
        """Sends a request and waits for its answer's content.

        The default timeout is the host's request timeout plus a second (the
        host then answers ``Error{Timeout}`` itself). Raises
        :class:`RequestFailed`, :class:`RemoteError` or :class:`Timeout`."""
        if timeout is None:
            timeout = self.limits.request_timeout_ms / 1000.0 + 1.0
        pending = self.request(channel, content)
        try:
            return pending.result(timeout)
        finally:
            self._forget(pending.request_id)

    def respond(self, request: Request, content: Content = b"") -> None:
        """Answers a request from the game with ``Ok``."""
        self._send(wire.encode_response(request.request_id, request.channel, content))

    def respond_error(self, request: Request, reason: str) -> None:
        """Answers a request from the game with ``Failed`` and a reason."""
        self._send(wire.encode_response(request.request_id, request.channel, error=reason))

    def send_raw(self, message: Union[bytes, str]) -> None:
        """Sends one WebSocket message as is (bytes: binary, str: text).
        For tests and experiments."""
        self._send(message)

    # ---- receiving -------------------------------------------------------

    def recv(self, timeout: float) -> Event:
        """The next thing from the host: :class:`Message`, :class:`Request`,
        :class:`ChannelsAdded` or :class:`ChannelsRemoved`.

        An ``Error`` frame that is not the answer to a pending request (for
        example a refused one-way ``Data``, a refused text message, or
        ``UnknownRequest`` for a late :meth:`respond`) is raised here as
        :class:`RemoteError`. Answers to requests given up on (a local
        timeout, :meth:`PendingRequest.forget`) are dropped. Raises :class:`Timeout` when nothing
        arrives within ``timeout`` seconds, and :class:`ConnectionClosed` once
        the connection is closed and everything before the close was read.
        """
        try:
            item = self._events.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise Timeout(f"nothing arrived within {timeout:g} s") from None
        if isinstance(item, _Closed):
            self._events.put(item)  # every later recv sees the close too
            assert self._closed is not None
            raise self._closed
        if isinstance(item, SwitchboardError):
            raise item
        return item

    def __iter__(self):
        """Events until the connection closes (each wait up to a minute)."""
        while True:
            try:
                yield self.recv(timeout=60.0)
            except Timeout:
                continue
            except ConnectionClosed:
                return

    # ---- closing ---------------------------------------------------------

    def close(self, timeout: float = 2.0) -> None:
        """Closes the WebSocket with 1000 and waits (bounded) for the reader."""
        try:
            self._ws.close()
        except Exception:  # already broken: nothing left to do
            pass
        self._reader.join(timeout)
        if self._workers is not None:
            self._workers.shutdown(wait=False, cancel_futures=True)

    # ---- internals -------------------------------------------------------

    def _send(self, message) -> None:
        if self._closed is not None:
            raise self._closed
        limit = self.limits.max_message_size
        if limit and len(message) > limit:
            # The host would close the connection with 1009.
            raise SwitchboardError(
                f"message of {len(message)} bytes exceeds the host's limit of {limit} bytes"
            )
        try:
            self._ws.send(message)
        except _WsClosed as e:
            raise ConnectionClosed(*close_of(self._ws, e)) from None

    def _register(self, channel: int) -> PendingRequest:
        with self._lock:
            if self._closed is not None:
                raise self._closed
            pending = PendingRequest(self, next(self._ids), channel)
            self._pending[pending.request_id] = pending
            return pending

    def _forget(self, request_id: int) -> None:
        with self._lock:
            pending = self._pending.pop(request_id, None)
            if pending is not None and not pending.done():
                self._abandoned.add(request_id)

    def _was_abandoned(self, request_id: int) -> bool:
        with self._lock:
            if request_id in self._abandoned:
                self._abandoned.discard(request_id)
                return True
            return False

    def _resolve(self, request_id: int, outcome) -> bool:
        with self._lock:
            pending = self._pending.pop(request_id, None)
        if pending is None:
            return False
        pending._future.set_result(outcome)
        return True

    def _read_loop(self) -> None:
        try:
            while True:
                try:
                    message = self._ws.recv()
                except _WsClosed as e:
                    self._closed = ConnectionClosed(*close_of(self._ws, e))
                    return
                if isinstance(message, str):
                    self._events.put(ProtocolError("the host sent a text message"))
                    continue
                try:
                    frame = wire.decode_frame(message)
                except wire.FrameDecodeError as e:
                    self._events.put(ProtocolError(f"unreadable frame from the host: {e}"))
                    continue
                self._dispatch(frame)
        except Exception as e:  # a bug here must not leave callers hanging
            log.exception("switchboard reader failed")
            self._closed = ConnectionClosed(None, f"reader failed: {e!r}")
        finally:
            if self._closed is None:
                self._closed = ConnectionClosed(None, "reader ended")
            with self._lock:
                pending, self._pending = list(self._pending.values()), {}
            for p in pending:
                p._future.set_exception(self._closed)
            self._events.put(_Closed())

    def _dispatch(self, frame) -> None:
        if isinstance(frame, wire.DataFrame):
            with self._lock:
                info = self._channels.get(frame.channel)
                name = info.name if info else ""
                skipped = 0
                if frame.sequence:
                    last = self._last_sequence.get(frame.channel)
                    if last is not None and frame.sequence > last:
                        skipped = frame.sequence - last - 1
                    self._last_sequence[frame.channel] = frame.sequence
            if frame.request_id:
                request = Request(
                    frame.channel, name, frame.request_id, frame.timestamp_ns, frame.content
                )
                if self._workers is not None:
                    self._workers.submit(self._answer, request)
                else:
                    self._events.put(request)
            else:
                self._events.put(
                    Message(
                        frame.channel,
                        name,
                        frame.sequence,
                        frame.timestamp_ns,
                        frame.content,
                        skipped,
                    )
                )
        elif isinstance(frame, wire.ResponseFrame):
            if self._resolve(frame.request_id, frame):
                return
            if self._was_abandoned(frame.request_id):
                log.debug("dropping late answer to request %d", frame.request_id)
                return
            self._events.put(
                ProtocolError(f"Response to request {frame.request_id}, which was never sent")
            )
        elif isinstance(frame, wire.ErrorFrame):
            # UnknownRequest refuses a Response this client sent: its request
            # id is one of the host's ids, not ours, so it must not fail a
            # pending request of ours that happens to have the same number.
            if frame.request_id and frame.code != ErrorCode.UnknownRequest:
                if self._resolve(frame.request_id, frame):
                    return
                if self._was_abandoned(frame.request_id):
                    # e.g. the host's own Timeout after a shorter local one
                    log.debug("dropping late error for request %d: %s", frame.request_id, frame)
                    return
            self._events.put(RemoteError.from_frame(frame))
        elif isinstance(frame, wire.AdvertiseFrame):
            with self._lock:
                for info in frame.channels:
                    self._channels[info.id] = info
            self._events.put(ChannelsAdded(frame.channels))
        elif isinstance(frame, wire.UnadvertiseFrame):
            with self._lock:
                removed = tuple(
                    self._channels.pop(i) for i in frame.channel_ids if i in self._channels
                )
                for i in frame.channel_ids:
                    self._last_sequence.pop(i, None)
            self._events.put(ChannelsRemoved(frame.channel_ids, removed))
        elif isinstance(frame, wire.UnknownFrame):
            log.debug("ignoring frame with unknown body type %d", frame.body_type)
        else:  # Hello, Welcome, Subscribe... are never sent by a host
            self._events.put(ProtocolError(f"unexpected {type(frame).__name__} from the host"))

    def _answer(self, request: Request) -> None:
        try:
            content = self._on_request(request)
        except Exception as e:
            reason = str(e) or type(e).__name__
            try:
                self.respond_error(request, reason)
            except SwitchboardError:
                pass
            return
        try:
            self.respond(request, content)
        except SwitchboardError:
            pass


__all__ = [
    "ChannelInfo",
    "ChannelsAdded",
    "ChannelsRemoved",
    "Client",
    "ConnectionClosed",
    "ErrorCode",
    "HandshakeError",
    "Limits",
    "Message",
    "PendingRequest",
    "ProtocolError",
    "RemoteError",
    "Request",
    "RequestFailed",
    "SwitchboardError",
    "Timeout",
]
