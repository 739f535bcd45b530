# Private test servers: a PostgreSQL 15 primary, a streaming replica, Redis 7 and an S3-compatible
# moto_server, each on a free 127.0.0.1 port with its data in one temp dir. Source after lib/common.sh, then:
#
#   servers_start        # exports DAIRA_TEST_PG, DAIRA_TEST_PG_REPLICA, DAIRA_TEST_REDIS, DAIRA_TEST_PG_RESTART_CMD,
#                        # DAIRA_TEST_S3 (+ DAIRA_TEST_S3_ACCESS_KEY, DAIRA_TEST_S3_SECRET_KEY)
#   trap servers_stop EXIT
#
# With CI=true a server that fails to start is fatal; otherwise it is reported and its variable left
# unset (the tests then say loudly that the backend is not covered).
# Postgres runs as the `postgres` user when we are root (initdb refuses root), else as ourselves.

DAIRA_SERVERS_DIR=""
DAIRA_REDIS_PID=""
DAIRA_MOTO_PID=""
DAIRA_PG_PRIMARY_DIR=""
DAIRA_PG_REPLICA_DIR=""
DAIRA_CLAIMED_PORTS=()
DAIRA_SERVER_SUMMARY=()

pg_bin_dir() {
  if [[ -n "${DAIRA_PG_BIN:-}" ]]; then echo "$DAIRA_PG_BIN"; return 0; fi
  if [[ -x /usr/lib/postgresql/15/bin/postgres ]]; then echo /usr/lib/postgresql/15/bin; return 0; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$d" ]]; then echo "$d"; fi
}

