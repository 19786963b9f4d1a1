#!/usr/bin/env bash
# Instruction counts of the hot paths (benches/benches/iai.rs: gungraun,
# under Valgrind's Callgrind), compared with the baseline committed in
# benches/gungraun/. Exits non-zero (3) when any benchmark executes more than
# 5% more instructions than in the baseline; instruction counts do not depend
# on the machine's load, so this holds on a shared CI machine where wall-clock
# times do not.
#
#   bash benches/iai-ci.sh           # compare with the committed baseline (CI)
#   bash benches/iai-ci.sh --save    # record a new baseline (after an intended
#                                    # change, or a new rustc or Valgrind), then
#                                    # commit benches/gungraun/
#
# Installs what it needs: Valgrind (apt-get) and gungraun-runner at the
# version of the gungraun crate in benches/Cargo.toml. The counts depend on
# the rustc and Valgrind versions (benches/gungraun/TOOLCHAIN says which made
# the baseline): after upgrading either, record a new baseline. Takes about
# a minute plus the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never
LIMIT=${IAI_LIMIT:-5}
BASELINE_DIR=benches/gungraun
NAME=ci

mode=compare
case "${1:-}" in
    "") ;;
    --save) mode=save ;;
    *) echo "usage: $0 [--save]" >&2; exit 2 ;;
esac

if ! command -v valgrind >/dev/null; then
    echo "== installing valgrind"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq valgrind
fi

version=$(sed -n 's/^gungraun = "=\{0,1\}\([0-9.]*\)"$/\1/p' benches/Cargo.toml)
[ -n "$version" ] || { echo "no gungraun version in benches/Cargo.toml" >&2; exit 1; }
if [ "$(gungraun-runner --version 2>/dev/null | awk '{print $NF}')" != "$version" ]; then
    echo "== installing gungraun-runner $version"
    cargo install gungraun-runner --version "$version" --locked
fi

toolchain="$(rustc -V) / $(valgrind --version)"

# gungraun writes every run's files next to the baselines: run in a scratch
# copy and keep only the baselines (callgrind.*.base@ci) in the repository.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$mode" = compare ]; then
    if [ -z "$(find "$BASELINE_DIR" -name "*.base@$NAME" -print -quit 2>/dev/null)" ]; then
        echo "no baseline in $BASELINE_DIR: record one with '$0 --save' and commit it" >&2
        exit 1
    fi
    if [ "$toolchain" != "$(cat "$BASELINE_DIR/TOOLCHAIN" 2>/dev/null)" ]; then
        echo "warning: the baseline was recorded with $(cat "$BASELINE_DIR/TOOLCHAIN" 2>/dev/null || echo '?'),"
        echo "         this is $toolchain: counts may differ for that reason alone"
    fi
    cp -r "$BASELINE_DIR/." "$work/"
    echo "== instruction counts vs the committed baseline (fails above +$LIMIT% Ir)"
    status=0
    cargo bench -p sse-codec-benches --bench iai -- \
        --home="$work" --baseline="$NAME" --callgrind-limits="ir=$LIMIT%" || status=$?
    if [ "$status" != 0 ]; then
        echo "== FAILED (exit $status; 3: a benchmark executes more than $LIMIT% more instructions than the baseline)" >&2
        exit "$status"
    fi
    echo "== no benchmark regressed by more than $LIMIT% in instructions"
    exit 0
fi

echo "== recording a new baseline in $BASELINE_DIR"
cargo bench -p sse-codec-benches --bench iai -- --home="$work" --save-baseline="$NAME"
rm -rf "$BASELINE_DIR"
mkdir -p "$BASELINE_DIR"
(cd "$work" && find . -name "*.base@$NAME" -print0 | xargs -0 cp --parents -t "$OLDPWD/$BASELINE_DIR")
echo "$toolchain" > "$BASELINE_DIR/TOOLCHAIN"
echo "== saved: $(find "$BASELINE_DIR" -name "*.base@$NAME" | wc -l) baseline files; commit $BASELINE_DIR"
