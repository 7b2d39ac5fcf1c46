#!/usr/bin/env bash
# Runs every test: Rust unit, integration (real sockets, real clients) and
# doc tests; the Python client's tests against the demo; the browser
# editor's build check, unit tests and end-to-end test in headless Chromium.
# Needs what scripts/install-deps.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust"
cargo test --all-features

echo "== demo binary for the Python and browser tests"
cargo build --example ipc_agent
export DEMO_BIN="$PWD/target/debug/examples/ipc_agent"

echo "== Python client"
python3 -m pytest clients/python/tests -q

echo "== browser editor"
node --test web_root/tests/

echo "== load generator smoke run"
bash benches/smoke.sh
