#!/usr/bin/env bash
# Install everything the tests need and run all of them (SQLite, PostgreSQL, headless Chromium).
# Usage: bash scripts/test.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the browser tests, and CJK fonts so Chinese renders in screenshots.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "chromium or fonts-noto-cjk missing: run 'sudo apt-get install chromium fonts-noto-cjk'" >&2
  fi
fi

# PostgreSQL: use the one on 127.0.0.1:5432 (or TEST_POSTGRES_URL); start the local cluster if it is down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi

python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
exec .venv/bin/python -m pytest "$@"
