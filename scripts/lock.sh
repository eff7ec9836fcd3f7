#!/usr/bin/env bash
# Re-pins every dependency into requirements.lock (no index URLs are written, by design).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/uv pip compile pyproject.toml --extra test --extra bench --python-version 3.11 \
  --no-header --no-annotate -o requirements.lock
