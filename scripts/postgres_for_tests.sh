#!/usr/bin/env bash
# Make sure a PostgreSQL server answers where the tests look for one (TEST_POSTGRES_URL, default
# postgresql+psycopg://postgres@127.0.0.1:5432/postgres), so its 200+ runs are not skipped.
#
# - A server answers: nothing to do.
# - None answers on this machine and we are root: install Debian's `postgresql` package if it is
#   missing, create a cluster on that port if there is none, start it, and (only for a cluster this
#   script installed or created) let the `postgres` role in from loopback without a password, as the
#   tests connect. That is a test machine's setting: do not run this on a production database host.
# - Otherwise: say what to run. The tests then skip their PostgreSQL runs and say so.
set -euo pipefail

url="${TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
hostport="$(printf '%s' "$url" | sed -E 's#^[^/]*//([^@/]*@)?([^/?]*).*$#\2#')"
host="${hostport%:*}"
port="${hostport##*:}"
if [ "$host" = "$hostport" ]; then port=5432; fi
host="${host#[}"; host="${host%]}"

answers() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

if answers; then
  echo "PostgreSQL answers at $host:$port"
  exit 0
fi
case "$host" in
  127.0.0.1|localhost|::1) ;;
  *) echo "No PostgreSQL answers at $host:$port (another machine): its test runs will be skipped." >&2; exit 0 ;;
esac
if [ "$(id -u)" != 0 ]; then
  cat >&2 <<MSG
No PostgreSQL answers at $host:$port, and installing or starting one needs root. Run:
    sudo ${TEST_POSTGRES_URL:+TEST_POSTGRES_URL=$url }bash scripts/postgres_for_tests.sh
(or point TEST_POSTGRES_URL at a server of yours). Until then the PostgreSQL test runs are skipped.
MSG
  exit 0
fi

fresh=0
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "Installing Debian's PostgreSQL ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fresh=1
fi
version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
cluster="$(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p {print $1 " " $2; exit}')"
if [ -z "$cluster" ]; then
  name=main
  if [ -d "/etc/postgresql/$version/main" ]; then name="tests$port"; fi
  echo "Creating PostgreSQL $version cluster '$name' on port $port ..."
  pg_createcluster "$version" "$name" --port "$port" >/dev/null
  cluster="$version $name"
  fresh=1
fi
read -r cluster_version cluster_name <<<"$cluster"
if [ "$fresh" = 1 ]; then
  hba="/etc/postgresql/$cluster_version/$cluster_name/pg_hba.conf"
  if ! grep -q "dashboard tests" "$hba"; then
    sed -i '1i # dashboard tests (scripts/postgres_for_tests.sh): the postgres role from loopback, no password\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
  fi
fi
echo "Starting PostgreSQL cluster $cluster_version/$cluster_name on port $port ..."
pg_ctlcluster --skip-systemctl-redirect "$cluster_version" "$cluster_name" start || true
for _ in $(seq 1 60); do
  if answers; then
    echo "PostgreSQL answers at $host:$port"
    exit 0
  fi
  sleep 0.5
done
echo "PostgreSQL cluster $cluster_version/$cluster_name did not start; see /var/log/postgresql/. Its test runs will be skipped." >&2
exit 0
