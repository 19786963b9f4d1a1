#!/usr/bin/env bash
# Installs the third-party servers of tests/tests/client_interop.rs:
# - Express (npm, pinned by servers/express/package-lock.json) into
#   servers/express/node_modules; needs node and npm (Node 18 or later);
# - sse-starlette + uvicorn (PyPI, pinned by servers/python/requirements.txt)
#   into the venv servers/python/.venv; needs python3 with venv;
# - Go (Debian's golang-go) if `go` is missing.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/servers"

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
apt_install() {
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# Express
command -v node >/dev/null || { echo "node is missing: install Node 18 or later" >&2; exit 1; }
if (cd express && node -e '
    const locked = require("./package-lock.json").packages["node_modules/express"].version;
    const installed = require("./node_modules/express/package.json").version;
    process.exit(locked === installed ? 0 : 1);
' 2>/dev/null); then
    echo "express already installed"
else
    (cd express && npm ci --no-audit --no-fund)
fi

# sse-starlette
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    apt_install python3-venv
fi
if [ ! -x python/.venv/bin/python ]; then
    python3 -m venv python/.venv
fi
if python/.venv/bin/python -c 'import sse_starlette, uvicorn, starlette' 2>/dev/null; then
    echo "sse-starlette already installed"
else
    python/.venv/bin/pip install --quiet --disable-pip-version-check -r python/requirements.txt
fi

# Go
if ! command -v go >/dev/null; then
    apt_install golang-go
fi
go version
