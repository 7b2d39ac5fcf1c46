#!/usr/bin/env python3
"""Runs the load generator against every server, one at a time, in one run.

    python3 benches/compare.py [--repeat 3] [--quick] [--out target/bench]
    python3 benches/compare.py --ab OTHER/target/release/examples [--repeat 7]

Builds the release binaries, installs Node's `ws` (benches/node) if needed,
then for each repetition, scenario and server in turn: starts the server
pinned to CPU 1, runs benches/loadgen.rs pinned to CPU 0 with the server's
PID (so it reads the server's own CPU time from /proc), stops the server.
Each cell is the median of --repeat runs. Prints Markdown tables (the last
one in ratios to the network layer's echo mode) and writes the raw results
as JSON.
Loopback only; every run is bounded by the load generator's --time-limit.

--ab compares this build with another one (a checkout of an earlier commit,
built with `cargo build --release --example ws_echo --example host_echo`,
and `--example ipc_agent --features hardware` for the demo's row):
the network layer in echo mode and the Host API echo of both builds, and the
minimal mio+tungstenite echo, on the throughput scenario, taking turns
within each repetition so that drift on the machine hits every server alike.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "examples"

# name, command, protocol, pattern of the line that carries the URL
SERVERS = [
    ("Bevy plugin (demo, uncapped)",
     [BIN / "ipc_agent", "--uncapped", "--port", "0", "--max-clients", "2048"],
     "switchboard", r"websocket:\s+(ws://\S+)"),
    ("Bevy plugin (demo, on demand)",
     [BIN / "ipc_agent", "--on-demand", "--port", "0", "--max-clients", "2048"],
     "switchboard", r"websocket:\s+(ws://\S+)"),
    ("Bevy plugin (demo, 60 Hz)",
     [BIN / "ipc_agent", "--port", "0", "--max-clients", "2048"],
     "switchboard", r"websocket:\s+(ws://\S+)"),
    ("Host API (no Bevy)", [BIN / "host_echo", "--port", "0"], "switchboard", r"^(ws://\S+)"),
    ("Host API, game loop (drain, then one batch)", [BIN / "host_echo", "--port", "0", "--drain"],
     "switchboard", r"^(ws://\S+)"),
    ("network layer, echo mode", [BIN / "ws_echo"], "raw", r"^(ws://\S+)"),
    ("floor: minimal mio+tungstenite echo", [BIN / "mio_echo"], "raw", r"^(ws://\S+)"),
    ("tokio-tungstenite echo (split + forward)", [BIN / "tokio_echo"], "raw", r"^(ws://\S+)"),
    ("tokio-tungstenite + game thread (verify, hand over, answer)", [BIN / "tokio_game"], "raw",
     r"^(ws://\S+)"),
    ("Node ws", ["node", ROOT / "benches" / "node" / "echo.mjs"], "raw", r"^(ws://\S+)"),
]

SCENARIOS = {
    "latency": ["--scenario", "echo", "--connections", "1", "--size", "64", "--window", "1", "--messages", "20000"],
    "throughput": ["--scenario", "echo", "--connections", "16", "--size", "64", "--window", "32", "--messages", "20000"],
    "large": ["--scenario", "echo", "--connections", "4", "--size", "262144", "--window", "4", "--messages", "200"],
    "idle-memory": ["--scenario", "idle-memory", "--connections", "1000"],
    "idle-cpu": ["--scenario", "idle-cpu", "--connections", "10"],
}

FANOUT = ["--scenario", "fanout", "--connections", "100", "--size", "64", "--messages", "5000", "--round", "200"]
FANOUT_SERVERS = [
    ("Host API: publish (encode once)", [BIN / "host_echo", "--port", "0"]),
    ("Host API: send_to each (encode per client)", [BIN / "host_echo", "--port", "0", "--per-client"]),
]


def build():
    subprocess.run(["cargo", "build", "--release", "--example", "ipc_agent", "--example", "host_echo",
                    "--example", "ws_echo", "--example", "mio_echo", "--example", "tokio_echo",
                    "--example", "tokio_game", "--example", "loadgen", "--features", "hardware"],
                   cwd=ROOT, check=True)
    node = ROOT / "benches" / "node"
    if not (node / "node_modules" / "ws").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=node, check=True)


def pinned(cpu, command):
    if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1:
        return ["taskset", "-c", str(cpu)] + [str(c) for c in command]
    return [str(c) for c in command]


def start(command, pattern):
    proc = subprocess.Popen(pinned(1, command), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=ROOT)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = re.search(pattern, line.strip())
        if match:
            return proc, match.group(1)
    proc.kill()
    raise RuntimeError(f"server {command[0]} printed no URL")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_once(command, pattern, protocol, args, quick):
    proc, url = start(command, pattern)
    try:
        time.sleep(0.3)
        args = list(args)
        if quick:
            args = scale_down(args)
        out = subprocess.run(pinned(0, [BIN / "loadgen", "--url", url, "--protocol", protocol,
                                        "--server-pid", str(proc.pid), "--time-limit", "60"] + args),
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            return {"error": out.stderr.strip()[-300:]}
        return json.loads(out.stdout)
    finally:
        stop(proc)


def scale_down(args):
    args = list(args)
    for flag, div in (("--messages", 10), ("--connections", 1)):
        if flag in args:
            i = args.index(flag) + 1
            args[i] = str(max(1, int(args[i]) // div))
    return args


def median(results, key):
    values = [r[key] for r in results if isinstance(r.get(key), (int, float))]
    return statistics.median(values) if values else None


def summarize(results):
    if not results or all("error" in r for r in results):
        return {"error": next((r["error"] for r in results if "error" in r), "no result")}
    ok = [r for r in results if "error" not in r]
    keys = set().union(*(r.keys() for r in ok))
    summary = {k: median(ok, k) for k in keys if median(ok, k) is not None}
    summary["complete"] = all(r.get("complete", True) for r in ok)
    summary["runs"] = len(ok)
    return summary


def fmt(value, digits=2):
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ab(baseline, repeat, quick):
    """This build against `baseline` (a folder of release examples)."""
    other = Path(baseline)
    plain, demo = r"^(ws://\S+)", r"websocket:\s+(ws://\S+)"
    on_demand = ["--on-demand", "--port", "0", "--max-clients", "2048"]
    servers = [
        ("network layer, echo mode (this build)", [BIN / "ws_echo"], "raw", plain),
        ("network layer, echo mode (baseline)", [other / "ws_echo"], "raw", plain),
        ("minimal mio+tungstenite echo", [BIN / "mio_echo"], "raw", plain),
        ("Host API echo (this build)", [BIN / "host_echo", "--port", "0"], "switchboard", plain),
        ("Host API echo (baseline)", [other / "host_echo", "--port", "0"], "switchboard", plain),
    ]
    # The demo, when the baseline folder has one (built with `--features hardware`).
    if (other / "ipc_agent").exists():
        servers += [
            ("Bevy plugin on demand (this build)", [BIN / "ipc_agent", *on_demand], "switchboard", demo),
            ("Bevy plugin on demand (baseline)", [other / "ipc_agent", *on_demand], "switchboard", demo),
        ]
    runs = {name: [] for name, *_ in servers}
    for _ in range(repeat):
        for name, command, protocol, pattern in servers:
            runs[name].append(run_once(command, pattern, protocol, SCENARIOS["throughput"], quick))
    cpu = {}
    print("| server | throughput msgs/s | server CPU µs/msg (median) | min / max |")
    print("|---|---|---|---|")
    for name, *_ in servers:
        ok = [r for r in runs[name] if "error" not in r]
        values = sorted(r["server_cpu_us_per_msg"] for r in ok)
        cpu[name] = statistics.median(values) if values else None
        rate = median(ok, "msgs_per_sec")
        spread = f"{fmt(values[0], 3)} / {fmt(values[-1], 3)}" if values else "n/a"
        print(f"| {name} | {fmt(rate)} | {fmt(cpu[name], 3)} | {spread} |")
    def ratio(a, b):
        return f"{cpu[a] / cpu[b]:.3f}" if cpu.get(a) and cpu.get(b) else "n/a"
    print()
    print(f"echo mode / minimal echo: this build {ratio(servers[0][0], servers[2][0])}, "
          f"baseline {ratio(servers[1][0], servers[2][0])}")
    print(f"Host API echo, this build / baseline: {ratio(servers[3][0], servers[4][0])}")
    print(f"echo mode, this build / baseline: {ratio(servers[0][0], servers[1][0])}")
    if len(servers) > 5:
        print(f"Bevy plugin on demand, this build / baseline: {ratio(servers[5][0], servers[6][0])}")
        print(f"Bevy plugin on demand / echo mode, this build: {ratio(servers[5][0], servers[0][0])}, "
              f"baseline {ratio(servers[6][0], servers[1][0])}")
        print(f"Host API echo / echo mode, this build: {ratio(servers[3][0], servers[0][0])}, "
              f"baseline {ratio(servers[4][0], servers[1][0])}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tenth of the messages (a smoke run)")
    parser.add_argument("--out", default=str(ROOT / "target" / "bench"))
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--only", choices=["echo", "fanout"], help="run one part of the comparison")
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS),
                        help="run only these echo scenarios (repeatable)")
    parser.add_argument("--ab", metavar="EXAMPLES_DIR",
                        help="compare this build's echo servers with another build's")
    options = parser.parse_args()
    if not options.skip_build:
        build()
    if options.ab:
        ab(options.ab, options.repeat, options.quick)
        return
    servers = [] if options.only == "fanout" else SERVERS
    fanout_servers = [] if options.only == "echo" else FANOUT_SERVERS
    servers = [s for s in servers if s[1][0] != "node" or shutil.which("node")]
    scenarios = [(n, a) for n, a in SCENARIOS.items() if not options.scenario or n in options.scenario]
    # The servers take turns within each repetition, so a slow spell of the
    # machine weighs on all of them alike and the ratios in a row hold.
    runs = {}
    for repetition in range(options.repeat):
        for scenario, args in scenarios:
            for name, command, protocol, pattern in servers:
                result = run_once(command, pattern, protocol, args, options.quick)
                runs.setdefault(f"{name} | {scenario}", []).append(result)
                print(f"[{repetition + 1}/{options.repeat}] {name:40} {scenario:12} {json.dumps(result)}",
                      file=sys.stderr)
        for name, command in fanout_servers:
            result = run_once(command, r"^(ws://\S+)", "switchboard", FANOUT, options.quick)
            runs.setdefault(f"{name} | fanout", []).append(result)
            print(f"[{repetition + 1}/{options.repeat}] {name:40} fanout       {json.dumps(result)}",
                  file=sys.stderr)
    results = {key: summarize(value) for key, value in runs.items()}

    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.json").write_text(json.dumps(results, indent=2, sort_keys=True))

    print("| server | latency p50 / p99 / p99.9 (µs) | throughput msgs/s | server CPU µs/msg | "
          "large 256 KiB msgs/s | large CPU µs/msg | idle KiB/conn | idle CPU ms / 5 s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, *_ in SERVERS:
        lat = results.get(f"{name} | latency", {})
        thr = results.get(f"{name} | throughput", {})
        big = results.get(f"{name} | large", {})
        mem = results.get(f"{name} | idle-memory", {})
        idle = results.get(f"{name} | idle-cpu", {})
        if not (lat or thr):
            continue
        print(f"| {name} | {fmt(lat.get('p50_us'))} / {fmt(lat.get('p99_us'))} / {fmt(lat.get('p999_us'))} "
              f"| {fmt(thr.get('msgs_per_sec'))} | {fmt(thr.get('server_cpu_us_per_msg'), 3)} "
              f"| {fmt(big.get('msgs_per_sec'))} | {fmt(big.get('server_cpu_us_per_msg'))} "
              f"| {fmt(mem.get('kib_per_connection'))} | {fmt(idle.get('server_cpu_ms'))} |")
    floor = "network layer, echo mode"
    def times(name, scenario, key):
        mine = results.get(f"{name} | {scenario}", {}).get(key)
        base = results.get(f"{floor} | {scenario}", {}).get(key)
        if not mine or not base:
            return "n/a"
        return f"{mine / base:.2f}"
    print()
    print(f"| server | throughput CPU/msg x {floor} | latency p99 x | large 256 KiB msgs/s x |")
    print("|---|---|---|---|")
    for name, *_ in SERVERS:
        if f"{name} | throughput" not in results and f"{name} | latency" not in results:
            continue
        print(f"| {name} | {times(name, 'throughput', 'server_cpu_us_per_msg')} "
              f"| {times(name, 'latency', 'p99_us')} | {times(name, 'large', 'msgs_per_sec')} |")
    print()
    print("| fan-out, 100 subscribers, 64 B | deliveries/s | server CPU µs/delivery |")
    print("|---|---|---|")
    for name, _ in FANOUT_SERVERS:
        f = results.get(f"{name} | fanout", {})
        print(f"| {name} | {fmt(f.get('deliveries_per_sec'))} | {fmt(f.get('server_cpu_us_per_delivery'), 3)} |")


if __name__ == "__main__":
    main()
