#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and prints the executions of each.
#
#   fuzz/run.sh                  every target, 20 s each
#   fuzz/run.sh 120              every target, 120 s each
#   fuzz/run.sh 60 frame pattern those targets only
#   fuzz/run.sh seeds            rewrite fuzz/seeds/ from the crate's encoders
#   fuzz/run.sh cmin [target...] minimize fuzz/corpus/<target> in place
#
# Installs cargo-fuzz when it is missing. cargo fuzz passes nightly-only
# flags (-Zsanitizer=address, sancov passes); the stable toolchain accepts
# them with RUSTC_BOOTSTRAP=1, which this script sets. Exits non-zero when a
# target found a crash, a panic, a leak, a timeout or an out-of-memory; the
# input is then in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"

export RUSTC_BOOTSTRAP=1
# Smaller ASan quarantine, so the RSS limit below measures the target, not
# freed memory ASan keeps to catch use-after-free.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=64:detect_leaks=1}"

ALL_TARGETS=(frame client_decode http_request static_path pattern hardware_json device_type_yaml mqueue_framing pipe_framing package_archive)
# Largest input per target: a frame or message up to 64 KiB, a request head
# up to the host's 16 KiB limit plus a read chunk, small text elsewhere.
max_len() {
    case "$1" in
        frame | client_decode | package_archive) echo 65536 ;;
        http_request) echo 20480 ;;
        mqueue_framing) echo 65536 ;;
        *) echo 4096 ;;
    esac
}
# Catches unbounded allocation: a process above 512 MiB, or one malloc
# above 256 MiB, is reported as out-of-memory with the input that did it.
LIMITS=(-rss_limit_mb=512 -malloc_limit_mb=256 -timeout=10)

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

case "${1:-}" in
    seeds)
        echo "== writing fuzz/seeds/ (src/fuzzing/seeds.rs, seeds())"
        rm -rf seeds
        (cd .. && SWITCHBOARD_FUZZ_SEEDS="$PWD/fuzz/seeds" \
            cargo test --lib --features fuzzing,hardware,packages fuzzing::tests::write_seeds -- --ignored --quiet)
        find seeds -type f | wc -l
        exit 0
        ;;
    cmin)
        shift
        targets=("$@")
        [ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
        cargo fuzz build --debug-assertions
        for t in "${targets[@]}"; do
            mkdir -p "corpus/$t"
            before=$(find "corpus/$t" -type f | wc -l)
            cargo fuzz cmin --debug-assertions "$t" "corpus/$t" -- "${LIMITS[@]}" -max_len="$(max_len "$t")" \
                >"/tmp/switchboard-fuzz-cmin-$t.log" 2>&1 ||
                { tail -20 "/tmp/switchboard-fuzz-cmin-$t.log"; exit 1; }
            echo "$t: $before -> $(find "corpus/$t" -type f | wc -l) inputs, $(du -sh "corpus/$t" | cut -f1)"
        done
        exit 0
        ;;
esac

seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
case "$seconds" in
    '' | *[!0-9]*) echo "usage: fuzz/run.sh [seconds] [target...] | seeds | cmin [target...]" >&2; exit 2 ;;
esac

echo "== building the fuzz targets (release, ASan, debug assertions)"
cargo fuzz build --debug-assertions

logs="$(mktemp -d)"
failed=()
printf '%-18s %8s %12s %10s %8s %8s  %s\n' target seconds executions exec/s cov corpus result
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t"
    log="$logs/$t.log"
    start=$(date +%s)
    if cargo fuzz run --debug-assertions "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -max_len="$(max_len "$t")" "${LIMITS[@]}" \
        -print_final_stats=1 >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        failed+=("$t")
    fi
    elapsed=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    printf '%-18s %8s %12s %10s %8s %8s  %s\n' "$t" "$elapsed" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${corp:-?}" "$result"
    if [ "$result" = FAILED ]; then
        echo "---- $t: last lines of the log ($log)"
        grep -E 'ERROR|panicked|SUMMARY|Test unit written|out-of-memory|Slowest|deadly' "$log" | head -20 || true
        tail -40 "$log"
        echo "----"
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found problems in: ${failed[*]} (inputs in fuzz/artifacts/)"
    exit 1
fi
echo "every target ran ${seconds} s without a crash, panic, leak, timeout or OOM"
