#!/usr/bin/env bash
# Structural checks on the source tree (run by ctest; see tests/CMakeLists.txt):
#
#   check_layering.sh [--root DIR] layering   driver headers stay in their backend, public headers include
#                                             only std/absl/daira, no include points up the layer stack
#   check_layering.sh [--root DIR] umbrella   every public header is included by include/daira/daira.h
#   check_layering.sh self-test               builds a tree with known violations and proves each is caught
#   check_layering.sh all                     self-test, then layering
#
# Layer ranks (an include may point at the same or a lower rank):
#   core 0 · model, store, backends 1 · cache, bus, realtime, ratelimit, resilience, blob 2 · query 3 ·
#   services 4 · platform 5 · cli, bindings 6
# Between the two rank-1 neighbours: backends may include public daira/store/* headers and the private
# driver contract (store/driver.h, store/result_source.h for results read in place from the
# driver's buffer, and store/statement_cache.h, the prepared-statement cache both drivers share);
# src/store may include backends/registry.h only. Backends implement the pluggable
# interfaces, so they may also include the public headers of the rank-2 layers (daira/cache/*, …).
# Driver headers: sqlite3.h only in src/backends/sqlite/, libpq-fe.h only in src/backends/postgres/,
# hiredis only in src/backends/redis/, curl only in src/backends/s3/, simdjson.h only in src/core/json.cc; bench/baselines/ and
# bench/*_bench.cc may use the raw drivers (they are the baselines); tests may use libcurl as an independent
# HTTP client (tests/blob/s3_live_test.cc fetches presigned URLs with it, not with daira's own S3 code).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "${1:-}" == "--root" ]]; then root="$2"; shift 2; fi
mode="${1:-layering}"

# These helpers set a variable instead of printing: the check calls them for every #include line, and a
# command substitution per call (a fork) made the whole check take over a minute.
rank_of() {  # layer name → RANK (empty when unknown)
  case "$1" in
    core) RANK=0 ;;
    model|store|backends) RANK=1 ;;
    cache|bus|realtime|ratelimit|resilience|blob) RANK=2 ;;
    query) RANK=3 ;;
    services) RANK=4 ;;
    platform) RANK=5 ;;
    cli|bindings) RANK=6 ;;
    *) RANK="" ;;
  esac
}

# Layer of a source file, by path → FL ("" for files outside the layered tree: tests, bench, examples).
file_layer() {
  local f="$1"
  case "$f" in
    include/daira/daira.h) FL="" ;;                    # the umbrella includes everything
    include/daira/*/*) f="${f#include/daira/}"; FL="${f%%/*}" ;;
    include/daira/*) FL=core ;;                         # version.h, export.h
    src/*/*) f="${f#src/}"; FL="${f%%/*}" ;;
    bindings/*) FL=bindings ;;
    *) FL="" ;;
  esac
}

# Layer an include target points at → TL, and whether it is public ("pub") or private ("priv") → TKIND.
target_layer() {
  local t="$1" first
  TL=""; TKIND=""
  case "$t" in
    daira/daira.h) TL=platform; TKIND=pub ;;            # pulls in everything up to platform
    daira/version.h|daira/export.h) TL=core; TKIND=pub ;;
    daira/*/*) t="${t#daira/}"; TL="${t%%/*}"; TKIND=pub ;;
    */*) first="${t%%/*}"
         rank_of "$first"
         if [[ -n "$RANK" ]]; then TL="$first"; TKIND=priv; fi ;;
  esac
}

is_std_header() {  # C++ standard headers have no extension; allow the C99 ones too
  local t="$1"
  [[ "$t" != */* && "$t" != *.* ]] && return 0
  case "$t" in
    assert.h|ctype.h|errno.h|float.h|inttypes.h|limits.h|math.h|stdarg.h|stdbool.h|stddef.h|stdint.h|stdio.h|stdlib.h|string.h|time.h) return 0 ;;
  esac
  return 1
}

bench_raw_ok() {  # bench files allowed to use raw drivers
  case "$1" in
    bench/baselines/*) return 0 ;;
    bench/*_bench.cc) [[ "$1" != bench/*/* ]] && return 0 ;;
  esac
  return 1
}

