#!/usr/bin/env bash
# Install and start the dashboard on the embedded default (SQLite under data/) with the demo data.
# Usage: bash scripts/start.sh [streamlit options, e.g. --server.port 8502]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python -m data_access init --demo
exec .venv/bin/streamlit run serve.py --server.headless true --browser.gatherUsageStats false "$@"
