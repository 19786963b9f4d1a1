#!/usr/bin/env bash
# Compares builds of the decode benchmark binary on a noisy machine: runs the
# rows matching FILTER in every binary in turn, REPS times, and prints for
# each row and binary the median of (time / sse-core's time in the same
# process run) and the fastest time seen. Dividing by sse-core's time from
# the same run cancels most of the drift of a shared VM.
#
#   cargo bench -p sse-codec-benches --bench decode --no-run
#   cp target/release/deps/decode-<hash> /tmp/before     # build, copy, change, rebuild, copy ...
#   bash benches/ab.sh 'decode/w1/4KiB/(sse-codec bytes|sse-core)$' 10 5 /tmp/before /tmp/after
#
# ITERS passes of each row per run (SSE_BENCH_ITERS, no criterion). The
# filter must select the sse-core row of each group for the ratios.
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 FILTER ITERS REPS BINARY..." >&2
    exit 2
fi
F=$1; I=$2; R=$3; shift 3
for r in $(seq "$R"); do
    for b in "$@"; do
        SSE_BENCH_ITERS=$I "$b" --bench "$F" 2>&1 | grep 'per pass' | sed "s|^|$(basename "$b") $r |"
    done
done | python3 -c '
import sys, re, statistics
t = {}
for l in sys.stdin:
    m = re.match(r"(\S+) (\d+) (.*): ([\d.]+)(ms|µs|ns|s) per pass", l.strip())
    if not m:
        continue
    v = float(m.group(4)) * {"ms": 1, "µs": 1e-3, "ns": 1e-6, "s": 1e3}[m.group(5)]
    t[(m.group(1), m.group(2), m.group(3))] = v
for row, b in sorted({(k[2], k[0]) for k in t}):
    core = row.rsplit("/", 1)[0] + "/sse-core"
    ratios = [t[k] / t[(b, k[1], core)] for k in t if k[0] == b and k[2] == row and (b, k[1], core) in t]
    fastest = min(t[k] for k in t if k[0] == b and k[2] == row)
    ratio = f"{statistics.median(ratios):6.3f}" if ratios else "   -  "
    print(f"{ratio} x sse-core  {fastest:9.3f} ms  {b:8} {row}")
'
