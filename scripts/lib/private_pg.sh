#!/usr/bin/env bash
# A private PostgreSQL for tests that disturb their server (freeze it, restart it, fail it over), so the
# shared test servers are never touched. Runs as the `postgres` user when we are root.
#
#   private_pg.sh start <dir> [replica]  # initdb + start a primary on a free 127.0.0.1 port (and a
#                                        # synchronous streaming replica); prints "port=N" [and "rport=M"]
#   private_pg.sh restart <dir>          # restarts the primary in place (fast shutdown)
#   private_pg.sh promote <dir>          # promotes the replica (waits until it accepts writes)
#   private_pg.sh stop-primary <dir>     # stops the primary (fast)
#   private_pg.sh stop <dir>             # stops everything under <dir> and removes it
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/servers.sh"

cmd="$1" dir="$2"
bin=$(pg_bin_dir)
[[ -n "$bin" && -x "$bin/initdb" ]] || die "no PostgreSQL server binaries (run scripts/setup)"

case "$cmd" in
  start)
    mkdir -p "$dir/socket" "$dir/primary"
    chmod 755 "$dir"
    chmod 700 "$dir/primary"
    [[ $(id -u) -eq 0 ]] && chown -R postgres: "$dir"
    port=$(free_port) || die "no free port"
    as_pg "$bin/initdb" -D "$dir/primary" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    as_pg tee -a "$dir/primary/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
max_connections = 50
shared_buffers = 16MB
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 4
hot_standby = on
log_min_messages = warning
CONF
    if [[ "${3:-}" == "replica" ]]; then
      # Synchronous: a commit is acknowledged only once the replica has it, so a failover loses none.
      echo "synchronous_standby_names = '*'" | as_pg tee -a "$dir/primary/postgresql.conf" >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -t 60 start >/dev/null \
      || { tail -n 30 "$dir/primary.log" >&2; die "primary did not start"; }
    wait_until 30 "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || die "primary not ready"
    echo "port=$port"
    if [[ "${3:-}" == "replica" ]]; then
      DAIRA_CLAIMED_PORTS+=("$port")
      rport=$(free_port) || die "no free port"
      as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$dir/replica" -R -X stream \
        --checkpoint=fast --no-sync >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; die "pg_basebackup failed"; }
      # The base backup copied the primary's settings: a promoted replica must not wait for a standby.
      printf "port = %s\nsynchronous_standby_names = ''\n" "$rport" | as_pg tee -a "$dir/replica/postgresql.conf" >/dev/null
      as_pg "$bin/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w -t 60 start >/dev/null \
        || { tail -n 30 "$dir/replica.log" >&2; die "replica did not start"; }
      wait_until 60 pg_replica_in_recovery "$bin" "$rport" || die "replica not streaming"
      echo "rport=$rport"
    fi
    ;;
  restart)
    as_pg "$bin/pg_ctl" -D "$dir/primary" -m fast -w -t 60 -l "$dir/primary.log" restart >/dev/null
    ;;
  promote)
    as_pg "$bin/pg_ctl" -D "$dir/replica" -w -t 60 promote >/dev/null
    ;;
  stop-primary)
    as_pg "$bin/pg_ctl" -D "$dir/primary" -m fast -w -t 60 stop >/dev/null
    ;;
  stop)
    for d in replica primary; do
      if [[ -f "$dir/$d/postmaster.pid" ]]; then
        as_pg "$bin/pg_ctl" -D "$dir/$d" -m immediate -w -t 30 stop >/dev/null 2>&1 || warn "could not stop $dir/$d"
      fi
    done
    rm -rf "$dir"
    ;;
  *) die "usage: private_pg.sh start|restart|promote|stop-primary|stop <dir> [replica]" ;;
esac
