"""What Client.recv() returns, and the host's limits from Welcome: plain
values, so a caller can keep or pass them on after the connection is gone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Message:
    """A ``Data`` frame from the host: a publish (``sequence`` >= 1) or a
    message to this client only (``sequence`` 0).

    ``skipped`` is the number of publishes that did not reach this client
    between the previous one and this one (Latest channels conflate); 0 for
    the first message seen on a channel and for direct messages.
    """

    channel: int
    channel_name: str
    sequence: int
    timestamp_ns: int
    content: bytes
    skipped: int = 0

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        import json

        return json.loads(self.content)


@dataclass(frozen=True)
class Request:
    """A request from the game (``Data`` with a non-zero request id). Answer
    it with :meth:`Client.respond` or :meth:`Client.respond_error`."""

    channel: int
    channel_name: str
    request_id: int
    timestamp_ns: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        import json

        return json.loads(self.content)


@dataclass(frozen=True)
class ChannelsAdded:
    """An ``Advertise``; the client's channel list already includes them."""

    channels: tuple


@dataclass(frozen=True)
class ChannelsRemoved:
    """An ``Unadvertise``; ``channels`` are the removed ones this client knew."""

    channel_ids: tuple
    channels: tuple


Event = Union[Message, Request, ChannelsAdded, ChannelsRemoved]


@dataclass(frozen=True)
class Limits:
    max_message_size: int
    max_pending_requests: int
    request_timeout_ms: int


__all__ = [
    "ChannelsAdded",
    "ChannelsRemoved",
    "Event",
    "Limits",
    "Message",
    "Request",
]
