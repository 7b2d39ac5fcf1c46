"""The plugin side of the pipes: registration, channels, the dispatch loop."""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
from typing import Callable, Dict, List, Optional

from switchboard_client import wire

from . import framing

# Messages read from the host but not handled yet; past this the reading
# thread waits, and the host's pipe fills (its own limits apply).
INBOX = 1024

FDS_ENV = "SWITCHBOARD_PLUGIN_FDS"
ID_ENV = "SWITCHBOARD_PLUGIN_ID"
CONTROL_CHANNEL = "plugins/control"
HOOK_ENV = "SWITCHBOARD_PLUGIN_HOOK"
# The hooks the host starts the plugin for, one at a time, in the package's
# temporary folder while installing it (docs/plugins.md, 5.6).
INSTALL_HOOKS = ("before_install", "install", "after_install")


class PluginError(RuntimeError):
    """Registration was refused, or the host broke off."""


class RemoteFailure(RuntimeError):
    """A request this plugin made was answered with a failure."""


def _open_pipes():
    spec = os.environ.get(FDS_ENV, "")
    if spec == "stdio":
        reader, writer = os.dup(0), os.dup(1)
        # Nothing else may write to the stream: print() goes to stderr.
        sys.stdout = sys.stderr
    else:
        try:
            r, w = (int(x) for x in spec.split(","))
        except ValueError:
            raise PluginError(f'{FDS_ENV} is {spec!r}; expected "R,W" or "stdio"') from None
        reader, writer = r, w
    return os.fdopen(reader, "rb", buffering=65536), os.fdopen(writer, "wb", buffering=0)


def _as_bytes(value) -> bytes:
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")


class Periodic:
    """A function the plugin's loop calls every ``interval`` seconds (set
    ``interval`` to change it; the next call moves accordingly)."""

    def __init__(self, interval: float, function: Callable[[], None]):
        if interval <= 0:
            raise ValueError("the interval must be above 0 seconds")
        self.interval = float(interval)
        self.function = function
        self.last = time.monotonic()
        self.stopped = False

    def due(self) -> float:
        return self.last + self.interval

    def stop(self) -> None:
        self.stopped = True


def _read_into(reader, inbox: "queue.Queue") -> None:
    """The reading thread: messages from the host, then how it ended."""
    try:
        while True:
            message = framing.read_message(reader)
            if message is None:
                inbox.put(("end", None))
                return
            inbox.put(message)
    except (framing.FramingError, OSError, ValueError) as error:
        inbox.put(("broken", error))


