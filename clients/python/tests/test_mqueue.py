"""The message-queue transport against the demo, with an independent
client (mqueue_framing.py, PyPI posix_ipc): sizes around one slot and a
large message, each kind of broken sequence (answered with 400 while the
transport goes on), a client killed in the middle of a message, a reader
that falls behind on a reliable channel, and the game's shutdown.

Needs the demo built with the mqueue feature
(`cargo build --example ipc_agent --features hardware,mqueue`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

posix_ipc = pytest.importorskip("posix_ipc")

from conftest import DEFAULT_DEMO_BIN  # noqa: E402
from mqueue_framing import Closed, QueueClient, Refused, meta, names, queue_exists  # noqa: E402
from switchboard_client import wire  # noqa: E402

TESTS = Path(__file__).resolve().parent
BIG_LIMIT = 16 << 20


class QueueDemo:
    def __init__(self, proc: subprocess.Popen, lines: list):
        self.proc = proc
        self.pid = proc.pid
        self.lines = lines


def start_demo(*args: str) -> QueueDemo:
    binary = os.environ.get("DEMO_BIN", str(DEFAULT_DEMO_BIN))
    if not os.path.isfile(binary):
        pytest.fail(f"demo binary {binary} not found; run "
                    "`cargo build --example ipc_agent --features hardware,mqueue` or set DEMO_BIN")
    registry = tempfile.NamedTemporaryFile(prefix="mq-demo-", suffix=".sqlite", delete=False)
    registry.close()
    proc = subprocess.Popen(
        [binary, "--port", "0", "--registry", registry.name, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list = []
    seen = threading.Event()

    def drain():
        for line in proc.stdout:
            lines.append(line)
            if line.strip().startswith("queues:"):
                seen.set()

    threading.Thread(target=drain, daemon=True).start()
    if not seen.wait(30):
        proc.kill()
        proc.wait()
        pytest.fail("the demo announced no message queues (built without the mqueue feature?): "
                    + "".join(lines))
    return QueueDemo(proc, lines)


def stop_demo(demo: QueueDemo) -> None:
    demo.proc.terminate()
    try:
        demo.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        demo.proc.kill()
        demo.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def game():
    demo = start_demo("--max-message-size", str(BIG_LIMIT))
    try:
        yield demo
    finally:
        stop_demo(demo)
        for name in names(demo.pid):
            try:
                posix_ipc.unlink_message_queue(name)
            except posix_ipc.ExistentialError:
                pass


@pytest.fixture
def client(game):
    c = connect(game.pid)
    try:
        yield c
    finally:
        c.close()
        wait_gone(game.pid)


def connect(pid: int, **kwargs) -> QueueClient:
    # The previous test's pair may still be on its way out.
    wait_gone(pid)
    c = QueueClient(pid, **kwargs)
    c.hello()
    return c


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(queue_exists(n) for n in names(pid)):
            return True
        time.sleep(0.02)
    return False


def one_slot_request(c: QueueClient, channel: int):
    """A request frame as large as fits one slot, and the metadata padding
    (spaces) that makes its part exactly one slot long."""
    request_id = c.next_request
    c.next_request += 1
    for size in range(c.slot, 0, -1):
        frame = wire.encode_data(channel, b"x" * size, request_id=request_id)
        head = meta(0, c.next_uniq, len(frame), **c.extra)
        if len(head) + 1 + len(frame) <= c.slot:
            return request_id, frame, b"x" * size, c.slot - (len(head) + 1 + len(frame))
    raise AssertionError("no content size fits")


def test_queues_are_the_users_own(client):
    for name in (client.in_name, client.out_name):
        q = posix_ipc.MessageQueue(name)
        mode = os.fstat(q.mqd).st_mode & 0o777
        q.close()
        assert mode == 0o600, oct(mode)
    assert client.slot == 8192  # the system default here: 8 KiB slots


def test_exactly_one_slot_and_one_byte_over(client):
    echo = client.channel("echo")
    # extra 0: the part is exactly one slot; 1: it would be one byte over,
    # so the same message goes as two parts (the second of one byte).
    for extra, expected_parts in ((0, 1), (1, 2)):
        request_id, frame, content, pad = one_slot_request(client, echo)
        parts = client.send_message(frame, pad=pad + extra)
        assert len(parts) == expected_parts
        assert len(parts[0]) == client.slot
        if expected_parts == 2:
            assert parts[1].endswith(b"\0" + frame[-1:])
        response = client.wait_response(request_id)
        assert response.ok and response.content == content


def test_ten_mebibytes_each_way(client):
    echo = client.channel("echo")
    content = os.urandom(10 << 20)
    before = len(client.parts_received)
    assert client.call(echo, content, timeout=60) == content
    parts = client.parts_received[before:]
    # Parts of the answer: 206 then one 200, remain falling to the end
    # (receive_message checked each step).
    assert len(parts) > (10 << 20) // 8192
    assert {p["status"] for p in parts[:-1]} == {206} and parts[-1]["status"] == 200


def test_a_message_over_the_limit_is_refused_before_it_is_sent_whole(client):
    first = meta(1, 777, BIG_LIMIT + 1, **client.extra) + b"\0" + b"a" * 1000
    client.send_raw(first)
    with pytest.raises(Refused) as refused:
        client.receive_message()
    assert refused.value.status == 400 and refused.value.uniq == 777
    assert "larger than the limit" in refused.value.reason
    assert client.call(client.channel("echo"), b"still here") == b"still here"


def test_a_remain_that_does_not_decrease_is_refused(client):
    uniq = client.take_uniq()
    client.send_raw(meta(1, uniq, 100, **client.extra) + b"\0" + b"a" * 40)
    client.send_raw(meta(1, uniq, 100, **client.extra) + b"\0" + b"a" * 40)
    with pytest.raises(Refused) as refused:
        client.receive_message()
    assert (refused.value.status, refused.value.uniq) == (400, uniq)
    assert "remain 100" in refused.value.reason
    # The rest of that message is dropped quietly; the transport goes on.
    client.send_raw(meta(0, uniq, 20, **client.extra) + b"\0" + b"a" * 20)
    assert client.call(client.channel("echo"), b"after remain") == b"after remain"


def test_a_changed_uniq_drops_the_old_message_and_keeps_the_new(client):
    old = client.take_uniq()
    client.send_raw(meta(1, old, 5000, **client.extra) + b"\0" + b"a" * 100)
    echo = client.channel("echo")
    request_id, frame = client.request_frame(echo, b"new message")
    client.send_message(frame)  # a fresh uniq, before message `old` ended
    with pytest.raises(Refused) as refused:
        client.receive_message()
    assert (refused.value.status, refused.value.uniq) == (400, old)
    assert client.wait_response(request_id).content == b"new message"


def test_bad_metadata_json_is_refused(client):
    uniq = client.take_uniq()
    client.send_raw(meta(1, uniq, 5000, **client.extra) + b"\0" + b"a" * 100)
    client.send_raw(b'{"req":1,"uniq":\0junk')
    with pytest.raises(Refused) as refused:
        client.receive_message()
    assert refused.value.status == 400
    assert "metadata" in refused.value.reason and str(uniq) in refused.value.reason
    client.send_raw(b"no separator at all")
    with pytest.raises(Refused):
        client.receive_message()
    client.send_raw(meta(0, 1, 0, **client.extra).replace(b'"req":0', b'"req":5') + b"\0")
    with pytest.raises(Refused) as refused:
        client.receive_message()
    assert refused.value.status == 501
    assert client.call(client.channel("echo"), b"after json") == b"after json"


def test_a_reader_that_falls_behind_loses_nothing(client):
    echo = client.channel("echo")
    count = 300
    for i in range(count):
        # Published (not requests): each comes back as Data on the reliable
        # echo channel, far more than the ten slots of the game's queue.
        client.send_frame(wire.encode_data(echo, i.to_bytes(4, "little") + b"p" * 3000))
    time.sleep(1.0)
    got = []
    while len(got) < count:
        frame = client.receive_frame(timeout=20)
        if isinstance(frame, wire.DataFrame):
            got.append(int.from_bytes(frame.content[:4], "little"))
    assert got == list(range(count))


CHILD = textwrap.dedent("""
    import os, signal, sys
    sys.path[:0] = [{tests!r}, {client!r}]
    from mqueue_framing import QueueClient, meta
    c = QueueClient({pid})
    c.hello("doomed")
    # Half of a large message, then death without unlinking anything.
    c.send_raw(meta(1, 99, 100000, pid=os.getpid()) + b"\\0" + b"z" * 4000)
    print("sent", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_client_that_dies_mid_message_frees_the_pair(game):
    wait_gone(game.pid)
    script = CHILD.format(tests=str(TESTS), client=str(TESTS.parent), pid=game.pid)
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "sent" in child.stdout
    # The game sees the client's process gone, drops the partial message
    # and unlinks the pair; the next client gets in.
    assert wait_gone(game.pid, timeout=10), "the dead client's queues were not removed"
    with connect(game.pid) as c:
        assert c.call(c.channel("echo"), b"next") == b"next"
    assert game.proc.poll() is None


def test_the_games_shutdown_removes_its_queues():
    demo = start_demo("--frames", "240", "--hz", "60")
    try:
        c = QueueClient(demo.pid)
        c.hello()
        in_name, out_name = c.in_name, c.out_name
        demo.proc.wait(timeout=60)
        assert demo.proc.returncode == 0
        assert not queue_exists(in_name) and not queue_exists(out_name)
        # What the game said last is still readable on the open queue.
        with pytest.raises(Closed) as closed:
            while True:
                c.receive_message(timeout=5)
        assert closed.value.code == 1001
        c.to_game.close()
        c.from_game.close()
    finally:
        if demo.proc.poll() is None:
            stop_demo(demo)
