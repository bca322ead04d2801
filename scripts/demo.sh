#!/usr/bin/env bash
# Set up .venv if needed, then start Spyder with the TensorBoard Logs pane on
# a demo project whose logs are being written live. Arguments go to
# scripts/demo.py (e.g. a project directory, or --no-spyder).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/bootstrap.sh
exec .venv/bin/python scripts/demo.py "$@"
