#!/usr/bin/env bash
# Runs every test: Rust unit, integration (real sockets, real clients) and
# doc tests; the Python client's tests against the demo; the browser
# editor's build check, unit tests and end-to-end test in headless Chromium.
# First installs what is missing (scripts/install-deps.sh; a no-op when
# everything is there).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== Rust"
cargo test --all-features

echo "== demo binary for the Python and browser tests"
cargo build --example ipc_agent --features full
export DEMO_BIN="$PWD/target/debug/examples/ipc_agent"
# `cargo test --all-features` above built it with every feature (nats for
# the fleet gateway's browser test).
export SWITCHBOARD_BIN="$PWD/target/debug/switchboard"

echo "== Python client"
python3 -m pytest clients/python/tests -q

echo "== browser editor"
node --test web_root/tests/

echo "== load generator smoke run"
bash benches/smoke.sh