# Runs a command as the Postgres OS user.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Is 127.0.0.1:$1 free to bind? Uses python3 when present, else a connect probe.
port_is_free() {
  local port="$1" p
  for p in "${DAIRA_CLAIMED_PORTS[@]}"; do [[ "$p" == "$port" ]] && return 1; done
  if [[ -x /usr/bin/python3 ]]; then
    /usr/bin/python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# Prints a free port in 55432-55999, starting at a random offset so parallel runs rarely collide.
free_port() {
  local span=568 start i port
  start=$((RANDOM % span))
  for ((i = 0; i < span; i++)); do
    port=$((55432 + (start + i) % span))
    if port_is_free "$port"; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# wait_until <seconds> <command...>: polls every 0.2 s until the command succeeds.
wait_until() {
  local timeout="$1"; shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

server_failed() {  # <what> <log file or "">
  local what="$1" logfile="${2:-}"
  if [[ -n "$logfile" && -f "$logfile" ]]; then
    printf -- '--- last lines of %s ---\n' "$logfile" >&2
    tail -n 30 "$logfile" >&2 || true
  fi
  if in_ci; then
    die "$what failed to start and CI=true requires it"
  fi
  warn "$what failed to start; continuing without it (its tests will report it as not covered)"
  DAIRA_SERVER_SUMMARY+=("$what: NOT RUNNING")
}

servers_start() {
  DAIRA_SERVERS_DIR=$(mktemp -d /tmp/daira-test.XXXXXX)
  chmod 755 "$DAIRA_SERVERS_DIR"   # the postgres user must traverse it
  # ... and write its logs there (root keeps full access either way).
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$DAIRA_SERVERS_DIR" 2>/dev/null || true; fi
  start_postgres || true
  start_redis || true
  start_moto || true
}

start_postgres() {
  local bin port rport sock log
  bin=$(pg_bin_dir)
  if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
    server_failed "PostgreSQL (no server binaries; run scripts/setup)"; return 1
  fi
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    server_failed "PostgreSQL (no 'postgres' OS user; run scripts/setup)"; return 1
  fi
  sock="$DAIRA_SERVERS_DIR/pg-socket"
  DAIRA_PG_PRIMARY_DIR="$DAIRA_SERVERS_DIR/pg-primary"
  mkdir -p "$sock" "$DAIRA_PG_PRIMARY_DIR"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$sock" "$DAIRA_PG_PRIMARY_DIR"
  chmod 700 "$DAIRA_PG_PRIMARY_DIR"

  port=$(free_port) || { server_failed "PostgreSQL primary (no free port)"; return 1; }
  DAIRA_CLAIMED_PORTS+=("$port")
  log="$DAIRA_SERVERS_DIR/pg-primary.log"
  log "PostgreSQL primary: initdb + start on 127.0.0.1:$port"
  if ! as_pg "$bin/initdb" -D "$DAIRA_PG_PRIMARY_DIR" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 \
        >"$DAIRA_SERVERS_DIR/initdb.log" 2>&1; then
    server_failed "PostgreSQL primary (initdb)" "$DAIRA_SERVERS_DIR/initdb.log"; DAIRA_PG_PRIMARY_DIR=""; return 1
  fi
  # Test-only settings: fsync off for speed (commit and replication semantics unchanged), and enough
  # connections for the pools of tests running in parallel.
  as_pg tee -a "$DAIRA_PG_PRIMARY_DIR/postgresql.conf" >/dev/null <<CONF
# --- scripts/lib/servers.sh ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
max_connections = 300
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 10
hot_standby = on
log_min_messages = warning
CONF
  if ! as_pg "$bin/pg_ctl" -D "$DAIRA_PG_PRIMARY_DIR" -l "$log" -w -t 60 start >/dev/null 2>&1 \
     || ! wait_until 30 "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
    server_failed "PostgreSQL primary" "$log"; return 1
  fi
  export DAIRA_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
  export DAIRA_TEST_PG_RESTART_CMD="$DAIRA_ROOT/scripts/lib/pg_restart.sh $DAIRA_PG_PRIMARY_DIR $port"
  DAIRA_SERVER_SUMMARY+=("PostgreSQL primary: $DAIRA_TEST_PG")

  # Streaming replica from a base backup of the primary.
  rport=$(free_port) || { server_failed "PostgreSQL replica (no free port)"; return 1; }
  DAIRA_CLAIMED_PORTS+=("$rport")
  DAIRA_PG_REPLICA_DIR="$DAIRA_SERVERS_DIR/pg-replica"
  log="$DAIRA_SERVERS_DIR/pg-replica.log"
  log "PostgreSQL replica: pg_basebackup + start on 127.0.0.1:$rport"
  if ! as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$DAIRA_PG_REPLICA_DIR" -R -X stream \
        --checkpoint=fast --no-sync >"$DAIRA_SERVERS_DIR/basebackup.log" 2>&1; then
    server_failed "PostgreSQL replica (pg_basebackup)" "$DAIRA_SERVERS_DIR/basebackup.log"
    DAIRA_PG_REPLICA_DIR=""; return 1
  fi
  printf 'port = %s\n' "$rport" | as_pg tee -a "$DAIRA_PG_REPLICA_DIR/postgresql.conf" >/dev/null
  if ! as_pg "$bin/pg_ctl" -D "$DAIRA_PG_REPLICA_DIR" -l "$log" -w -t 60 start >/dev/null 2>&1 \
     || ! wait_until 60 pg_replica_in_recovery "$bin" "$rport"; then
    server_failed "PostgreSQL replica" "$log"; return 1
  fi
  export DAIRA_TEST_PG_REPLICA="postgres://postgres@127.0.0.1:$rport/postgres"
  DAIRA_SERVER_SUMMARY+=("PostgreSQL replica: $DAIRA_TEST_PG_REPLICA")
}

pg_replica_in_recovery() {  # <bin> <port>
  [[ $("$1/psql" -h 127.0.0.1 -p "$2" -U postgres -d postgres -XtAc 'SELECT pg_is_in_recovery()' 2>/dev/null) == "t" ]]
}

start_redis() {
  local port log
  if ! command -v redis-server >/dev/null 2>&1; then
    server_failed "Redis (redis-server not installed; run scripts/setup)"; return 1
  fi
  port=$(free_port) || { server_failed "Redis (no free port)"; return 1; }
  DAIRA_CLAIMED_PORTS+=("$port")
  mkdir -p "$DAIRA_SERVERS_DIR/redis"
  log="$DAIRA_SERVERS_DIR/redis.log"
  log "Redis: start on 127.0.0.1:$port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$DAIRA_SERVERS_DIR/redis" --save '' --appendonly no \
    --daemonize no --logfile "$log" </dev/null >/dev/null 2>&1 &
  DAIRA_REDIS_PID=$!
  if ! wait_until 30 redis_ping "$port"; then
    server_failed "Redis" "$log"; return 1
  fi
  export DAIRA_TEST_REDIS="redis://127.0.0.1:$port/0"
  DAIRA_SERVER_SUMMARY+=("Redis: $DAIRA_TEST_REDIS")
}

redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == "PONG" ]]; }

# --- S3 (blob store tests): moto_server (Python moto 5) -------------------------------------------
# moto checks SigV4 signatures only once IAM auth is on, and then only for keys of IAM users it knows.
# So: start it with auth off, create an IAM user allowed s3:* and an access key for it (boto3, which moto
# depends on), then turn auth on (POST /moto-api/reset-auth 0): from then on every request must be
# signed with that key, and a wrong secret is refused with SignatureDoesNotMatch. lib/moto_server.py
# makes moto check signatures over the request target as sent (see there), as S3, R2 and MinIO do, and
# verify presigned URLs (moto alone fails them with HTTP 500). A role and temporary credentials for it
# (STS AssumeRole) are made too, for the session-token tests (DAIRA_TEST_S3_STS_*).
moto_python() {  # the Python interpreter moto_server runs with (its shebang; pyenv shims resolved)
  local bin
  bin="${DAIRA_MOTO_SERVER:-$(command -v moto_server 2>/dev/null || true)}"
  [[ -n "$bin" ]] || return 1
  if grep -q 'pyenv' "$bin" 2>/dev/null && command -v pyenv >/dev/null 2>&1; then
    bin=$(pyenv which moto_server 2>/dev/null) || return 1
  fi
  head -n 1 "$bin" | sed -n 's/^#![[:space:]]*//p'
}

