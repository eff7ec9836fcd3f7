#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
export PREFECT_HOME="$PWD/.prefect-test"
exec .venv/bin/python -m pytest "$@"
