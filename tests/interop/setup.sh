#!/usr/bin/env bash
# Installs the clients of the interop tests (tests/tests/interop.rs):
# Debian's chromium, if /usr/bin/chromium is missing, and the npm package
# `eventsource` (pinned by package-lock.json) into this directory's
# node_modules. Needs node and npm (Node 20 or later). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    echo "installing chromium"
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
/usr/bin/chromium --version

command -v node >/dev/null || { echo "node is missing: install Node 20 or later" >&2; exit 1; }
node --version
# `npm ci` only when node_modules does not hold the locked version already.
if node -e '
    const locked = require("./package-lock.json").packages["node_modules/eventsource"].version;
    const installed = require("./node_modules/eventsource/package.json").version;
    process.exit(locked === installed ? 0 : 1);
' 2>/dev/null; then
    echo "npm eventsource already installed"
else
    npm ci --no-audit --no-fund
fi
