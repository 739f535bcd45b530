#!/usr/bin/env bash
# Installs the Node benchmark's packages (koffi; better-sqlite3 compiled from source against the
# installed Node's headers: its prebuilt-binary download is not used), seeds a SQLite file with
# `daira seed` unless one is there already, and runs bench/node/overhead.mjs against the build
# directory's libdaira_c.so.
#
#   bench/node/run.sh [build dir (default build/release)] [overhead.mjs options: --rounds 9 --json out.json …]
#
# Environment: DAIRA_BENCH_USERS / DAIRA_BENCH_POSTS (default 100000 / 1000000, as services_bench),
# DAIRA_NODE_BENCH_DB (default $TMPDIR/daira_node_bench_u<users>_p<posts>.db; kept between runs),
# JOBS (compile jobs for better-sqlite3, default 2).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build_dir="${1:-$root/build/release}"
[[ $# -gt 0 ]] && shift
build_dir="$(cd "$build_dir" && pwd)"

die() { printf 'bench/node/run.sh: %s\n' "$*" >&2; exit 1; }

lib="$build_dir/bindings/c/libdaira_c.so"
cli="$build_dir/src/cli/daira"
[[ -f "$lib" ]] || die "$lib not found: cmake --build $build_dir --target daira_c"
[[ -x "$cli" ]] || die "$cli not found: cmake --build $build_dir --target daira_cli"
command -v node >/dev/null || die "node not found"
command -v npm >/dev/null || die "npm not found"

# node-gyp needs the headers of the Node that runs the benchmark. the nodejs package puts them under
# <prefix>/include/node; npm_config_nodedir=<prefix> makes node-gyp use them instead of downloading a
# tarball. npm_config_build_from_source skips prebuild-install's download of a prebuilt binary.
node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
[[ -f "$node_prefix/include/node/node.h" ]] || die "no Node headers under $node_prefix/include/node: node-gyp needs the running Node's headers"
export npm_config_nodedir="$node_prefix" npm_config_build_from_source=true
export JOBS="${JOBS:-2}"  # node-gyp's parallel compile jobs

# Install when node_modules is missing or older than the lock file.
if [[ ! -f "$here/node_modules/.package-lock.json" || "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]] ||
    ! (cd "$here" && node -e "require('better-sqlite3'); require('koffi')" 2>/dev/null); then
  printf 'bench/node/run.sh: npm ci (better-sqlite3 compiles from source: a few minutes)\n' >&2
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
fi

users="${DAIRA_BENCH_USERS:-100000}"
posts="${DAIRA_BENCH_POSTS:-1000000}"
db="${DAIRA_NODE_BENCH_DB:-${TMPDIR:-/tmp}/daira_node_bench_u${users}_p${posts}.db}"
# The marker is written only after a seed that finished, so an interrupted one is redone.
if [[ ! -f "$db.seeded" ]]; then
  rm -f "$db" "$db-wal" "$db-shm"
  printf 'bench/node/run.sh: seeding %s (%s users, %s posts)\n' "$db" "$users" "$posts" >&2
  "$cli" --database "sqlite:$db" seed --users "$users" --posts "$posts" --videos 0 --comments 0 --likes 0 >&2
  touch "$db.seeded"
fi

uptime
DAIRA_C_LIB="$lib" node "$here/overhead.mjs" --db "$db" "$@"
