#!/usr/bin/env bash
# Set up .venv if needed, then run the whole test suite. Extra arguments go
# to pytest (e.g. `bash scripts/test.sh tests/logs -x`).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
