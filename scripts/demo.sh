#!/usr/bin/env bash
# Sets everything up, then audits the bundled demo district served by a local sample server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec .venv/bin/hallmonitor demo --out "${1:-demo-output}"
