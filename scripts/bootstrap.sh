#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv with the
# plugin, Spyder, TensorBoard and the test tools. Safe to run again: pip only
# installs what is missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=.venv/.spyder-tblogs-installed
# Reinstall only when the requirements changed since the last install.
if [ ! -f "$stamp" ] || [ setup.py -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[test]"
    .venv/bin/python -m pip check
    touch "$stamp"
fi
