#!/usr/bin/env bash
# Restarts the test PostgreSQL primary in place (same data dir, same port) and waits until it accepts
# connections. scripts/test exports it as DAIRA_TEST_PG_RESTART_CMD for reconnect tests.
#   pg_restart.sh <data dir> <port>
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/servers.sh"
dir="$1" port="$2"
bin=$(pg_bin_dir)
as_pg "$bin/pg_ctl" -D "$dir" -m fast -w -t 60 -l "$dir/../pg-primary.log" restart >/dev/null
wait_until 30 "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || die "PostgreSQL on port $port did not come back"
