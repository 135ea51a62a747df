#!/usr/bin/env bash
# Install everything the tests need and run all of them (SQLite, PostgreSQL, headless Chromium, HAProxy).
# Usage: bash scripts/test.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the browser tests, CJK fonts so Chinese renders in screenshots and PDF reports, Pango
# for the PDF reports (WeasyPrint), and HAProxy for the two-server test (tests/browser/test_two_servers_browser.py).
missing() {
  ! command -v chromium >/dev/null 2>&1 && return 0
  ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && return 0
  ! PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null | grep libpangoft2-1.0.so.0 >/dev/null && return 0
  [ ! -x /usr/sbin/haproxy ] && ! command -v haproxy >/dev/null 2>&1 && return 0
  return 1
}
if missing; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk haproxy libpango-1.0-0 libpangoft2-1.0-0 >/dev/null
  else
    echo "chromium, fonts-noto-cjk, haproxy or pango missing: run 'sudo apt-get install chromium fonts-noto-cjk haproxy libpango-1.0-0 libpangoft2-1.0-0'" >&2
  fi
fi

# PostgreSQL where TEST_POSTGRES_URL points (default 127.0.0.1:5432): started, or installed from Debian's
# package and started, when none answers (as root; otherwise it says what to run).
bash scripts/postgres_for_tests.sh

python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
exec .venv/bin/python -m pytest "$@"
