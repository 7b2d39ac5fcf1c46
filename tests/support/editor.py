"""An editor that waits for the game to dial it: a `websockets` server that,
on each connection, speaks as the Switchboard client (sends Hello, reads the
Welcome) and reports on stdout, one JSON object per line:

  {"event": "listening", "port": N}
  {"event": "welcome", "session_id": ..., "client_id": ..., "host_name": ...}
  {"event": "closed", "code": ..., "reason": ..., "errors": [...]}

With --silent it never says Hello, so the game's handshake timeout applies;
the Error frames and the close the game sends are reported.
"""

import argparse
import asyncio
import json
import ssl
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

import websockets  # noqa: E402
from switchboard_client import wire  # noqa: E402


def report(**fields):
    print(json.dumps(fields), flush=True)


async def serve_one(ws, args):
    errors = []
    try:
        if not args.silent:
            await ws.send(wire.encode_hello("dialled-editor", token=args.token))
        async for message in ws:
            frame = wire.decode_frame(message)
            if isinstance(frame, wire.WelcomeFrame):
                report(
                    event="welcome",
                    session_id=frame.session_id,
                    client_id=frame.client_id,
                    host_name=frame.host_name,
                )
            elif isinstance(frame, wire.ErrorFrame):
                errors.append({"code": frame.code_name, "message": frame.message})
    except websockets.ConnectionClosed:
        pass
    report(event="closed", code=ws.close_code, reason=ws.close_reason, errors=errors)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--token")
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args()
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    async with websockets.serve(
        lambda ws: serve_one(ws, args), args.bind, args.port, ssl=context
    ) as server:
        port = server.sockets[0].getsockname()[1]
        report(event="listening", port=port)
        # Until the test closes stdin or kills this process.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