class Plugin:
    """One plugin's connection to the host that started it."""

    def __init__(self, plugin_id: Optional[str] = None):
        self.id = plugin_id or os.environ.get(ID_ENV, "")
        self._reader, self._writer = _open_pipes()
        # A thread reads, so the loop can wait for the host and for the
        # next periodic call at once.
        self._inbox: "queue.Queue" = queue.Queue(maxsize=INBOX)
        self._periodic: List[Periodic] = []
        threading.Thread(target=_read_into, args=(self._reader, self._inbox),
                         name="switchboard-plugin-reader", daemon=True).start()
        self._next_request = 1
        self._responses: Dict[int, wire.ResponseFrame] = {}
        self._backlog = []
        self._handlers: Dict[int, tuple] = {}
        self._names: Dict[str, int] = {}
        self.channels: Dict[str, int] = {}
        self.closed: Optional[tuple] = None
        # Lifecycle (docs/plugins.md, 6a): handlers by event name; events
        # that arrive before run() wait for it, so handlers registered
        # after the constructor still see before_run and run.
        self._lifecycle: Dict[str, Callable] = {}
        self._early_events = []
        self._running = False
        self.configuration: dict = {}
        # Set when the host started this process for an install hook only:
        # a plugin may skip its usual start-up then.
        self.hook: Optional[str] = os.environ.get(HOOK_ENV) or None
        self._send(wire.encode_hello(self.id))
        while True:
            kind, value = self._read()
            if kind != "frame":
                raise PluginError(f"the host closed before Welcome: {value}")
            decoded = wire.decode_frame(value)
            if isinstance(decoded, wire.WelcomeFrame):
                self.welcome = decoded
                break
            if isinstance(decoded, wire.ErrorFrame):
                raise PluginError(f"registration refused ({decoded.code_name}): {decoded.message}")
        for channel in self.welcome.channels:
            self.channels[channel.name] = channel.id
        self.host_version = self.welcome.host_version
        self.directories = dict(self.welcome.directories)
        self.preferences = dict(self.welcome.preferences)

    # -- wire -------------------------------------------------------------

    def _send(self, body: bytes) -> None:
        self._writer.write(framing.frame(body))

    def _read(self, timeout: Optional[float] = None):
        """The next frame or close (``None`` after ``timeout`` seconds);
        answers pings on the way."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                message = self._inbox.get(timeout=left)
            except queue.Empty:
                return None
            kind, value = message
            if kind == "end":
                self._inbox.put(message)  # every later read sees the end too
                return message
            if kind == "broken":
                self._inbox.put(message)
                raise PluginError(f"the host's bytes broke the framing: {value}")
            if kind == "ping":
                self._writer.write(framing.pong(value))
                continue
            if kind == "pong":
                continue
            return message

    # -- what a plugin does -------------------------------------------------

    def log(self, *parts) -> None:
        """One line to stderr: the host's log and ``plugins/logs``."""
        print(*parts, file=sys.stderr, flush=True)

    def advertise(self, name: str, *, encoding: str = "json", latest: bool = False,
                  clients_may_publish: bool = False, description: str = "") -> int:
        """Advertises ``plugins/<id>/<name>``; returns its channel id."""
        answer = self.call(CONTROL_CHANNEL, {
            "op": "advertise", "name": name, "encoding": encoding, "latest": latest,
            "clients_may_publish": clients_may_publish, "description": description,
        })
        channel = json.loads(answer)["id"]
        self._names[name] = channel
        return channel

    def request(self, name: str, **options) -> Callable:
        """Decorator: advertise ``name`` and answer requests on it with the
        handler's return value (bytes, str, or anything JSON-serializable;
        JSON content is decoded for the handler when the encoding is json)."""
        def register(handler):
            channel = self.advertise(name, **options)
            self._handlers[channel] = ("request", handler, options.get("encoding", "json"))
            return handler
        return register

    def message(self, name: str, **options) -> Callable:
        """Decorator: advertise ``name`` (clients may publish on it) and call
        the handler with each message."""
        def register(handler):
            options.setdefault("clients_may_publish", True)
            channel = self.advertise(name, **options)
            self._handlers[channel] = ("message", handler, options.get("encoding", "json"))
            return handler
        return register

    def every(self, seconds: float, function: Callable[[], None]) -> Periodic:
        """Calls ``function`` every ``seconds`` from the plugin's loop (in
        ``run``, between requests, never at the same time as a handler)."""
        periodic = Periodic(seconds, function)
        self._periodic.append(periodic)
        return periodic

    def adapter(self, types=()):
        """Makes this plugin a hardware adapter (docs/plugins.md, "Plugins as
        hardware adapters"): ``types`` are device types as YAML text."""
        from .adapter import Adapter
        return Adapter(self, types)

    def publish(self, name: str, content) -> None:
        """Publishes on one of this plugin's channels."""
        self._send(wire.encode_data(self._names[name], _as_bytes(content)))

    def send_request(self, channel, content) -> int:
        """Sends a request (to a channel name or id) without waiting; returns its id."""
        channel_id = channel if isinstance(channel, int) else self._channel_id(channel)
        request_id = self._next_request
        self._next_request += 1
        self._send(wire.encode_data(channel_id, _as_bytes(content), request_id=request_id))
        return request_id

    def wait_response(self, request_id: int, timeout: float = 10.0) -> bytes:
        """Waits for the answer to ``request_id``, handling other traffic meanwhile."""
        deadline = time.monotonic() + timeout
        while request_id not in self._responses:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer to request {request_id}")
            if not self._step():
                raise PluginError(f"the host went away: {self.closed}")
        response = self._responses.pop(request_id)
        if not response.ok:
            raise RemoteFailure(response.error)
        return response.content

    def call(self, channel, content, timeout: float = 10.0) -> bytes:
        """A request and its answer."""
        return self.wait_response(self.send_request(channel, content), timeout)

    def _channel_id(self, name: str) -> int:
        if name not in self.channels:
            raise PluginError(f"no channel {name!r} is advertised")
        return self.channels[name]

    # -- the lifecycle ----------------------------------------------------------

    def on(self, event: str) -> Callable:
        """Decorator: call the handler with each lifecycle event ``event``
        (``before_run``, ``run``, ``after_run``, ``configuration``, the
        install hooks ``before_install``, ``install``, ``after_install``, or
        one the host adds later) and its JSON object. An exception in a
        ``before_run`` or ``run`` handler is reported to the host, which
        ends this run (and restarts the plugin after its backoff); in an
        install hook's handler it fails the install."""
        def register(handler):
            self._lifecycle[event] = handler
            return handler
        return register

    def fetch_configuration(self) -> dict:
        """Asks the host for this plugin's configuration (secrets included)."""
        answer = json.loads(self.call(CONTROL_CHANNEL, {"op": "configuration"}))
        self.configuration = answer.get("configuration", {})
        return self.configuration

    def restart(self) -> None:
        """Asks the host to stop this plugin and start it again."""
        self.call(CONTROL_CHANNEL, {"op": "restart"})

    def report_error(self, message: str, hook: Optional[str] = None) -> None:
        """Reports an error to the host's log; with ``hook`` ``before_run``
        or ``run`` it ends this run."""
        request = {"op": "error", "message": str(message)}
        if hook:
            request["hook"] = hook
        self.call(CONTROL_CHANNEL, request)

    # -- devices of the game's hardware bridge (docs/plugins.md 5.6) ---------
    # Each needs a pattern in the manifest's permissions.call matching
    # hardware/<op> ("hardware/*" grants all); the answers are those of the
    # bridge's channel of the same name, as JSON.

    def _device(self, op: str, request: dict, timeout: float) -> dict:
        return json.loads(self.call(CONTROL_CHANNEL, {"op": op, **request}, timeout))

    def discover(self, timeout: float = 10.0, **request) -> dict:
        """Starts a discovery (``radio=...`` for one radio); returns what was found."""
        return self._device("discover", request, timeout)

    def register_device(self, device: str, timeout: float = 10.0, **request) -> dict:
        """Registers (pairs) a discovered device (``name=``, ``config=`` optional)."""
        return self._device("register", {"device": device, **request}, timeout)

    def command(self, device: str, command: str, payload=None, timeout: float = 10.0) -> dict:
        """Sends a command to a registered device; the bridge validates the
        payload against the device type (a bad one raises RemoteFailure)."""
        request = {"device": device, "command": command}
        if payload is not None:
            request["payload"] = payload
        return self._device("command", request, timeout)

    def device_state(self, device: str, cached: bool = False, timeout: float = 10.0) -> dict:
        """A registered device's state (read from the device unless ``cached``)."""
        return self._device("state", {"device": device, "cached": cached}, timeout)

    def subscribe_devices(self) -> None:
        """From now on the bridge's device events arrive as lifecycle events
        ``discover``, ``change`` and ``error`` (see :meth:`on`)."""
        self.call(CONTROL_CHANNEL, {"op": "subscribe"})

    def _lifecycle_event(self, content: bytes) -> None:
        if not self._running:
            # The host sends a few at registration; a flood is cut, not kept.
            if len(self._early_events) < 64:
                self._early_events.append(content)
            else:
                self.log("dropped a lifecycle event that came before run()")
            return
        try:
            event = json.loads(content)
            name = event["event"]
        except (ValueError, KeyError, TypeError):
            self.log(f"ignoring a lifecycle message that is not an event: {content[:100]!r}")
            return
        if name in ("before_run", "configuration") + INSTALL_HOOKS and isinstance(
                event.get("configuration"), dict):
            self.configuration = event["configuration"]
        handler = self._lifecycle.get(name)
        if name in INSTALL_HOOKS:
            self._install_hook(name, handler, event)
            return
        if handler is None:
            return
        try:
            handler(event)
        except Exception as error:  # reported, never swallowed
            hook = name if name in ("before_run", "run") else None
            try:
                self.report_error(f"{type(error).__name__}: {error}", hook=hook)
            except (PluginError, RemoteFailure, TimeoutError, OSError) as failed:
                self.log(f"{name} handler failed ({error!r}) and could not be reported: {failed}")

    def _install_hook(self, name: str, handler: Optional[Callable], event: dict) -> None:
        """Runs an install hook's handler and answers the host, which waits
        for it: ``hook_done`` (also without a handler: nothing to do), or
        the exception as the hook's error."""
        try:
            if handler is not None:
                handler(event)
        except Exception as error:  # the host fails the install with it
            self.report_error(f"{type(error).__name__}: {error}", hook=name)
            return
        self.call(CONTROL_CHANNEL, {"op": "hook_done", "hook": name,
                                    "handled": handler is not None})

    # -- the loop -------------------------------------------------------------

    def run(self) -> None:
        """Handles requests, messages and lifecycle events, and makes the
        periodic calls, until the host closes."""
        self._running = True
        early, self._early_events = self._early_events, []
        for content in early:
            self._lifecycle_event(content)
        while True:
            self._periodic = [p for p in self._periodic if not p.stopped]
            now = time.monotonic()
            for periodic in list(self._periodic):
                if periodic.due() <= now:
                    periodic.last = now
                    try:
                        periodic.function()
                    except Exception as error:  # one bad tick does not end the plugin
                        self.log(f"periodic call {periodic.function!r} failed: {error!r}")
            wait = None
            if self._periodic:
                wait = max(0.0, min(p.due() for p in self._periodic) - time.monotonic())
            if not self._step(wait):
                return

    def _step(self, timeout: Optional[float] = None) -> bool:
        """Handles one message; false once the host has gone."""
        message = self._read(timeout)
        if message is None:
            return True
        kind, value = message
        if kind == "end":
            self.closed = self.closed or (1006, "the host closed the pipe")
            return False
        if kind == "close":
            self.closed = value
            try:
                self._writer.write(framing.close(value[0]))
            except OSError:
                pass
            return False
        decoded = wire.decode_frame(value)
        if isinstance(decoded, wire.ResponseFrame):
            self._responses[decoded.request_id] = decoded
        elif isinstance(decoded, wire.DataFrame):
            self._dispatch(decoded)
        elif isinstance(decoded, wire.AdvertiseFrame):
            for channel in decoded.channels:
                self.channels[channel.name] = channel.id
        elif isinstance(decoded, wire.UnadvertiseFrame):
            gone = set(decoded.channel_ids)
            self.channels = {n: i for n, i in self.channels.items() if i not in gone}
        elif isinstance(decoded, wire.ErrorFrame):
            self.log(f"host refused something: {decoded.code_name}: {decoded.message}")
        return True

    def _dispatch(self, data: wire.DataFrame) -> None:
        if not data.request_id and data.channel == self.channels.get(CONTROL_CHANNEL):
            self._lifecycle_event(data.content)
            return
        entry = self._handlers.get(data.channel)
        if entry is None:
            if data.request_id:
                self._send(wire.encode_response(data.request_id, data.channel,
                                                error="no handler for this channel"))
            return
        kind, handler, encoding = entry
        payload = data.content
        try:
            if encoding == "json":
                payload = json.loads(payload) if payload else None
            result = handler(payload)
        except Exception as error:  # the caller gets the failure, not a hang
            if data.request_id:
                self._send(wire.encode_response(data.request_id, data.channel,
                                                error=f"{type(error).__name__}: {error}"))
            else:
                self.log(f"handler for channel {data.channel} failed: {error!r}")
            return
        if data.request_id:
            if encoding == "json" and not isinstance(result, (bytes, bytearray, memoryview)):
                result = json.dumps(result)
            self._send(wire.encode_response(data.request_id, data.channel, _as_bytes(result)))
