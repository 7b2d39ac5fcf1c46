#!/usr/bin/env bash
# A second or two of the load generator against the Host API echo server,
# so the benchmark tools cannot rot. Not a measurement: debug build, tiny
# counts. The real comparison is benches/compare.py (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q --example host_echo --example loadgen
log=$(mktemp)
target/debug/examples/host_echo --port 0 >"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q '^ws://' "$log" && break; sleep 0.05; done
url="$(grep -m1 '^ws://' "$log")/"

check() {
    local out
    out=$(timeout 30 target/debug/examples/loadgen --url "$url" --server-pid "$server" --time-limit 20 "$@")
    echo "$out"
    grep -q '"complete":true' <<<"$out" || { echo "smoke run incomplete: $*" >&2; exit 1; }
}
check --protocol switchboard --scenario echo --connections 2 --messages 500 --window 8
check --protocol switchboard --scenario fanout --connections 5 --messages 400 --round 100
echo "load generator smoke run: ok"
