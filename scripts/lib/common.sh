# Shared helpers for scripts/*. Source it; it defines functions only (no side effects).

DAIRA_ROOT="${DAIRA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

log()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

in_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }

# Runs a command as root: directly when we are root, else through sudo (non-interactive when no tty).
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for: $* (run as root or install sudo)"
  fi
}

# Configures (once) and builds a daira build tree.
#   daira_build <build_dir> <build_type> [extra cmake args...] -- [targets...]
daira_build() {
  local dir="$1" type="$2"; shift 2
  local cmake_args=() targets=()
  while (($#)); do
    if [[ "$1" == "--" ]]; then shift; targets=("$@"); break; fi
    cmake_args+=("$1"); shift
  done
  if [[ -f "$dir/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    die "$dir was configured with another generator; remove it or set DAIRA_BUILD_DIR"
  fi
  log "configure $dir ($type)"
  cmake -S "$DAIRA_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${cmake_args[@]}" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log" >&2; die "cmake configure failed (log: $dir.configure.log)"; }
  log "build $dir ${targets[*]:-(all)} with ${DAIRA_JOBS:-2} jobs"
  cmake --build "$dir" -j "${DAIRA_JOBS:-2}" ${targets[@]:+--target "${targets[@]}"}
}
