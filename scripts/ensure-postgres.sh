#!/usr/bin/env bash
# Start the machine's PostgreSQL if it is installed but down (CI runs on a machine where it may be).
set -euo pipefail
host=${PGHOST:-127.0.0.1}; port=${PGPORT:-5432}
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p "$port"; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is down; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && exit 0; sleep 1; done
fi
echo "PostgreSQL is not reachable at $host:$port; PostgreSQL tests will fail" >&2
exit 0
