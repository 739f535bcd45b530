#!/usr/bin/env bash
# Builds and runs the C ABI examples — Node (koffi, examples/node) and Go (cgo, examples/go) — against
# a built or installed libdaira_c.so, and checks that each prints its story's fixed lines.
#
#   examples/run_ffi_examples.sh <build dir> <install prefix | directory holding libdaira_c.so>
#
# Node: `npm ci` from the committed package-lock.json into a temporary copy (the source tree gets no
# node_modules). Go: stdlib only, GOPATH/GOCACHE in a temporary directory, no module downloads
# (GOPROXY=off); then `go test ./daira` (the wrapper's test). Node also runs records_check.js (the
# wrapper's record() binding; it prints one line, not part of the story) and bus_check.js (bus and
# real-time, a second process producing the job). Exit 0 when both printed what they should
# and the Go test passed; DAIRA_FFI_EXAMPLES=node or =go runs one.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="${1:?usage: $0 <build dir> <install prefix | lib dir>}"
where="${2:?usage: $0 <build dir> <install prefix | lib dir>}"
only="${DAIRA_FFI_EXAMPLES:-node go}"

die() { printf 'run_ffi_examples: %s\n' "$*" >&2; exit 1; }

# The library: <prefix>/lib*/libdaira_c.so (an install), <dir>/libdaira_c.so, or the build tree's.
lib=""
for candidate in "$where"/lib*/libdaira_c.so "$where"/lib/*/libdaira_c.so "$where/libdaira_c.so" \
    "$build_dir/bindings/c/libdaira_c.so"; do
  if [[ -f "$candidate" ]]; then lib="$(cd "$(dirname "$candidate")" && pwd)/libdaira_c.so"; break; fi
done
[[ -n "$lib" ]] || die "libdaira_c.so not found under $where (nor in $build_dir/bindings/c)"
lib_dir="$(dirname "$lib")"
# The header: installed beside the library, else the source tree's.
include_dir="$root/bindings/c/include"
[[ -f "$where/include/daira_c.h" ]] && include_dir="$(cd "$where/include" && pwd)"
printf 'run_ffi_examples: %s (header %s/daira_c.h)\n' "$lib" "$include_dir" >&2

work="$(mktemp -d /tmp/daira-ffi.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# expect <lang> <output>: the story's lines, exactly (the version line by pattern).
expect() {
  local lang="$1" output="$2" want got
  want=$(cat <<EOF
registered alice and bob
bob follows alice
alice posted: hello from $lang #daira (hashtags: daira)
committed: the follow and the post, in one transaction
bob's home feed: 1 post(s)
  @alice: hello from $lang #daira
bob tipped alice 250 cents; alice's balance: 250
refunded 100 cents of the tip; alice's balance: 150
refund of 200 more: FAILED_PRECONDITION (field amount)
second alice: ALREADY_EXISTS (field username)
after close: FAILED_PRECONDITION
$lang example: ok
EOF
)
  grep -Eq "^daira [0-9]+\.[0-9]+\.[0-9]+ from $lang\$" <<<"$(head -n 1 <<<"$output")" \
    || die "$lang: unexpected first line: $(head -n 1 <<<"$output")"
  got=$(tail -n +2 <<<"$output")
  if [[ "$got" != "$want" ]]; then
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") >&2 || true
    die "$lang: the output differs from the story's (diff above: < expected, > printed)"
  fi
}

if [[ " $only " == *" node "* ]]; then
  command -v node >/dev/null || die "node is not installed (scripts/setup installs nodejs)"
  command -v npm >/dev/null || die "npm is not installed"
  mkdir -p "$work/node"
  cp "$root/examples/node/package.json" "$root/examples/node/package-lock.json" "$root"/examples/node/*.js "$work/node/"
  (cd "$work/node" && npm ci --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1) \
    || { cat "$work/npm.log" >&2; die "node: npm ci failed"; }
  out=$(cd "$work/node" && DAIRA_C_LIB="$lib" node story.js) || { printf '%s\n' "$out" >&2; die "node: story.js failed"; }
  printf '%s\n' "$out"
  expect node "$out"
  # The wrapper's record() binding (the typed-repository calls), apart from the story.
  out=$(cd "$work/node" && DAIRA_C_LIB="$lib" node records_check.js) \
    || { printf '%s\n' "$out" >&2; die "node: records_check.js failed"; }
  [[ "$out" == "node records: ok" ]] || die "node: records_check.js printed: $out"
  # The bus and real-time calls, with a second process producing the job.
  out=$(cd "$work/node" && DAIRA_C_LIB="$lib" node bus_check.js) \
    || { printf '%s\n' "$out" >&2; die "node: bus_check.js failed"; }
  [[ "$out" == "node bus: ok" ]] || die "node: bus_check.js printed: $out"
  # Chat and notifications, with a second process sending the message (received live over Redis).
  out=$(cd "$work/node" && DAIRA_C_LIB="$lib" node chat_check.js) \
    || { printf '%s\n' "$out" >&2; die "node: chat_check.js failed"; }
  [[ "$out" == "node chat: ok" ]] || die "node: chat_check.js printed: $out"
fi

if [[ " $only " == *" go "* ]]; then
  command -v go >/dev/null || die "go is not installed (scripts/setup installs golang-go)"
  export GOPATH="$work/gopath" GOCACHE="$work/gocache" GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=1
  export CGO_CFLAGS="-I$include_dir" CGO_LDFLAGS="-L$lib_dir -Wl,-rpath,$lib_dir"
  (cd "$root/examples/go" && go vet ./... && go build -o "$work/go-example" .) || die "go: build failed"
  out=$("$work/go-example") || { printf '%s\n' "$out" >&2; die "go: the example failed"; }
  printf '%s\n' "$out"
  expect go "$out"
  # The wrapper's own test (stdlib testing, a temporary SQLite file); the header it checks the wrapper
  # against is the one cgo compiled with.
  (cd "$root/examples/go" && DAIRA_C_HEADER="$include_dir/daira_c.h" go test -count=1 ./daira/) \
    || die "go: go test ./daira failed"
fi

printf 'run_ffi_examples: ok (%s)\n' "$only" >&2
