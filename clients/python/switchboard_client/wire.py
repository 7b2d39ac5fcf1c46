"""Encoding and decoding of Switchboard frames (docs/protocol/transport-and-lifecycle.md, section 1.1).

Every WebSocket binary message is one FlatBuffers ``Frame`` (root table of
``schema/ipc.fbs``), finished with the file identifier ``SWBD`` and not size
prefixed. The table classes come from ``flatc --python --gen-onefile``
(``generated/ipc_generated.py``, regenerated from the schema, never edited); this module wraps them in plain dataclasses so the rest of
the client never touches FlatBuffers offsets.

Python has no FlatBuffers verifier, so a malformed frame from the host can
make the generated accessors raise (or read garbage); :func:`decode_frame`
turns any such failure into :class:`FrameDecodeError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

import flatbuffers

from .generated import ipc_generated as ipc

FILE_IDENTIFIER = b"SWBD"
PROTOCOL_VERSION = 1

Body = ipc.Body
DeliveryPolicy = ipc.DeliveryPolicy
Publishers = ipc.Publishers
ResponseStatus = ipc.ResponseStatus

# ErrorCode names by number (the generated class spells code 0 `None_`).
ERROR_CODE_NAMES = {
    value: name.rstrip("_")
    for name, value in vars(ipc.ErrorCode).items()
    if not name.startswith("__") and isinstance(value, int)
}


class ErrorCode:
    """The numbers of ``ErrorCode`` (fixed by the schema)."""

    NONE = 0
    BadFrame = 1
    HandshakeRequired = 2
    UnsupportedVersion = 3
    Unauthorized = 4
    NotAllowed = 5
    UnknownChannel = 6
    UnknownRequest = 7
    DuplicateRequest = 8
    Timeout = 9
    TooLarge = 10
    Overloaded = 11
    Internal = 12

    @staticmethod
    def name(code: int) -> str:
        return ERROR_CODE_NAMES.get(code, f"ErrorCode({code})")


class FrameDecodeError(ValueError):
    """A message from the host is not a readable ``Frame``."""


# --------------------------------------------------------------------------
# Decoded frames
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelInfo:
    id: int
    name: str
    encoding: str = "raw"
    schema_name: str = ""
    delivery: int = DeliveryPolicy.Reliable
    publishers: int = Publishers.AgentsOnly
    description: str = ""

    @property
    def latest(self) -> bool:
        return self.delivery == DeliveryPolicy.Latest

    @property
    def clients_may_publish(self) -> bool:
        return self.publishers == Publishers.ClientsAndAgents


@dataclass(frozen=True)
class HelloFrame:
    client_name: str
    protocol_versions: tuple
    token: str


@dataclass(frozen=True)
class WelcomeFrame:
    client_id: int
    host_name: str
    host_version: str
    protocol_version: int
    min_protocol_version: int
    max_protocol_version: int
    capabilities: tuple
    session_id: str
    channels: tuple
    directories: dict
    preferences: dict
    max_message_size: int
    max_pending_requests: int
    request_timeout_ms: int


@dataclass(frozen=True)
class AdvertiseFrame:
    channels: tuple


@dataclass(frozen=True)
class UnadvertiseFrame:
    channel_ids: tuple


@dataclass(frozen=True)
class SubscribeFrame:
    request_id: int
    channel_ids: tuple
    patterns: tuple
    unsubscribe: bool = False


@dataclass(frozen=True)
class DataFrame:
    channel: int
    request_id: int
    sequence: int
    timestamp_ns: int
    content: bytes


@dataclass(frozen=True)
class ResponseFrame:
    request_id: int
    channel: int
    status: int
    content: bytes
    error: str

    @property
    def ok(self) -> bool:
        return self.status == ResponseStatus.Ok


@dataclass(frozen=True)
class ErrorFrame:
    code: int
    message: str
    request_id: int
    channel: int

    @property
    def code_name(self) -> str:
        return ErrorCode.name(self.code)


@dataclass(frozen=True)
class UnknownFrame:
    """A body type this client does not know (a newer host); ignore it."""

    body_type: int


Frame = Union[
    HelloFrame,
    WelcomeFrame,
    AdvertiseFrame,
    UnadvertiseFrame,
    SubscribeFrame,
    DataFrame,
    ResponseFrame,
    ErrorFrame,
    UnknownFrame,
]


# --------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------


def _finish(builder: flatbuffers.Builder, body_type: int, body: int) -> bytes:
    ipc.FrameStart(builder)
    ipc.FrameAddBodyType(builder, body_type)
    ipc.FrameAddBody(builder, body)
    frame = ipc.FrameEnd(builder)
    builder.Finish(frame, file_identifier=FILE_IDENTIFIER)
    return bytes(builder.Output())


def _uint_vector(builder, values: Sequence[int], prepend, size: int) -> int:
    builder.StartVector(size, len(values), size)
    for value in reversed(values):
        prepend(value)
    return builder.EndVector()


def _string_vector(builder, values: Sequence[str]) -> int:
    offsets = [builder.CreateString(v) for v in values]
    builder.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        builder.PrependUOffsetTRelative(offset)
    return builder.EndVector()


def _as_bytes(content: Union[bytes, bytearray, memoryview, str, None]) -> bytes:
    if content is None:
        return b""
    if isinstance(content, str):
        return content.encode("utf-8")
    return bytes(content)


def encode_hello(
    client_name: str,
    protocol_versions: Sequence[int] = (PROTOCOL_VERSION,),
    token: Optional[str] = None,
) -> bytes:
    builder = flatbuffers.Builder(128)
    name = builder.CreateString(client_name)
    token_offset = builder.CreateString(token) if token is not None else None
    versions = _uint_vector(builder, list(protocol_versions), builder.PrependUint16, 2)
    ipc.HelloStart(builder)
    ipc.HelloAddClientName(builder, name)
    ipc.HelloAddProtocolVersions(builder, versions)
    if token_offset is not None:
        ipc.HelloAddToken(builder, token_offset)
    return _finish(builder, Body.Hello, ipc.HelloEnd(builder))


def encode_subscribe(
    request_id: int,
    channel_ids: Sequence[int] = (),
    patterns: Sequence[str] = (),
    unsubscribe: bool = False,
) -> bytes:
    prefix = "Unsubscribe" if unsubscribe else "Subscribe"
    builder = flatbuffers.Builder(128)
    pattern_vec = _string_vector(builder, list(patterns)) if patterns else None
    id_vec = (
        _uint_vector(builder, list(channel_ids), builder.PrependUint32, 4)
        if channel_ids
        else None
    )
    getattr(ipc, prefix + "Start")(builder)
    getattr(ipc, prefix + "AddRequestId")(builder, request_id)
    if id_vec is not None:
        getattr(ipc, prefix + "AddChannelIds")(builder, id_vec)
    if pattern_vec is not None:
        getattr(ipc, prefix + "AddPatterns")(builder, pattern_vec)
    body = getattr(ipc, prefix + "End")(builder)
    return _finish(builder, Body.Unsubscribe if unsubscribe else Body.Subscribe, body)


def encode_data(
    channel: int,
    content: Union[bytes, str, None] = b"",
    request_id: int = 0,
    sequence: int = 0,
    timestamp_ns: int = 0,
) -> bytes:
    payload = _as_bytes(content)
    builder = flatbuffers.Builder(len(payload) + 64)
    content_vec = builder.CreateByteVector(payload)
    ipc.DataStart(builder)
    ipc.DataAddChannel(builder, channel)
    ipc.DataAddRequestId(builder, request_id)
    ipc.DataAddSequence(builder, sequence)
    ipc.DataAddTimestampNs(builder, timestamp_ns)
    ipc.DataAddContent(builder, content_vec)
    return _finish(builder, Body.Data, ipc.DataEnd(builder))


def encode_response(
    request_id: int,
    channel: int,
    content: Union[bytes, str, None] = b"",
    error: Optional[str] = None,
) -> bytes:
    """An answer to a request; ``error`` set means status ``Failed``."""
    payload = _as_bytes(content)
    builder = flatbuffers.Builder(len(payload) + 64)
    error_offset = builder.CreateString(error) if error is not None else None
    content_vec = builder.CreateByteVector(payload)
    ipc.ResponseStart(builder)
    ipc.ResponseAddRequestId(builder, request_id)
    ipc.ResponseAddChannel(builder, channel)
    ipc.ResponseAddStatus(
        builder, ResponseStatus.Failed if error is not None else ResponseStatus.Ok
    )
    ipc.ResponseAddContent(builder, content_vec)
    if error_offset is not None:
        ipc.ResponseAddError(builder, error_offset)
    return _finish(builder, Body.Response, ipc.ResponseEnd(builder))


def encode_error(code: int, message: str, request_id: int = 0, channel: int = 0) -> bytes:
    builder = flatbuffers.Builder(64 + len(message))
    text = builder.CreateString(message)
    ipc.ErrorStart(builder)
    ipc.ErrorAddCode(builder, code)
    ipc.ErrorAddMessage(builder, text)
    ipc.ErrorAddRequestId(builder, request_id)
    ipc.ErrorAddChannel(builder, channel)
    return _finish(builder, Body.Error, ipc.ErrorEnd(builder))


# The following encoders are for host-side frames; the client never sends
# them, but tests (a fake host) and tools do.


def _channel_info(builder, info: ChannelInfo) -> int:
    name = builder.CreateString(info.name)
    encoding = builder.CreateString(info.encoding)
    schema_name = builder.CreateString(info.schema_name)
    description = builder.CreateString(info.description)
    ipc.ChannelInfoStart(builder)
    ipc.ChannelInfoAddId(builder, info.id)
    ipc.ChannelInfoAddName(builder, name)
    ipc.ChannelInfoAddEncoding(builder, encoding)
    ipc.ChannelInfoAddSchemaName(builder, schema_name)
    ipc.ChannelInfoAddDelivery(builder, info.delivery)
    ipc.ChannelInfoAddPublishers(builder, info.publishers)
    ipc.ChannelInfoAddDescription(builder, description)
    return ipc.ChannelInfoEnd(builder)


def _offset_vector(builder, offsets: Sequence[int]) -> int:
    builder.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        builder.PrependUOffsetTRelative(offset)
    return builder.EndVector()


def encode_welcome(
    client_id: int,
    session_id: str,
    channels: Sequence[ChannelInfo] = (),
    host_name: str = "fake host",
    host_version: str = "0.0.0",
    protocol_version: int = PROTOCOL_VERSION,
    capabilities: Sequence[str] = (),
) -> bytes:
    builder = flatbuffers.Builder(256)
    host_name_o = builder.CreateString(host_name)
    host_version_o = builder.CreateString(host_version)
    session_o = builder.CreateString(session_id)
    caps = _string_vector(builder, list(capabilities))
    chans = _offset_vector(builder, [_channel_info(builder, c) for c in channels])
    ipc.WelcomeStart(builder)
    ipc.WelcomeAddClientId(builder, client_id)
    ipc.WelcomeAddHostName(builder, host_name_o)
    ipc.WelcomeAddHostVersion(builder, host_version_o)
    ipc.WelcomeAddProtocolVersion(builder, protocol_version)
    ipc.WelcomeAddMinProtocolVersion(builder, PROTOCOL_VERSION)
    ipc.WelcomeAddMaxProtocolVersion(builder, PROTOCOL_VERSION)
    ipc.WelcomeAddCapabilities(builder, caps)
    ipc.WelcomeAddSessionId(builder, session_o)
    ipc.WelcomeAddChannels(builder, chans)
    return _finish(builder, Body.Welcome, ipc.WelcomeEnd(builder))


def encode_advertise(channels: Sequence[ChannelInfo]) -> bytes:
    builder = flatbuffers.Builder(256)
    chans = _offset_vector(builder, [_channel_info(builder, c) for c in channels])
    ipc.AdvertiseStart(builder)
    ipc.AdvertiseAddChannels(builder, chans)
    return _finish(builder, Body.Advertise, ipc.AdvertiseEnd(builder))


def encode_unadvertise(channel_ids: Sequence[int]) -> bytes:
    builder = flatbuffers.Builder(64)
    ids = _uint_vector(builder, list(channel_ids), builder.PrependUint32, 4)
    ipc.UnadvertiseStart(builder)
    ipc.UnadvertiseAddChannelIds(builder, ids)
    return _finish(builder, Body.Unadvertise, ipc.UnadvertiseEnd(builder))


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------


def _str(value: Optional[bytes]) -> str:
    return value.decode("utf-8", errors="replace") if value is not None else ""


# vtable offsets of the `content` fields (4 + 2 * field index in the schema).
DATA_CONTENT = 12  # Data: channel, request_id, sequence, timestamp_ns, content
RESPONSE_CONTENT = 10  # Response: request_id, channel, status, content, error


# body_as and byte_vector are quoted in docs/protocol/writing-a-client.md, section 12;
# tests/test_protocol_doc.py keeps the two copies equal.
def body_as(cls, table):
    """The union body `table` (what ``Frame.Body()`` returns) read as the
    generated class `cls`, on the same bytes."""
    body = cls()
    body.Init(table.Bytes, table.Pos)
    return body


def byte_vector(table, voffset):
    """A ``[ubyte]`` field as bytes, sliced in one go (no numpy needed)."""
    o = table.Offset(voffset)
    if o == 0:
        return b""
    start = table.Vector(o)
    length = table.VectorLen(o)
    # No verifier: a bad length must not silently cut the content short.
    if start + length > len(table.Bytes):
        raise ValueError("byte vector runs past the end of the message")
    return bytes(table.Bytes[start : start + length])


def _decode_channel(info) -> ChannelInfo:
    return ChannelInfo(
        id=info.Id(),
        name=_str(info.Name()),
        encoding=_str(info.Encoding()) or "raw",
        schema_name=_str(info.SchemaName()),
        delivery=info.Delivery(),
        publishers=info.Publishers(),
        description=_str(info.Description()),
    )


def _key_values(length: int, get) -> dict:
    out = {}
    for i in range(length):
        kv = get(i)
        out[_str(kv.Key())] = _str(kv.Value())
    return out


def _decode_body(body_type: int, tab) -> Frame:
    if body_type == Body.Welcome:
        w = body_as(ipc.Welcome, tab)
        info = w.Info()
        limits = w.Limits()
        return WelcomeFrame(
            client_id=w.ClientId(),
            host_name=_str(w.HostName()),
            host_version=_str(w.HostVersion()),
            protocol_version=w.ProtocolVersion(),
            min_protocol_version=w.MinProtocolVersion(),
            max_protocol_version=w.MaxProtocolVersion(),
            capabilities=tuple(_str(w.Capabilities(i)) for i in range(w.CapabilitiesLength())),
            session_id=_str(w.SessionId()),
            channels=tuple(_decode_channel(w.Channels(i)) for i in range(w.ChannelsLength())),
            directories=(
                _key_values(info.DirectoriesLength(), info.Directories) if info else {}
            ),
            preferences=(
                _key_values(info.PreferencesLength(), info.Preferences) if info else {}
            ),
            max_message_size=limits.MaxMessageSize() if limits else 0,
            max_pending_requests=limits.MaxPendingRequests() if limits else 0,
            request_timeout_ms=limits.RequestTimeoutMs() if limits else 0,
        )
    if body_type == Body.Advertise:
        a = body_as(ipc.Advertise, tab)
        return AdvertiseFrame(
            channels=tuple(_decode_channel(a.Channels(i)) for i in range(a.ChannelsLength()))
        )
    if body_type == Body.Unadvertise:
        u = body_as(ipc.Unadvertise, tab)
        return UnadvertiseFrame(
            channel_ids=tuple(u.ChannelIds(i) for i in range(u.ChannelIdsLength()))
        )
    if body_type == Body.Data:
        d = body_as(ipc.Data, tab)
        return DataFrame(
            channel=d.Channel(),
            request_id=d.RequestId(),
            sequence=d.Sequence(),
            timestamp_ns=d.TimestampNs(),
            content=byte_vector(d._tab, DATA_CONTENT),
        )
    if body_type == Body.Response:
        r = body_as(ipc.Response, tab)
        return ResponseFrame(
            request_id=r.RequestId(),
            channel=r.Channel(),
            status=r.Status(),
            content=byte_vector(r._tab, RESPONSE_CONTENT),
            error=_str(r.Error()),
        )
    if body_type == Body.Error:
        e = body_as(ipc.Error, tab)
        return ErrorFrame(
            code=e.Code(),
            message=_str(e.Message()),
            request_id=e.RequestId(),
            channel=e.Channel(),
        )
    if body_type == Body.Hello:
        h = body_as(ipc.Hello, tab)
        return HelloFrame(
            client_name=_str(h.ClientName()),
            protocol_versions=tuple(
                h.ProtocolVersions(i) for i in range(h.ProtocolVersionsLength())
            ),
            token=_str(h.Token()),
        )
    if body_type in (Body.Subscribe, Body.Unsubscribe):
        cls = ipc.Subscribe if body_type == Body.Subscribe else ipc.Unsubscribe
        s = body_as(cls, tab)
        return SubscribeFrame(
            request_id=s.RequestId(),
            channel_ids=tuple(s.ChannelIds(i) for i in range(s.ChannelIdsLength())),
            patterns=tuple(_str(s.Patterns(i)) for i in range(s.PatternsLength())),
            unsubscribe=body_type == Body.Unsubscribe,
        )
    return UnknownFrame(body_type)


def decode_frame(message: Union[bytes, bytearray, memoryview]) -> Frame:
    """Reads one binary WebSocket message as a ``Frame``.

    Raises :class:`FrameDecodeError` when it is too short, lacks the ``SWBD``
    identifier, has no body, or cannot be read. An unknown body type is
    returned as :class:`UnknownFrame` so the caller can ignore it.
    """
    buf = bytes(message)
    if len(buf) < 8:
        raise FrameDecodeError(f"message of {len(buf)} bytes is shorter than 8")
    if not ipc.Frame.FrameBufferHasIdentifier(buf, 0):
        raise FrameDecodeError(f"file identifier is {buf[4:8]!r}, not {FILE_IDENTIFIER!r}")
    try:
        frame = ipc.Frame.GetRootAs(buf, 0)
        body_type = frame.BodyType()
        if body_type == Body.NONE:
            raise FrameDecodeError("frame has no body")
        tab = frame.Body()
        if tab is None:
            raise FrameDecodeError(f"frame of type {body_type} has no body table")
        return _decode_body(body_type, tab)
    except FrameDecodeError:
        raise
    except Exception as e:  # malformed offsets: struct.error, IndexError, ...
        raise FrameDecodeError(f"unreadable frame: {e!r}") from e
