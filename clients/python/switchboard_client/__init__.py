"""A Python client for the Switchboard IPC protocol (see docs/protocol/README.md).

``client`` holds :class:`Client`; ``connection`` opens the socket and does the
handshake, ``errors`` and ``events`` hold what the client raises and returns,
and ``wire`` encodes and decodes frames. Everything public is importable from
the package, and from ``switchboard_client.client``, which re-exports it.

``generated/ipc_generated.py`` is generated from ``schema/ipc.fbs`` by
``flatc --python --gen-onefile -o clients/python/switchboard_client/generated schema/ipc.fbs``;
do not edit it.
"""

from .client import (
    ChannelInfo,
    ChannelsAdded,
    ChannelsRemoved,
    Client,
    ConnectionClosed,
    ErrorCode,
    HandshakeError,
    Limits,
    Message,
    PendingRequest,
    ProtocolError,
    RemoteError,
    Request,
    RequestFailed,
    SwitchboardError,
    Timeout,
)
from .wire import PROTOCOL_VERSION, DeliveryPolicy, Publishers

__all__ = [
    "PROTOCOL_VERSION",
    "ChannelInfo",
    "ChannelsAdded",
    "ChannelsRemoved",
    "Client",
    "ConnectionClosed",
    "DeliveryPolicy",
    "ErrorCode",
    "HandshakeError",
    "Limits",
    "Message",
    "PendingRequest",
    "ProtocolError",
    "Publishers",
    "RemoteError",
    "Request",
    "RequestFailed",
    "SwitchboardError",
    "Timeout",
]
