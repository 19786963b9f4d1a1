#!/usr/bin/env bash
# Runs every fuzz target for FUZZ_SECONDS (default 60) seconds each and fails
# if any of them finds a crash, a failed check, a timeout or an out-of-memory.
#
#   bash fuzz/run-ci.sh                       # every target, 60 s each
#   FUZZ_SECONDS=3600 bash fuzz/run-ci.sh     # a longer campaign
#   FUZZ_TARGETS="decode_oracle" bash fuzz/run-ci.sh
#
# Installs what it needs when missing: cargo-fuzz (`cargo install cargo-fuzz
# --locked`) and a nightly toolchain (`rustup toolchain install nightly
# --profile minimal`). If no nightly can be had, it builds with the stable
# toolchain and RUSTC_BOOTSTRAP=1 (which unlocks the same -Z flags).
#
# Corpus directories: fuzz/corpus/<target> (grown by the fuzzer, not
# committed) first, fuzz/seeds/<target> (committed) second, so new inputs go
# to the former. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-decode decode_chunked decode_oracle roundtrip tokio_codec}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

toolchain=(+nightly)
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz: installing the nightly toolchain"
    if ! rustup toolchain install nightly --profile minimal; then
        echo "fuzz: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1"
        toolchain=(+stable)
        export RUSTC_BOOTSTRAP=1
    fi
fi
echo "fuzz: $(rustc "${toolchain[@]}" --version)"

# -O: optimised; -a: debug assertions (overflow checks) on, as in the tests.
flags=(-O -a)
cargo "${toolchain[@]}" fuzz build "${flags[@]}"

mkdir -p logs
failed=()
total=0
for target in $TARGETS; do
    mkdir -p "corpus/$target"
    echo "fuzz: $target for ${FUZZ_SECONDS}s"
    status=0
    cargo "${toolchain[@]}" fuzz run "${flags[@]}" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"logs/$target.log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$target.log" | tail -n 1)
    runs=${runs:-0}
    total=$((total + runs))
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        echo "fuzz: $target FAILED (exit $status) after $runs executions; last lines of logs/$target.log:"
        tail -n 60 "logs/$target.log"
    else
        echo "fuzz: $target ok, $runs executions"
    fi
done

echo "fuzz: $total executions in all"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz: failed targets: ${failed[*]} (inputs in fuzz/artifacts/)"
    exit 1
fi
