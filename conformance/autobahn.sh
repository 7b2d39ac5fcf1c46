#!/usr/bin/env bash
# WebSocket conformance: the Autobahn TestSuite's fuzzing client against the
# host's network layer in raw echo mode (examples/ws_echo.rs).
#
#   bash conformance/autobahn.sh [CASES]     (default: every case of groups 1-10)
#
# Groups 12 and 13 test permessage-deflate, which the host does not offer;
# they would only report UNIMPLEMENTED. Passes when every case run is OK,
# NON-STRICT or INFORMATIONAL. wstest is Python 2 code: it runs in a
# virtualenv on pyenv's CPython 2.7.18 with the pinned requirements here.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-'["1.*","2.*","3.*","4.*","5.*","6.*","7.*","9.*","10.*"]'}
venv=target/autobahn-venv
reports=target/autobahn-reports

if [ ! -x "$venv/bin/wstest" ]; then
    python2=$(pyenv root)/versions/2.7.18/bin/python
    [ -x "$python2" ] || { echo "needs pyenv's CPython 2.7.18 at $python2" >&2; exit 1; }
    python3 -m pip install --quiet --disable-pip-version-check 'virtualenv<20.22'
    python3 -m virtualenv --quiet -p "$python2" "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r conformance/requirements-py27.txt
fi

cargo build --release --example ws_echo
log=$(mktemp)
target/release/examples/ws_echo >"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q '^ws://' "$log" && break; sleep 0.05; done
url=$(grep -m1 '^ws://' "$log")

rm -rf "$reports"
mkdir -p "$reports"
cat >"$reports/spec.json" <<SPEC
{
  "outdir": "./servers",
  "servers": [{"agent": "switchboard", "url": "$url"}],
  "cases": $cases,
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
SPEC
(cd "$reports" && timeout 900 "../../$venv/bin/wstest" -m fuzzingclient -s spec.json >wstest.log 2>&1)

python3 - "$reports/servers/index.json" <<'PY'
import collections, json, sys
index = json.load(open(sys.argv[1]))
results = next(iter(index.values()))
counts = collections.Counter(r["behavior"] for r in results.values())
close_counts = collections.Counter(r["behaviorClose"] for r in results.values())
bad = {case: r["behavior"] for case, r in results.items()
       if r["behavior"] not in ("OK", "NON-STRICT", "INFORMATIONAL")}
print(f"autobahn: {len(results)} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
print("autobahn close behaviour: " + ", ".join(f"{k} {v}" for k, v in sorted(close_counts.items())))
if bad:
    print("autobahn: FAILED cases: " + ", ".join(f"{c} {b}" for c, b in sorted(bad.items())))
    sys.exit(1)
PY
