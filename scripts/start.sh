#!/usr/bin/env bash
# Install and start the dashboard on the embedded default (SQLite under data/) with the demo data.
# Usage: bash scripts/start.sh [streamlit options, e.g. --server.port 8502]
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's Pango and Chinese fonts for the PDF report (WeasyPrint): installed as root, else said what to run.
# (grep reads all its input: an early exit would fail the pipe under pipefail.)
if ! PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null | grep libpangoft2-1.0.so.0 >/dev/null \
   || ! fc-list 2>/dev/null | grep -i "Noto Serif CJK" >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk >/dev/null
  else
    echo "PDF reports need: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk" >&2
  fi
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python -m data_access init --demo
exec .venv/bin/streamlit run serve.py --server.headless true --browser.gatherUsageStats false "$@"
