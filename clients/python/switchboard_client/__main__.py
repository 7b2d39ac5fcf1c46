"""Command line: connect, optionally call/publish/subscribe, print what arrives.

    python -m switchboard_client ws://127.0.0.1:9001 --subscribe 'telemetry/*' --count 20
    python -m switchboard_client ws://127.0.0.1:9001 --list
    python -m switchboard_client ws://127.0.0.1:9001 --call scene/command '{"op":"list"}'

Runs until --count messages were printed or --seconds passed (or Ctrl-C, or
the host closes the connection); without either bound it runs until then.
"""

from __future__ import annotations

import argparse
import sys
import time

from .client import (
    ChannelsAdded,
    ChannelsRemoved,
    Client,
    ConnectionClosed,
    HandshakeError,
    Message,
    ProtocolError,
    RemoteError,
    Request,
    RequestFailed,
    SwitchboardError,
    Timeout,
)
from .wire import DeliveryPolicy, Publishers


def _channel_ref(text: str):
    return int(text) if text.isdigit() else text


def _show(content: bytes, encoding: str) -> str:
    if encoding in ("json", "text"):
        return content.decode("utf-8", errors="replace")
    preview = content[:32].hex()
    return f"<{len(content)} bytes {preview}{'...' if len(content) > 32 else ''}>"


def _describe(info) -> str:
    delivery = "latest" if info.delivery == DeliveryPolicy.Latest else "reliable"
    who = "clients+agents" if info.publishers == Publishers.ClientsAndAgents else "agents"
    text = f"{info.id:>4}  {info.name}  [{info.encoding}, {delivery}, {who}]"
    return text + (f"  {info.description}" if info.description else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m switchboard_client", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="e.g. ws://127.0.0.1:9001/")
    parser.add_argument("--name", default="switchboard_client-cli", help="client name sent in Hello")
    parser.add_argument("--token", help="token, if the host needs one")
    parser.add_argument("--subscribe", "-s", action="append", default=[], metavar="PATTERN",
                        help="subscribe to a pattern ('*' within a segment, '**' across); repeatable")
    parser.add_argument("--channel-id", action="append", type=int, default=[], metavar="ID",
                        help="subscribe to a channel id; repeatable")
    parser.add_argument("--publish", nargs=2, action="append", default=[],
                        metavar=("CHANNEL", "CONTENT"), help="send a one-way message; repeatable")
    parser.add_argument("--call", nargs=2, action="append", default=[],
                        metavar=("CHANNEL", "CONTENT"), help="send a request, print the answer; repeatable")
    parser.add_argument("--list", action="store_true", help="print the channel list and exit")
    parser.add_argument("--count", type=int, help="stop after this many messages")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds to wait for Welcome, confirmations and answers (default 5)")
    args = parser.parse_args(argv)

    try:
        client = Client.connect(args.url, name=args.name, token=args.token, timeout=args.timeout)
    except HandshakeError as e:
        print(f"refused: {e} (close {e.close_code}: {e.close_reason})", file=sys.stderr)
        return 1
    except (OSError, SwitchboardError, Exception) as e:  # websockets raises its own types
        print(f"cannot connect to {args.url}: {e}", file=sys.stderr)
        return 1

    with client:
        w = client.welcome
        print(f"# connected to {w.host_name!r} {w.host_version}: client {w.client_id}, "
              f"session {w.session_id}, protocol {w.protocol_version}, "
              f"{len(client.channels)} channels", file=sys.stderr)
        if args.list:
            for info in sorted(client.channels.values(), key=lambda c: c.id):
                print(_describe(info))
            return 0

        status = 0
        for channel, content in args.call:
            try:
                answer = client.call(_channel_ref(channel), content, timeout=args.timeout)
                print(_show(answer, client.channel(_channel_ref(channel)).encoding))
            except (RemoteError, RequestFailed, Timeout, KeyError) as e:
                print(f"call {channel}: {e}", file=sys.stderr)
                status = 1
        for channel, content in args.publish:
            try:
                client.publish(_channel_ref(channel), content)
            except KeyError as e:
                print(f"publish {channel}: {e}", file=sys.stderr)
                status = 1

        if args.subscribe or args.channel_id:
            try:
                client.subscribe(args.channel_id, args.subscribe, timeout=args.timeout)
            except RemoteError as e:
                print(f"subscribe: {e}", file=sys.stderr)
                status = 1
        elif (args.call or args.publish) and args.count is None and args.seconds is None:
            # Nothing subscribed and no bound given: show what the publishes
            # and calls caused for a moment, then stop.
            args.seconds = 0.5

        deadline = time.monotonic() + args.seconds if args.seconds is not None else None
        printed = 0
        try:
            while args.count is None or printed < args.count:
                wait = 1.0 if deadline is None else deadline - time.monotonic()
                if wait <= 0:
                    break
                try:
                    event = client.recv(timeout=min(wait, 1.0))
                except Timeout:
                    continue
                except RemoteError as e:
                    print(f"# error: {e} (request {e.request_id}, channel {e.channel})", file=sys.stderr)
                    continue
                except ProtocolError as e:
                    print(f"# protocol error: {e}", file=sys.stderr)
                    continue
                except ConnectionClosed as e:
                    print(f"# {e}", file=sys.stderr)
                    return 1 if e.code not in (1000, 1001) else status
                if isinstance(event, Message):
                    encoding = client.channels.get(event.channel)
                    encoding = encoding.encoding if encoding else "raw"
                    gap = f" (+{event.skipped} skipped)" if event.skipped else ""
                    name = event.channel_name or f"#{event.channel}"
                    print(f"{name} seq={event.sequence}{gap}: {_show(event.content, encoding)}",
                          flush=True)
                    printed += 1
                elif isinstance(event, Request):
                    client.respond_error(event, "this command-line client answers no requests")
                    print(f"# refused request {event.request_id} on {event.channel_name}",
                          file=sys.stderr)
                elif isinstance(event, ChannelsAdded):
                    for info in event.channels:
                        print(f"# advertised {_describe(info)}", file=sys.stderr)
                elif isinstance(event, ChannelsRemoved):
                    print(f"# unadvertised {list(event.channel_ids)}", file=sys.stderr)
        except KeyboardInterrupt:
            pass
        return status


if __name__ == "__main__":
    sys.exit(main())
