#!/usr/bin/env bash
# Runs every test: unit, integration (real sockets, real clients) and doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-features
