#!/usr/bin/env bash
# The browser tests (and, with `bench`, the browser benchmark) of sse-codec:
# wasm32-unknown-unknown builds run by wasm-bindgen-test-runner in headless
# Chromium (through chromedriver), against sse-wasm-test-server on 127.0.0.1.
#
#   bash tests-wasm/run-ci.sh          # tests (CI); fails on any failure
#   bash tests-wasm/run-ci.sh test NAME    # only the tests whose name has NAME
#   bash tests-wasm/run-ci.sh bench    # W1 and W4 MB/s: our wasm vs eventsource-parser
#   SSE_WASM_SIMD=1 bash tests-wasm/run-ci.sh bench    # the same built with +simd128
#
# Installs what it needs: the wasm32 target, wasm-bindgen-cli at exactly the
# version of the wasm-bindgen crate in Cargo.lock, and (bench) the pinned
# npm packages. Without chromium or chromedriver the tests are skipped with
# the reason, except with CI=true, where they are installed with apt-get (as
# root) or the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-test}"
filter=("${@:2}")
case "$mode" in test | bench) ;; *) echo "usage: $0 [test|bench] [NAME]" >&2; exit 2 ;; esac

chromium="${CHROMIUM:-/usr/bin/chromium}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
if [[ ! -x "$chromium" || ! -x "$CHROMEDRIVER" ]]; then
    if [[ "${CI:-}" == true ]]; then
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
            apt-get update
            DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
        fi
        [[ -x "$chromium" && -x "$CHROMEDRIVER" ]] || {
            echo "error: $chromium or $CHROMEDRIVER missing (CI=true)" >&2
            exit 1
        }
    else
        echo "skipped: the browser tests need $chromium and $CHROMEDRIVER (apt-get install chromium chromium-driver)"
        exit 0
    fi
fi

if command -v rustup >/dev/null; then
    rustup target add wasm32-unknown-unknown
fi
# The test runner must be the wasm-bindgen version the tests are built with.
version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[[ -n "$version" ]] || { echo "error: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
if [[ "$(wasm-bindgen-test-runner --version 2>/dev/null || true)" != "wasm-bindgen-test-runner $version" ]]; then
    # --locked first; its lock file can name a dependency version that a
    # registry mirror does not have yet, and then the newest compatible one.
    cargo install wasm-bindgen-cli --version "$version" --locked ||
        cargo install wasm-bindgen-cli --version "$version"
fi
wasm-bindgen-test-runner --version

work="$(mktemp -d)"
server_pid=
cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

if [[ "$mode" == bench ]]; then
    (cd tests-wasm && npm ci --no-audit --no-fund)
    export SSE_WASM_NPM_DIST="$PWD/tests-wasm/node_modules/eventsource-parser/dist"
fi

if [[ "$mode" == test ]]; then
    test_args=(--test browser)
else
    if [[ "${SSE_WASM_SIMD:-}" == 1 ]]; then
        # WebAssembly SIMD (every current browser): memchr's simd128 search.
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
    fi
    test_args=(--release --test bench)
fi

if [[ "$mode" == test ]]; then
    # sse-codec-tokio's `reqwest` feature on wasm32 stops with one clear
    # compile error (src/lib.rs), not reqwest's missing items.
    if cargo check -p sse-codec-tokio --target wasm32-unknown-unknown --features reqwest \
        2>"$work/reqwest-wasm.err"; then
        echo "error: sse-codec-tokio with the reqwest feature built for wasm32" >&2
        exit 1
    fi
    if ! grep -q 'the `reqwest` feature (EventSource) is for native targets only' "$work/reqwest-wasm.err" ||
        [[ "$(grep -c '^error' "$work/reqwest-wasm.err")" != 2 ]]; then
        cat "$work/reqwest-wasm.err" >&2
        echo "error: not the one compile error for the reqwest feature on wasm32" >&2
        exit 1
    fi
    echo "ok: the reqwest feature on wasm32 is one clear compile error"
fi

# Everything is built before the server starts, so that its lifetime
# (SSE_WASM_SERVER_SECONDS) is spent on the tests alone, however slow a
# fresh build is. The tests take the server's URL at compile time (env!):
# built here with a placeholder, they are rebuilt below with the real URL,
# which recompiles only the test target itself.
cargo build -p sse-codec-wasm-tests --bin sse-wasm-test-server
SSE_WASM_SERVER=http://127.0.0.1:1 \
    cargo test -p sse-codec-wasm-tests --target wasm32-unknown-unknown "${test_args[@]}" --no-run
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
SSE_WASM_SERVER_SECONDS=1800 "$target_dir/debug/sse-wasm-test-server" >"$work/server.out" &
server_pid=$!
for _ in $(seq 100); do
    [[ -s "$work/server.out" ]] && break
    sleep 0.1
done
export SSE_WASM_SERVER="$(head -n 1 "$work/server.out")"
[[ "$SSE_WASM_SERVER" == http://127.0.0.1:* ]] || { echo "error: the test server did not start" >&2; exit 1; }
echo "test server: $SSE_WASM_SERVER"

# Chromium as the project runs it headless (the runner adds --headless,
# --no-sandbox and --disable-dev-shm-usage).
cat >"$work/webdriver.json" <<JSON
{
  "goog:chromeOptions": {
    "binary": "$chromium",
    "args": ["disable-gpu", "disable-quic", "no-first-run", "disable-background-networking",
             "disable-component-update", "disable-sync", "user-data-dir=$work/profile"]
  }
}
JSON
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$work/webdriver.json"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"

if [[ "$mode" == test ]]; then
    cargo test -p sse-codec-wasm-tests --target wasm32-unknown-unknown "${test_args[@]}" -- "${filter[@]}"
else
    cargo test -p sse-codec-wasm-tests --target wasm32-unknown-unknown "${test_args[@]}" -- --nocapture "${filter[@]}"
fi