moto_ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/moto-api/data.json") == "200" ]]; }

start_moto() {
  local py port log creds
  py=$(moto_python) || true
  if [[ -z "$py" ]] || ! $py -c 'import moto, boto3' >/dev/null 2>&1; then
    server_failed "S3 (moto_server not installed: pip install 'moto[server]')"; return 1
  fi
  port=$(free_port) || { server_failed "S3 moto_server (no free port)"; return 1; }
  DAIRA_CLAIMED_PORTS+=("$port")
  log="$DAIRA_SERVERS_DIR/moto.log"
  log "S3: moto_server on 127.0.0.1:$port"
  $py "$DAIRA_ROOT/scripts/lib/moto_server.py" -H 127.0.0.1 -p "$port" </dev/null >"$log" 2>&1 &
  DAIRA_MOTO_PID=$!
  if ! wait_until 60 moto_ready "$port"; then
    server_failed "S3 moto_server" "$log"; return 1
  fi
  if ! creds=$($py - "http://127.0.0.1:$port" 2>>"$log" <<'PY'
import json, sys, urllib.request
import boto3
endpoint = sys.argv[1]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="daira-test")
iam.put_user_policy(UserName="daira-test", PolicyName="s3-all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="daira-test")["AccessKey"]
# Temporary credentials (STS AssumeRole, 12 h) for the session-token tests: a role allowed s3:*.
iam.create_role(RoleName="daira-test-role", AssumeRolePolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                             "Action": "sts:AssumeRole"}]}))
iam.put_role_policy(RoleName="daira-test-role", PolicyName="s3-all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
temp = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/daira-test-role", RoleSessionName="daira-test",
                       DurationSeconds=43200)["Credentials"]
urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                              headers={"Content-Type": "text/plain"}))
print(key["AccessKeyId"], key["SecretAccessKey"], temp["AccessKeyId"], temp["SecretAccessKey"],
      temp["SessionToken"])
PY
  ); then
    server_failed "S3 moto_server (IAM user setup)" "$log"; return 1
  fi
  export DAIRA_TEST_S3="http://127.0.0.1:$port"
  local -a c
  read -r -a c <<<"$creds"
  export DAIRA_TEST_S3_ACCESS_KEY="${c[0]}"
  export DAIRA_TEST_S3_SECRET_KEY="${c[1]}"
  # Temporary credentials of the role daira-test-role (tests/blob/s3_live_test.cc, session tokens).
  export DAIRA_TEST_S3_STS_ACCESS_KEY="${c[2]}"
  export DAIRA_TEST_S3_STS_SECRET_KEY="${c[3]}"
  export DAIRA_TEST_S3_STS_SESSION_TOKEN="${c[4]}"
  DAIRA_SERVER_SUMMARY+=("S3 (moto, SigV4 checked): $DAIRA_TEST_S3")
}

# Stops every server this shell started, by PID / data dir, and removes the temp dir. Safe to call twice.
servers_stop() {
  local -      # errexit off inside this function only: cleanup must run to the end
  set +e
  local bin
  bin=$(pg_bin_dir)
  if [[ -n "$DAIRA_PG_REPLICA_DIR" && -f "$DAIRA_PG_REPLICA_DIR/postmaster.pid" ]]; then
    as_pg "$bin/pg_ctl" -D "$DAIRA_PG_REPLICA_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 \
      || warn "could not stop the PostgreSQL replica in $DAIRA_PG_REPLICA_DIR"
  fi
  if [[ -n "$DAIRA_PG_PRIMARY_DIR" && -f "$DAIRA_PG_PRIMARY_DIR/postmaster.pid" ]]; then
    as_pg "$bin/pg_ctl" -D "$DAIRA_PG_PRIMARY_DIR" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || as_pg "$bin/pg_ctl" -D "$DAIRA_PG_PRIMARY_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 \
      || warn "could not stop the PostgreSQL primary in $DAIRA_PG_PRIMARY_DIR"
  fi
  if [[ -n "$DAIRA_REDIS_PID" ]] && kill -0 "$DAIRA_REDIS_PID" 2>/dev/null; then
    kill "$DAIRA_REDIS_PID" 2>/dev/null || true
    wait "$DAIRA_REDIS_PID" 2>/dev/null || true
  fi
  if [[ -n "$DAIRA_MOTO_PID" ]] && kill -0 "$DAIRA_MOTO_PID" 2>/dev/null; then
    kill "$DAIRA_MOTO_PID" 2>/dev/null || true
    wait "$DAIRA_MOTO_PID" 2>/dev/null || true
  fi
  DAIRA_PG_REPLICA_DIR="" DAIRA_PG_PRIMARY_DIR="" DAIRA_REDIS_PID="" DAIRA_MOTO_PID=""
  if [[ -n "$DAIRA_SERVERS_DIR" && -d "$DAIRA_SERVERS_DIR" ]]; then
    rm -rf "$DAIRA_SERVERS_DIR"
  fi
  DAIRA_SERVERS_DIR=""
}
