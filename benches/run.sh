#!/usr/bin/env bash
# Runs the whole criterion suite (decode and encode) RUNS times (default 3), keeps each run's
# criterion results in target/bench-runs/<n>, then writes the tables of
# BENCHMARKS.md and benches/chart.png from the medians over the runs.
#
#   bash benches/run.sh          # 3 runs, about 8 minutes each on 2 cores
#   bash benches/run.sh 1        # one run
#   bash benches/run.sh 3 'decode/w1/'   # only the benchmarks matching a regex
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${1:-3}
FILTER=${2:-}
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
rm -rf "$TARGET/bench-runs"
for n in $(seq "$RUNS"); do
    echo "== run $n of $RUNS"
    rm -rf "$TARGET/criterion"
    # decode and encode only: the iai bench (instruction counts) is benches/iai-ci.sh's.
    cargo bench -p sse-codec-benches --bench decode --bench encode -- ${FILTER:+"$FILTER"}
    mkdir -p "$TARGET/bench-runs"
    cp -r "$TARGET/criterion" "$TARGET/bench-runs/$n"
done
python3 benches/report.py "$TARGET"/bench-runs/*
