#!/usr/bin/env bash
# Sets everything up, then lints, type-checks, checks the layers and runs the whole test suite.
# .ci/run calls exactly this. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
export PREFECT_HOME="$PWD/.prefect-test"
echo "test: ruff check"
.venv/bin/ruff check --quiet .
echo "test: import-linter (docs/architecture.md, the layers)"
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
echo "test: mypy"
.venv/bin/mypy --no-error-summary
echo "test: pytest"
exec .venv/bin/python -m pytest "$@"