# Prints "file:line: message" for every violation under $root.
layering_violations() {
  local dirs=() d
  for d in include src tests bench bindings examples; do [[ -d "$root/$d" ]] && dirs+=("$root/$d"); done
  ((${#dirs[@]})) || return 0
  find "${dirs[@]}" -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' -o -name '*.c' \) \
    -not -path '*/node_modules/*' -print0 |
  xargs -0 -r awk -v root="$root/" '
    /^[ \t]*#[ \t]*include[ \t]*[<"]/ {
      line = $0
      sub(/^[ \t]*#[ \t]*include[ \t]*/, "", line)
      target = substr(line, 2)
      sub(/[>"].*$/, "", target)
      f = FILENAME; sub("^" root, "", f)
      print f "\t" FNR "\t" target
    }' |
  while IFS=$'\t' read -r file line target; do
    local where="$file:$line: #include <$target>"
    local base="${target##*/}"
    # 1. driver headers
    case "$target" in
      sqlite3.h|*/sqlite3.h)
        [[ "$file" == src/backends/sqlite/* ]] || bench_raw_ok "$file" \
          || echo "$where: sqlite3.h outside src/backends/sqlite/" ;;
      libpq-fe.h|*/libpq-fe.h|libpq/*)
        [[ "$file" == src/backends/postgres/* ]] || bench_raw_ok "$file" \
          || echo "$where: libpq headers outside src/backends/postgres/" ;;
      hiredis.h|hiredis/*|*/hiredis.h)
        [[ "$file" == src/backends/redis/* ]] || bench_raw_ok "$file" \
          || echo "$where: hiredis outside src/backends/redis/" ;;
      curl/*)
        [[ "$file" == src/backends/s3/* || "$file" == tests/* ]] || bench_raw_ok "$file" \
          || echo "$where: curl outside src/backends/s3/ (and tests/)" ;;
      simdjson.h|simdjson/*)
        [[ "$file" == src/core/json.cc ]] || echo "$where: simdjson outside src/core/json.cc" ;;
    esac
    # 2. public headers: standard library, absl/ and daira/ only
    if [[ "$file" == include/daira/* ]]; then
      case "$target" in
        daira/*|absl/*) ;;
        *) is_std_header "$target" || echo "$where: public header includes a non-std/absl/daira header" ;;
      esac
    fi
    # 3. no include pointing up the layer stack
    local fl tl tkind fr tr
    file_layer "$file"; fl="$FL"
    [[ -z "$fl" ]] && continue
    target_layer "$target"; tl="$TL"; tkind="$TKIND"
    [[ -z "$tl" || "$tl" == "$fl" ]] && continue
    rank_of "$fl"; fr="$RANK"; rank_of "$tl"; tr="$RANK"
    [[ -z "$fr" || -z "$tr" ]] && continue
    if [[ "$fl" == backends && "$tl" == store ]]; then
      [[ "$tkind" == pub || "$target" == store/driver.h || "$target" == store/result_source.h ||
        "$target" == store/statement_cache.h ]] \
        || echo "$where: backends may include only daira/store/*, store/driver.h, store/result_source.h and store/statement_cache.h from the store layer"
      continue
    fi
    if [[ "$fl" == store && "$tl" == backends ]]; then
      [[ "$target" == backends/registry.h ]] \
        || echo "$where: src/store may include only backends/registry.h from the backends layer"
      continue
    fi
    if [[ "$fl" == backends && "$tr" == 2 && "$tkind" == pub ]]; then
      continue  # a backend implements a pluggable interface (cache, bus, realtime, ratelimit)
    fi
    if ((tr > fr)); then
      echo "$where: $fl (rank $fr) must not include $tl (rank $tr)"
    fi
    : "$base"
  done
}

# Prints every public header that include/daira/daira.h does not include.
umbrella_missing() {
  local umbrella="$root/include/daira/daira.h" h rel
  if [[ ! -f "$umbrella" ]]; then echo "include/daira/daira.h: missing"; return; fi
  while IFS= read -r h; do
    rel="${h#"$root/include/"}"
    [[ "$rel" == daira/daira.h ]] && continue
    grep -Eq "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]$rel[\">]" "$umbrella" \
      || echo "include/$rel: not included by include/daira/daira.h (add it there)"
  done < <(find "$root/include/daira" -type f -name '*.h' | sort)
}

run_check() {  # <name> <function>
  local out
  out=$("$2")
  if [[ -n "$out" ]]; then
    printf '%s\n' "$out"
    printf '%s check: FAILED (%d problem(s)) in %s\n' "$1" "$(wc -l <<<"$out")" "$root"
    return 1
  fi
  printf '%s check: OK (%s)\n' "$1" "$root"
}

self_test() {
  local tree
  tree=$(mktemp -d /tmp/daira-layering-selftest.XXXXXX)
  trap 'rm -rf "$tree"' RETURN
  put() { mkdir -p "$(dirname "$tree/$1")"; printf '%s\n' "${@:2}" >"$tree/$1"; }
  # Allowed: none of these may be reported.
  put include/daira/daira.h '#include "daira/core/ok.h"' '#include "daira/store/ok.h"' '#include "daira/version.h"'
  put include/daira/core/ok.h '#include <vector>' '#include <cstdint>' '#include "absl/status/status.h"'
  put include/daira/store/ok.h '#include "daira/core/ok.h"'
  put src/backends/sqlite/ok.cc '#include <sqlite3.h>' '#include "store/driver.h"' '#include "daira/store/ok.h"'
  put src/backends/postgres/ok.cc '#include <libpq-fe.h>'
  put src/backends/redis/ok.cc '#include <hiredis/hiredis.h>' '#include "daira/cache/cache.h"'
  put src/core/json.cc '#include "simdjson.h"'
  put src/backends/s3/ok.cc '#include <curl/curl.h>' '#include "daira/blob/store.h"'
  put src/blob/ok.cc '#include "backends/file/file_store.h"' '#include "daira/core/ok.h"'
  put src/store/ok.cc '#include "backends/registry.h"' '#include "daira/core/ok.h"'
  put src/services/ok.cc '#include "daira/store/ok.h"' '#include "daira/query/loader.h"'
  put src/cli/ok.cc '#include "daira/daira.h"'
  put bench/baselines/raw.cc '#include <libpq-fe.h>'
  put bench/feed_bench.cc '#include <sqlite3.h>'
  # Violations: each of these files must be reported.
  put src/core/bad_sqlite.cc '#include <sqlite3.h>'
  put src/store/bad_libpq.cc '#include "libpq-fe.h"'
  put src/cache/bad_hiredis.cc '#include <hiredis/hiredis.h>'
  put src/core/bad_simdjson.cc '#include "simdjson.h"'
  put tests/core/bad_test.cc '#include <sqlite3.h>'
  put bench/sub/bad_bench.cc '#include <sqlite3.h>'
  put include/daira/core/bad_nonstd.h '#include <fmt/format.h>'
  put include/daira/core/bad_up.h '#include "daira/store/ok.h"'
  put src/store/bad_up.cc '#include "daira/services/feed.h"'
  put src/store/bad_backend.cc '#include "backends/sqlite/sqlite_driver.h"'
  put src/backends/sqlite/bad_private.cc '#include "store/pool_internal.h"'
  put src/backends/memory/bad_query.cc '#include "daira/query/loader.h"'
  put src/query/bad_up.cc '#include "daira/platform/platform.h"'
  put src/blob/bad_curl.cc '#include <curl/curl.h>'
  put src/blob/bad_up.cc '#include "daira/query/loader.h"'
  local expected actual
  expected=$(printf '%s\n' src/core/bad_sqlite.cc src/store/bad_libpq.cc src/cache/bad_hiredis.cc \
    src/core/bad_simdjson.cc tests/core/bad_test.cc bench/sub/bad_bench.cc include/daira/core/bad_nonstd.h \
    include/daira/core/bad_up.h src/store/bad_up.cc src/store/bad_backend.cc src/backends/sqlite/bad_private.cc \
    src/backends/memory/bad_query.cc src/query/bad_up.cc src/blob/bad_curl.cc src/blob/bad_up.cc | sort)
  actual=$("$0" --root "$tree" layering | grep -v ' check: ' | cut -d: -f1 | sort -u || true)
  if [[ "$actual" != "$expected" ]]; then
    echo "self-test FAILED: the layering check reported:"; "$0" --root "$tree" layering || true
    diff <(echo "$expected") <(echo "$actual") || true
    return 1
  fi
  # The umbrella check must flag a header missing from daira.h, and only that one.
  actual=$("$0" --root "$tree" umbrella | grep -v ' check: ' | cut -d: -f1 || true)
  if [[ "$actual" != $'include/daira/core/bad_nonstd.h\ninclude/daira/core/bad_up.h' ]]; then
    echo "self-test FAILED: the umbrella check reported: $actual"; return 1
  fi
  echo "self-test: OK (15 planted layering violations and 2 missing umbrella entries caught, allowed includes passed)"
}

case "$mode" in
  layering) run_check layering layering_violations ;;
  umbrella) run_check umbrella umbrella_missing ;;
  self-test) self_test ;;
  all) self_test && run_check layering layering_violations ;;   # "umbrella" is its own ctest
  *) echo "usage: $0 [--root DIR] layering|umbrella|self-test|all" >&2; exit 2 ;;
esac
