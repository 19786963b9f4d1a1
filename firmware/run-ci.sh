#!/usr/bin/env bash
# Builds the Cortex-M3 firmware (both binaries: `decode`, RawDecoder over
# SliceBuffers fed in small chunks, and `reader`, sse-codec-embedded's
# SseReader over an embedded-io source), runs each under QEMU's
# lm3s6965evb with semihosting, and compares what it prints with what the
# host's allocating Decoder prints for the same stream fed whole
# (`sse-firmware-host`). Prints the code size, the stack high-water mark
# and the buffer sizes. Exits non-zero on any difference or failure.
#
#   bash firmware/run-ci.sh
#   QEMU_SECONDS=300 bash firmware/run-ci.sh   # a slower machine
#
# Installs what it needs when missing: the thumbv7m-none-eabi target
# (rustup), qemu-system-arm and a `size` (apt-get, Debian/Ubuntu).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
export CARGO_TARGET_DIR="$PWD/target"
export CARGO_TERM_COLOR=never
TARGET=thumbv7m-none-eabi
QEMU_SECONDS=${QEMU_SECONDS:-120}

apt_install() {
    local sudo=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

rustup target add "$TARGET"
if ! command -v qemu-system-arm >/dev/null 2>&1; then
    echo "firmware: installing qemu-system-arm"
    apt_install qemu-system-arm
fi
size_tool=""
for tool in arm-none-eabi-size llvm-size rust-size; do
    if command -v "$tool" >/dev/null 2>&1; then size_tool=$tool; break; fi
done
if [ -z "$size_tool" ]; then
    echo "firmware: installing binutils-arm-none-eabi (for arm-none-eabi-size)"
    apt_install binutils-arm-none-eabi
    size_tool=arm-none-eabi-size
fi
echo "firmware: $(rustc --version); $(qemu-system-arm --version | head -n 1)"

host=$(rustc -vV | sed -n 's/^host: //p')
# Not part of the main workspace: formatted and linted here.
cargo fmt --all -- --check
cargo clippy --locked --release --bins -- -D warnings
cargo clippy --locked --release -p sse-firmware-host -p sse-firmware-common --target "$host" -- -D warnings
cargo build --locked --release --bins
cargo run --locked --release -q -p sse-firmware-host --target "$host" > "$CARGO_TARGET_DIR/host.out"

failed=0
for bin in decode reader; do
    out="$CARGO_TARGET_DIR/$bin.out"
    status=0
    # The runner (.cargo/config.toml) is QEMU; the firmware ends it through
    # semihosting with its own exit status.
    timeout "$QEMU_SECONDS" cargo run --locked --release -q --bin "$bin" > "$out" 2> "$CARGO_TARGET_DIR/$bin.err" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "firmware: $bin FAILED under QEMU (exit $status; 124 is the ${QEMU_SECONDS}s timeout)"
        tail -n 20 "$out" "$CARGO_TARGET_DIR/$bin.err"
        failed=1
        continue
    fi
    if grep -v '^#' "$out" | diff -u "$CARGO_TARGET_DIR/host.out" - > "$CARGO_TARGET_DIR/$bin.diff"; then
        echo "firmware: $bin prints what the host decoder prints ($(grep -vc '^#' "$out") lines)"
    else
        echo "firmware: $bin DIFFERS from the host decoder (- host, + firmware):"
        cat "$CARGO_TARGET_DIR/$bin.diff"
        failed=1
    fi
    sed -n 's/^# /firmware: '"$bin"': /p' "$out"
done

echo "firmware: code size ($size_tool, release, opt-level s, LTO):"
"$size_tool" "$CARGO_TARGET_DIR/$TARGET/release/decode" "$CARGO_TARGET_DIR/$TARGET/release/reader"
text=$("$size_tool" -A "$CARGO_TARGET_DIR/$TARGET/release/decode" | awk '$1 == ".text" { print $2 }')
echo "firmware: decode .text = $text bytes"
exit "$failed"
