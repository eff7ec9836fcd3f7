#!/usr/bin/env bash
# Sets up Hallmonitor on a fresh Debian machine with Python 3.11: system packages (when root and
# missing), the virtual environment at .venv/ and the pinned Python dependencies. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg bin; do
  [ -z "$pkg" ] && continue
  case "$pkg" in \#*) continue ;; esac
  command -v "$bin" >/dev/null 2>&1 || missing+=("$pkg")
done < scripts/apt-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages: ${missing[*]}" >&2
  fi
fi

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if command -v python3.11 >/dev/null; then PY=python3.11; else PY=python3; fi
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check uv
fi
# requirements.lock pins every package (compiled by scripts/lock.sh; it records no index URLs).
if ! .venv/bin/uv pip install -q -p .venv/bin/python -r requirements.lock -e ".[test,bench]"; then
  echo "setup: uv could not install; falling back to pip" >&2
  .venv/bin/python -m pip install -q -r requirements.lock -e ".[test,bench]"
fi
# Review app tests: oidc-provider and axe-core, exact versions from package.json, into a
# project-local node_modules; no package-lock.json is written.
node_tools=tests/dashboards/node
if command -v npm >/dev/null 2>&1 && { [ ! -d "$node_tools/node_modules/oidc-provider" ] ||
    [ ! -d "$node_tools/node_modules/axe-core" ]; }; then
  if ! (cd "$node_tools" && npm install --no-package-lock --no-audit --no-fund --silent); then
    echo "setup: npm could not install the review app's test tools (those tests will skip)" >&2
  fi
fi
echo "setup: ready (.venv/bin/hallmonitor)"
